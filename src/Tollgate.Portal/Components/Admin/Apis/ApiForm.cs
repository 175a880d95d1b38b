using System.Text.Json.Nodes;

namespace Tollgate.Portal.Components.Admin.Apis;

/// <summary>The fields of APIM's Add API form, and how they map to an API's properties.</summary>
public sealed class ApiForm
{
    public static readonly string[] Fields = ["displayName", "serviceUrl", "path", "protocols", "description", "products"];

    /// <summary>Web API name.</summary>
    public string? DisplayName { get; set; }

    /// <summary>Web service URL (the backend).</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>Web API URL suffix.</summary>
    public string? Path { get; set; }

    /// <summary>URL scheme: <c>http</c>, <c>https</c> or <c>both</c>.</summary>
    public string Scheme { get; set; } = "https";

    public string? Description { get; set; }

    public JsonObject ToProperties() => new()
    {
        ["displayName"] = DisplayName ?? "",
        ["serviceUrl"] = ServiceUrl ?? "",
        ["path"] = Path ?? "",
        ["protocols"] = Scheme switch
        {
            "http" => new JsonArray("http"),
            "both" => new JsonArray("http", "https"),
            _ => new JsonArray("https"),
        },
        ["description"] = Description ?? "",
    };

    public static ApiForm From(JsonObject properties) => new()
    {
        DisplayName = (string?)properties["displayName"],
        ServiceUrl = (string?)properties["serviceUrl"],
        Path = (string?)properties["path"],
        Scheme = SchemeOf(properties["protocols"] as JsonArray),
        Description = (string?)properties["description"],
    };

    public static string SchemeOf(JsonArray? protocols)
    {
        var set = (protocols ?? []).Select(p => ((string?)p)?.ToLowerInvariant()).ToHashSet();
        return set.Contains("http") && set.Contains("https") ? "both" : set.Contains("http") ? "http" : "https";
    }

    public static string SchemeLabel(JsonArray? protocols) => SchemeOf(protocols) switch
    {
        "both" => "HTTP, HTTPS",
        "http" => "HTTP",
        _ => "HTTPS",
    };

    /// <summary>An API id from its name: lowercase letters, digits and hyphens (APIM's ids are at most 80 characters).</summary>
    public static string IdFrom(string? text)
    {
        var chars = (text ?? "").Trim().ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var id = System.Text.RegularExpressions.Regex.Replace(new string(chars), "-{2,}", "-").Trim('-');
        if (id.Length > 70)
        {
            id = id[..70].TrimEnd('-');
        }

        return id.Length == 0 ? "api" : id;
    }
}
