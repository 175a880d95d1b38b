using System.Text.Json.Nodes;

namespace Tollgate.Management.Api;

public static partial class ManagementOpenApi
{
    /// <summary>
    /// APIM's TagResourceCollection, the answer of the lists by tag (<c>apisByTags</c>, <c>productsByTags</c>,
    /// <c>apis/{apiId}/operationsByTags</c>): each item a tag and one of the API, product or operation parts.
    /// </summary>
    private static void AddTagResources(JsonObject schemas)
    {
        static JsonObject Text(string? description = null) => description is null ? Obj(("type", "string")) : Obj(("type", "string"), ("description", description));

        schemas["TagResourceContract"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["tag"] = Obj(("type", "object"), ("description", "Absent on an item listed because it carries no tag (includeNotTagged…=true)."), ("properties", new JsonObject
            {
                ["id"] = Text("The tag's ARM id."),
                ["name"] = Text("The tag's display name."),
            })),
            ["api"] = Obj(("type", "object"), ("properties", new JsonObject
            {
                ["id"] = Text(),
                ["name"] = Text("The API's display name."),
                ["description"] = Text(),
                ["apiRevision"] = Text(),
                ["apiVersion"] = Text(),
                ["isCurrent"] = Obj(("type", "boolean")),
                ["apiRevisionDescription"] = Text(),
                ["apiVersionDescription"] = Text(),
                ["apiVersionSetId"] = Text(),
                ["subscriptionRequired"] = Obj(("type", "boolean")),
                ["type"] = Text(),
                ["serviceUrl"] = Text("As GET apis/{apiId} shows it (a password in it masked)."),
                ["path"] = Text(),
                ["protocols"] = Obj(("type", "array"), ("items", Text())),
            })),
            ["operation"] = Obj(("type", "object"), ("properties", new JsonObject
            {
                ["id"] = Text(),
                ["name"] = Text("The operation's display name."),
                ["apiName"] = Text("The API's display name."),
                ["apiRevision"] = Text(),
                ["apiVersion"] = Text(),
                ["description"] = Text(),
                ["method"] = Text(),
                ["urlTemplate"] = Text(),
            })),
            ["product"] = Obj(("type", "object"), ("properties", new JsonObject
            {
                ["id"] = Text(),
                ["name"] = Text("The product's display name."),
                ["description"] = Text(),
                ["terms"] = Text(),
                ["subscriptionRequired"] = Obj(("type", "boolean")),
                ["approvalRequired"] = Obj(("type", "boolean")),
                ["subscriptionsLimit"] = Obj(("type", "integer")),
                ["state"] = Obj(("type", "string"), ("enum", new JsonArray("notPublished", "published"))),
            })),
        }));
        schemas["TagResourceCollection"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["value"] = Obj(("type", "array"), ("items", Ref("TagResourceContract"))),
            ["count"] = Obj(("type", "integer"), ("format", "int64")),
            ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
        }));
    }
}
