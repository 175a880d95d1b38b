using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Tollgate.Portal.Developer;

/// <summary>One parameter or header of an operation (APIM's ParameterContract).</summary>
public sealed record ParameterDoc(string Name, string Type, string Description, bool Required, string? DefaultValue, IReadOnlyList<string> Values);

/// <summary>A request or response body format with its first example (APIM's RepresentationContract).</summary>
public sealed record RepresentationView(string ContentType, string? Example, string? SchemaId, string? TypeName);

/// <summary>A documented response.</summary>
public sealed record ResponseView(int StatusCode, string Description, IReadOnlyList<RepresentationView> Representations, IReadOnlyList<ParameterDoc> Headers);

/// <summary>
/// An operation as the developer portal shows it and Try it sends it: the URL template with its template and query
/// parameters, headers, representations with examples and responses, read from the management API's operation.
/// </summary>
public sealed partial record OperationView(
    string Id, string Name, string Method, string UrlTemplate, string Description,
    IReadOnlyList<ParameterDoc> TemplateParameters, IReadOnlyList<ParameterDoc> QueryParameters, IReadOnlyList<ParameterDoc> Headers,
    string RequestDescription, IReadOnlyList<RepresentationView> Representations, IReadOnlyList<ResponseView> Responses)
{
    /// <summary>An example is shown (and pre-filled) up to this many characters.</summary>
    public const int MaxExample = 64 * 1024;

    public static OperationView From(JsonObject operation)
    {
        var p = operation["properties"] as JsonObject ?? [];
        var request = p["request"] as JsonObject ?? [];
        return new OperationView(
            (string?)operation["name"] ?? "", (string?)p["displayName"] ?? "", ((string?)p["method"] ?? "GET").ToUpperInvariant(), (string?)p["urlTemplate"] ?? "/",
            (string?)p["description"] ?? "",
            Parameters(p["templateParameters"]), Parameters(request["queryParameters"]), Parameters(request["headers"]),
            (string?)request["description"] ?? "", ReadRepresentations(request["representations"]),
            (p["responses"] as JsonArray ?? []).OfType<JsonObject>().Select(r => new ResponseView(
                r["statusCode"] is JsonValue s && s.TryGetValue<int>(out var code) ? code : 200, (string?)r["description"] ?? "",
                ReadRepresentations(r["representations"]), Parameters(r["headers"]))).ToList());
    }

    /// <summary>The first request example (what Try it pre-fills the body with), or null.</summary>
    public string? RequestExample => Representations.Select(r => r.Example).FirstOrDefault(e => e is not null);

    /// <summary>The request's content type, from its first representation.</summary>
    public string? RequestContentType => Representations.FirstOrDefault()?.ContentType;

    /// <summary>
    /// The URL at the gateway: <paramref name="gatewayUrl"/> + <c>/</c> + the API's path + the URL template with each
    /// <c>{parameter}</c> replaced by its value (escaped, so a value never adds a path segment), then extra query parameters.
    /// </summary>
    public string RequestUrl(string gatewayUrl, string apiPath, IReadOnlyDictionary<string, string> values, IEnumerable<KeyValuePair<string, string>>? query = null)
    {
        var path = "/" + apiPath.Trim('/');
        var template = UrlTemplate.StartsWith('/') ? UrlTemplate : "/" + UrlTemplate;
        var filled = ParameterPattern().Replace(template, m =>
            values.TryGetValue(m.Groups[1].Value, out var v) && v.Length > 0 ? Uri.EscapeDataString(v) : m.Value);
        var url = new StringBuilder(gatewayUrl.TrimEnd('/')).Append(path == "/" ? "" : path).Append(filled == "/" && path != "/" ? "" : filled);
        var separator = filled.Contains('?') ? '&' : '?';
        foreach (var (name, value) in query ?? [])
        {
            if (string.IsNullOrEmpty(name))
            {
                continue;
            }

            url.Append(separator).Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        return url.ToString();
    }

    private static List<ParameterDoc> Parameters(JsonNode? node) => (node as JsonArray ?? []).OfType<JsonObject>().Select(p => new ParameterDoc(
        (string?)p["name"] ?? "", (string?)p["type"] ?? "string", (string?)p["description"] ?? "", p["required"] is JsonValue r && r.GetValueKind() == JsonValueKind.True,
        (string?)p["defaultValue"], (p["values"] as JsonArray ?? []).Select(v => (string?)v ?? "").ToList())).ToList();

    private static List<RepresentationView> ReadRepresentations(JsonNode? node) => (node as JsonArray ?? []).OfType<JsonObject>().Select(r => new RepresentationView(
        (string?)r["contentType"] ?? "", Example(r), (string?)r["schemaId"], (string?)r["typeName"])).ToList();

    /// <summary>The first example: <c>examples.{name}.value</c> (APIM's form) or <c>sample</c>; JSON is indented.</summary>
    private static string? Example(JsonObject representation)
    {
        JsonNode? value = null;
        if (representation["examples"] is JsonObject examples)
        {
            value = examples.Select(e => e.Value is JsonObject o && o.ContainsKey("value") ? o["value"] : e.Value).FirstOrDefault(v => v is not null);
        }

        value ??= representation["sample"];
        if (value is null)
        {
            return null;
        }

        var text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value.ToJsonString(Indented);
        if (value is JsonValue s && s.GetValueKind() == JsonValueKind.String && text.Length < MaxExample)
        {
            // A JSON example given as a string is shown indented too.
            try
            {
                text = JsonNode.Parse(text) is { } parsed && parsed is not JsonValue ? parsed.ToJsonString(Indented) : text;
            }
            catch (JsonException)
            {
                // Not JSON: shown as written.
            }
        }

        return text.Length > MaxExample ? text[..MaxExample] : text;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [GeneratedRegex("\\{\\*?([^{}]+)\\}")]
    private static partial Regex ParameterPattern();
}
