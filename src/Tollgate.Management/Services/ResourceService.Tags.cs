using System.Text.Json.Nodes;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// APIM's lists by tag (<c>apisByTags</c>, <c>productsByTags</c>, <c>apis/{apiId}/operationsByTags</c>): one
/// TagResource item per pair of a tag and what carries it, <c>{tag: {id, name}, api|product|operation: {…}}</c>, so an
/// API with two tags is listed twice (and, asked with includeNotTagged…, once without a tag when it has none). Items
/// are ordered by tag, the untagged last, so a client groups them by reading the list in order, as APIM's portal does.
/// </summary>
public sealed partial class ResourceService
{
    /// <summary>
    /// The <c>$filter</c> fields of each list, as APIM documents them, also under the part's name (<c>api/path</c>):
    /// <c>name</c> is the resource's name, <c>api/name</c> (and <c>product/name</c>, <c>operation/name</c>) the part's
    /// <c>name</c>, which is the display name as the contract shows it; <c>tag/id</c> is the tag's name and
    /// <c>tag/name</c> its display name (what APIM's developer portal filters by).
    /// </summary>
    private static readonly Dictionary<string, string[]> TaggedFilterFields = new()
    {
        ["api"] = ["name", "displayName", "apiRevision", "path", "description", "serviceUrl", "isCurrent"],
        ["product"] = ["name", "displayName", "description", "terms", "state"],
        ["operation"] = ["name", "displayName", "apiName", "description", "method", "urlTemplate"],
    };

    /// <summary>The properties of an API that APIM's ApiTagResourceContractProperties carries besides id and name.</summary>
    private static readonly string[] ApiTagResourceProperties =
    [
        "description", "apiRevision", "apiVersion", "isCurrent", "isOnline", "apiRevisionDescription", "apiVersionDescription", "apiVersionSetId",
        "subscriptionRequired", "termsOfServiceUrl", "contact", "license", "authenticationSettings", "subscriptionKeyParameterNames", "type", "serviceUrl",
        "path", "protocols",
    ];

    /// <summary>What every API part shows, null when the API has none (an API without a backend has no serviceUrl).</summary>
    private static readonly string[] ApiTagResourceAlways = ["description", "apiRevision", "serviceUrl", "path", "isCurrent"];

    private static readonly string[] ProductTagResourceProperties = ["description", "terms", "subscriptionRequired", "approvalRequired", "subscriptionsLimit", "state"];

    /// <summary><c>GET apisByTags</c>: every API (revisions as <c>{id};rev={n}</c>, as <c>GET apis</c> lists them) with each of its tags.</summary>
    public async Task<ResourcePage> ListApisByTagsAsync(ServiceScope scope, string? filter, int? top, int? skip, bool includeNotTagged, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var apis = await store.ListAsync(scope.Name, ResourceKind.Api.Kind, "", ct);
        var parts = new List<(string Key, JsonObject Part)>(apis.Count);
        foreach (var api in apis)
        {
            var json = await ToJsonAsync(scope, ResourceKind.Api, api, ct);
            var part = Part(json, ApiTagResourceProperties, ApiTagResourceAlways);
            part["isCurrent"] ??= true;
            parts.Add((api.Key.NameKey, part));
        }

        var links = await store.ListAsync(scope.Name, ResourceKind.ApiTag, null, ct);
        return await TaggedPageAsync(scope, "api", parts, links, l => l.Key.ParentKey, filter, top, skip, includeNotTagged, ct);
    }

    /// <summary><c>GET productsByTags</c>: every product with each of its tags.</summary>
    public async Task<ResourcePage> ListProductsByTagsAsync(ServiceScope scope, string? filter, int? top, int? skip, bool includeNotTagged, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var products = await store.ListAsync(scope.Name, ResourceKind.Product.Kind, "", ct);
        var parts = new List<(string Key, JsonObject Part)>(products.Count);
        foreach (var product in products)
        {
            parts.Add((product.Key.NameKey, Part(await ToJsonAsync(scope, ResourceKind.Product, product, ct), ProductTagResourceProperties, ProductTagResourceProperties)));
        }

        var links = await store.ListAsync(scope.Name, ResourceKind.ProductTag, null, ct);
        return await TaggedPageAsync(scope, "product", parts, links, l => l.Key.ParentKey, filter, top, skip, includeNotTagged, ct);
    }

