using System.Text.Json.Nodes;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// An API's schemas (<c>apis/{api}/schemas/{id}</c>) as the gateway gets them: for each schema id the JSON
/// <c>{"definitions":{name: JSON schema}}</c>, whatever the document's form, so that a representation's
/// <c>typeName</c> is always <c>#/definitions/{typeName}</c>.
/// </summary>
internal static class ApiSchemas
{
    private const string ComponentsPrefix = "#/components/schemas/";
    private const string DefinitionsPrefix = "#/definitions/";

    /// <summary>The definitions of each JSON schema of an API by schema id (ignoring case); XML schemas are left out.</summary>
    public static IReadOnlyDictionary<string, string> Definitions(IEnumerable<StoredResource> schemas)
    {
        Dictionary<string, string>? result = null;
        foreach (var schema in schemas)
        {
            if (schema.Properties["document"] is not JsonObject document)
            {
                continue;
            }

            var definitions = document["definitions"] as JsonObject
                ?? (document["components"] as JsonObject)?["schemas"] as JsonObject;
            if (definitions is null)
            {
                continue;
            }

            var copy = (JsonObject)definitions.DeepClone();
            RewriteReferences(copy, depth: 0);
            (result ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase))[schema.Key.Name] =
                new JsonObject { ["definitions"] = copy }.ToJsonString();
        }

        return result ?? Empty;
    }

    private static readonly Dictionary<string, string> Empty = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>OpenAPI 3 references (<c>#/components/schemas/X</c>) point into <c>#/definitions/X</c>; the depth is bounded as the store's JSON is.</summary>
    private static void RewriteReferences(JsonNode? node, int depth)
    {
        if (depth > 256)
        {
            return;
        }

        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToArray())
                {
                    if (name == "$ref" && value is JsonValue v && v.TryGetValue<string>(out var target) && target.StartsWith(ComponentsPrefix, StringComparison.Ordinal))
                    {
                        o["$ref"] = DefinitionsPrefix + target[ComponentsPrefix.Length..];
                    }
                    else
                    {
                        RewriteReferences(value, depth + 1);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    RewriteReferences(item, depth + 1);
                }

                break;
        }
    }
}
