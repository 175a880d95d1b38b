using System.Text.Json.Nodes;
using Tollgate.Core.Resources;

namespace Tollgate.Management.Api;

public static partial class ManagementOpenApi
{
    /// <summary>The schemas of version sets, an API's revisions and its releases (their routes: <see cref="Resources.ApiVersionsApi"/>).</summary>
    private static void AddVersions(JsonObject schemas)
    {
        AddSchema(schemas, ResourceSchemas.ApiVersionSet);
        schemas["ApiRevisionContract"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["apiId"] = Obj(("type", "string"), ("description", "/apis/{apiId};rev={n}")),
            ["apiRevision"] = Obj(("type", "string")),
            ["createdDateTime"] = Obj(("type", "string"), ("format", "date-time")),
            ["updatedDateTime"] = Obj(("type", "string"), ("format", "date-time")),
            ["description"] = Obj(("type", "string"), ("nullable", true), ("description", "The revision's apiRevisionDescription.")),
            ["privateUrl"] = Obj(("type", "string"), ("nullable", true), ("description", "Where the gateway serves a non-current revision: /{path};rev={n} (/{path}/{version};rev={n} for a Segment version).")),
            ["isOnline"] = Obj(("type", "boolean")),
            ["isCurrent"] = Obj(("type", "boolean")),
        }));
        AddSchema(schemas, ResourceSchemas.ApiRelease);
    }
}
