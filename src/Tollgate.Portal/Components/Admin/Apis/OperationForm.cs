using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Tollgate.Portal.Components.Admin.Apis;

/// <summary>The fields of an operation (verb, URL template and its parameters, display name, description); its request and responses are <see cref="OperationMessages"/>.</summary>
public sealed partial class OperationForm
{
    public static readonly string[] Verbs = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"];

    public static readonly string[] Fields = ["method", "urlTemplate", "templateParameters", "displayName", "description", "request", "responses"];

    public static readonly string[] ParameterTypes = ["string", "number", "integer", "boolean"];

    public string Method { get; set; } = "GET";

    public string? UrlTemplate { get; set; }

    public string? DisplayName { get; set; }

    public string? Description { get; set; }

    /// <summary>The parameter names in a template: <c>{name}</c> in the path and query, and <c>{*name}</c>.</summary>
    public static IReadOnlyList<string> ParametersOf(string? template) =>
        ParameterPattern().Matches(template ?? "").Select(m => m.Groups[1].Value.TrimStart('*').Split('=', ':')[0].Trim())
            .Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>
    /// The operation's properties; template parameters keep the type and description given for them by name, and what the
    /// form does not show of them (values, default, examples, schema) from <paramref name="stored"/>.
    /// </summary>
    public JsonObject ToProperties(IReadOnlyDictionary<string, (string Type, string Description)> parameters, JsonArray? stored = null)
    {
        var templateParameters = new JsonArray();
        foreach (var name in ParametersOf(UrlTemplate))
        {
            var (type, description) = parameters.TryGetValue(name, out var p) ? p : ("string", "");
            var previous = (stored ?? []).OfType<JsonObject>().FirstOrDefault(t => string.Equals((string?)t["name"], name, StringComparison.OrdinalIgnoreCase));
            var parameter = previous?.DeepClone() as JsonObject ?? new JsonObject { ["values"] = new JsonArray() };
            parameter["name"] = name;
            parameter["type"] = type;
            parameter["required"] = true;
            parameter["description"] = description;
            templateParameters.Add(parameter);
        }

        return new JsonObject
        {
            ["method"] = Method,
            ["urlTemplate"] = UrlTemplate ?? "",
            ["displayName"] = DisplayName ?? "",
            ["description"] = Description ?? "",
            ["templateParameters"] = templateParameters,
        };
    }

    public static OperationForm From(JsonObject properties) => new()
    {
        Method = (string?)properties["method"] ?? "GET",
        UrlTemplate = (string?)properties["urlTemplate"],
        DisplayName = (string?)properties["displayName"],
        Description = (string?)properties["description"],
    };

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex ParameterPattern();
}
