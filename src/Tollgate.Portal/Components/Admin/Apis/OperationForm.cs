using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Tollgate.Portal.Components.Admin.Apis;

/// <summary>The fields of an operation (verb, URL template and its parameters, display name, description, responses).</summary>
public sealed partial class OperationForm
{
    public static readonly string[] Verbs = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"];

    public static readonly string[] Fields = ["method", "urlTemplate", "templateParameters", "displayName", "description", "responses"];

    public static readonly string[] ParameterTypes = ["string", "number", "integer", "boolean"];

    public string Method { get; set; } = "GET";

    public string? UrlTemplate { get; set; }

    public string? DisplayName { get; set; }

    public string? Description { get; set; }

    /// <summary>Response status codes, comma-separated (each gets its reason phrase as description).</summary>
    public string? Responses { get; set; } = "200";

    /// <summary>The parameter names in a template: <c>{name}</c> in the path and query, and <c>{*name}</c>.</summary>
    public static IReadOnlyList<string> ParametersOf(string? template) =>
        ParameterPattern().Matches(template ?? "").Select(m => m.Groups[1].Value.TrimStart('*').Split('=', ':')[0].Trim())
            .Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>The operation's properties; template parameters keep the type and description given for them by name.</summary>
    public JsonObject ToProperties(IReadOnlyDictionary<string, (string Type, string Description)> parameters)
    {
        var templateParameters = new JsonArray();
        foreach (var name in ParametersOf(UrlTemplate))
        {
            var (type, description) = parameters.TryGetValue(name, out var p) ? p : ("string", "");
            templateParameters.Add(new JsonObject { ["name"] = name, ["type"] = type, ["required"] = true, ["description"] = description, ["values"] = new JsonArray() });
        }

        var responses = new JsonArray();
        foreach (var part in (Responses ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            responses.Add(int.TryParse(part, out var code)
                ? new JsonObject { ["statusCode"] = code, ["description"] = ReasonPhrase(code), ["representations"] = new JsonArray(), ["headers"] = new JsonArray() }
                : new JsonObject { ["statusCode"] = part });
        }

        return new JsonObject
        {
            ["method"] = Method,
            ["urlTemplate"] = UrlTemplate ?? "",
            ["displayName"] = DisplayName ?? "",
            ["description"] = Description ?? "",
            ["templateParameters"] = templateParameters,
            ["responses"] = responses,
        };
    }

    public static OperationForm From(JsonObject properties) => new()
    {
        Method = (string?)properties["method"] ?? "GET",
        UrlTemplate = (string?)properties["urlTemplate"],
        DisplayName = (string?)properties["displayName"],
        Description = (string?)properties["description"],
        Responses = string.Join(", ", (properties["responses"] as JsonArray ?? []).OfType<JsonObject>().Select(r => r["statusCode"]?.ToString())),
    };

    private static string ReasonPhrase(int code) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code) is { Length: > 0 } phrase ? phrase : code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex ParameterPattern();
}
