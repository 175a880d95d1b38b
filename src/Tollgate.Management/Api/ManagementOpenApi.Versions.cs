using System.Text.Json.Nodes;
using Tollgate.Core.Resources;

namespace Tollgate.Management.Api;

public static partial class ManagementOpenApi
{
    /// <summary>Version sets, an API's revisions and its releases.</summary>
    private static void AddVersions(JsonObject paths, JsonObject schemas)
    {
        AddSchema(schemas, ResourceSchemas.ApiVersionSet);
        AddEntity(paths, "apiVersionSets", "{versionSetId}", "ApiVersionSet",
            "ApiVersionSetContractProperties", "version sets (APIs name one with apiVersionSetId and apiVersion; deleting a set that still has APIs is a 409, deleting its last API deletes it)");
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
        paths[Base + "/apis/{apiId}/revisions"] = Obj(("get", Op("ApiRevision_ListByService",
            "Lists the revisions of an API by number; $filter (apiRevision, isCurrent, description), $top and $skip.",
            Obj(("type", "object"), ("properties", new JsonObject
            {
                ["value"] = Obj(("type", "array"), ("items", Ref("ApiRevisionContract"))),
                ["count"] = Obj(("type", "integer"), ("format", "int64")),
                ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
            })), list: true)));
        AddSchema(schemas, ResourceSchemas.ApiRelease);
        AddEntity(paths, "apis/{apiId}/releases", "{releaseId}", "ApiRelease", "ApiReleaseContractProperties",
            "releases of an API (creating one makes the revision its apiId names current; deleting one leaves the revisions as they are)");
    }
}