    /// <summary><c>GET apis/{apiId}/operationsByTags</c>: the API's operations with each of their tags (a missing API is a 404).</summary>
    public async Task<ResourcePage> ListOperationsByTagsAsync(ServiceScope scope, string api, string? filter, int? top, int? skip, bool includeNotTagged, CancellationToken ct)
    {
        var (apiJson, _) = await GetAsync(scope, ResourceKind.Api, "", api, ct);
        var apiProps = (JsonObject)apiJson["properties"]!;
        var operations = await store.ListAsync(scope.Name, ResourceKind.Operation.Kind, api, ct);
        var parts = new List<(string Key, JsonObject Part)>(operations.Count);
        foreach (var operation in operations)
        {
            var props = operation.Properties;
            parts.Add((operation.Key.NameKey, new JsonObject
            {
                ["id"] = ArmId(scope, ResourceKind.Operation, operation),
                ["name"] = props["displayName"]?.DeepClone(),
                ["apiName"] = apiProps["displayName"]?.DeepClone(),
                ["apiRevision"] = apiProps["apiRevision"]?.DeepClone(),
                ["apiVersion"] = apiProps["apiVersion"]?.DeepClone(),
                ["description"] = props["description"]?.DeepClone(),
                ["method"] = props["method"]?.DeepClone(),
                ["urlTemplate"] = props["urlTemplate"]?.DeepClone(),
            }));
        }

        // An operation's tag links are parented by "{apiId}/{operationId}".
        var prefix = api.ToLowerInvariant() + "/";
        var links = (await store.ListAsync(scope.Name, ResourceKind.OperationTag, null, ct)).Where(l => l.Key.ParentKey.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        return await TaggedPageAsync(scope, "operation", parts, links, l => l.Key.ParentKey[prefix.Length..], filter, top, skip, includeNotTagged, ct);
    }

    /// <summary>
    /// The contract's part for a resource: its ARM id, its display name as <c>name</c>, the named properties it has, and
    /// the <paramref name="always"/> ones even when it has not (null), so every item of a list has the same shape.
    /// </summary>
    private static JsonObject Part(JsonObject json, string[] properties, string[] always)
    {
        var props = (JsonObject)json["properties"]!;
        var part = new JsonObject { ["id"] = json["id"]?.DeepClone(), ["name"] = props["displayName"]?.DeepClone() };
        foreach (var name in properties)
        {
            if (props[name] is { } value)
            {
                part[name] = value.DeepClone();
            }
            else if (always.Contains(name))
            {
                part[name] = null;
            }
        }

        return part;
    }

    /// <summary>
    /// The pairs of <paramref name="parts"/> (by name key) and the tags their links name, ordered by tag then resource
    /// (the untagged last, only with <paramref name="includeNotTagged"/>), filtered and paged.
    /// </summary>
    private async Task<ResourcePage> TaggedPageAsync(ServiceScope scope, string partName, List<(string Key, JsonObject Part)> parts, IReadOnlyList<StoredResource> links,
        Func<StoredResource, string> owner, string? filter, int? top, int? skip, bool includeNotTagged, CancellationToken ct)
    {
        var tags = (await store.ListAsync(scope.Name, ResourceKind.Tag.Kind, "", ct)).ToDictionary(t => t.Key.NameKey);
        var tagsOf = links.Where(l => tags.ContainsKey(l.Key.NameKey)).ToLookup(owner, l => tags[l.Key.NameKey]);
        var rows = new List<(StoredResource? Tag, string Key, JsonObject Part)>();
        foreach (var (key, part) in parts)
        {
            var carried = tagsOf[key].ToList();
            if (carried.Count == 0 && includeNotTagged)
            {
                rows.Add((null, key, part));
            }

            rows.AddRange(carried.Select(t => ((StoredResource?)t, key, part)));
        }

        rows = rows.OrderBy(r => r.Tag is null).ThenBy(r => r.Tag?.Key.NameKey, StringComparer.Ordinal).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        if (!string.IsNullOrWhiteSpace(filter))
        {
            var own = TaggedFilterFields[partName];
            var fields = own.Concat(own.Select(f => $"{partName}/{f}")).Append("tag/id").Append("tag/name").ToArray();
            var parsed = ODataFilter.Parse(filter, fields);
            rows = rows.Where(r => parsed.Matches(f => TaggedField(r.Tag, r.Part, partName, f))).ToList();
        }

        var all = rows.Select(r =>
        {
            var item = new JsonObject();
            if (r.Tag is { } tag)
            {
                item["tag"] = new JsonObject { ["id"] = $"{scope.BaseId}/tags/{tag.Key.Name}", ["name"] = tag.Properties["displayName"]?.DeepClone() };
            }

            item[partName] = r.Part.DeepClone();
            return item;
        }).ToList();
        return Page(all, top, skip);
    }

    /// <summary>A <c>$filter</c> field of a TagResource item (the names <see cref="TaggedFilterFields"/> describes).</summary>
    private static JsonNode? TaggedField(StoredResource? tag, JsonObject part, string partName, string field) => field switch
    {
        "tag/id" => tag is null ? null : JsonValue.Create(tag.Key.Name),
        "tag/name" => tag?.Properties["displayName"],
        // The resource's own name is the last segment of its id (an operation's within its API, a revision's {id};rev={n}).
        "name" => JsonValue.Create(((string?)part["id"])?[(((string?)part["id"])!.LastIndexOf('/') + 1)..]),
        "displayName" => part["name"],
        _ when field.StartsWith(partName + "/", StringComparison.Ordinal) => field[(partName.Length + 1)..] is "displayName" ? part["name"] : part[field[(partName.Length + 1)..]],
        _ => part[field],
    };
}
