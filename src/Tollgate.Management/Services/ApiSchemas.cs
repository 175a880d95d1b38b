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
    /// <summary>The definitions of an API's JSON schemas and the text of its XML schemas, each by schema id.</summary>
    public static ApiSchemaSet Of(IEnumerable<StoredResource> schemas)
    {
        var all = schemas as IReadOnlyCollection<StoredResource> ?? schemas.ToArray();
        return new ApiSchemaSet(Definitions(all), XmlSchemas(all));
    }

    /// <summary>
    /// The XSD text of each XML schema of an API by schema id (ignoring case): a <c>document.value</c> string under an
    /// XML content type (APIM's <c>application/vnd.ms-azure-apim.xsd+xml</c>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> XmlSchemas(IEnumerable<StoredResource> schemas)
    {
        Dictionary<string, string>? result = null;
        foreach (var schema in schemas)
        {
            if (schema.Properties["contentType"]?.GetValue<string>() is { } contentType
                && (contentType.Contains("xsd", StringComparison.OrdinalIgnoreCase) || contentType.EndsWith("xml", StringComparison.OrdinalIgnoreCase))
                && schema.Properties["document"]?["value"] is JsonValue value && value.TryGetValue<string>(out var xsd))
            {
                (result ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase))[schema.Key.Name] = xsd;
            }
        }

        return result ?? Empty;
    }

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

/// <summary>An API's schemas as the gateway gets them: JSON definitions and XML schemas, each by schema id.</summary>
internal sealed record ApiSchemaSet(IReadOnlyDictionary<string, string> Definitions, IReadOnlyDictionary<string, string> Xml);
