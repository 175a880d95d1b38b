using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Commands;

/// <summary>
/// A small client of the ARM-shaped management API, authenticated with a SharedAccessSignature (fixed, or made per
/// call by <paramref name="authorization"/>: a fresh signature, or a service principal's bearer token).
/// </summary>
public sealed class ManagementClient(HttpClient http, string baseUrl, Func<CancellationToken, Task<string>> authorization, string subscriptionId, string resourceGroup, string service)
{
    public const string ApiVersion = "2022-08-01";

    public ManagementClient(HttpClient http, string baseUrl, string token, string subscriptionId, string resourceGroup, string service)
        : this(http, baseUrl, _ => Task.FromResult(token), subscriptionId, resourceGroup, service)
    {
    }

    public string ServiceId => $"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.ApiManagement/service/{service}";

    public string ServiceName => service;

    public Task<JsonObject> PutAsync(string relative, JsonObject body, CancellationToken ct) => SendAsync(HttpMethod.Put, relative, body, ct);

    public Task<JsonObject> GetAsync(string relative, CancellationToken ct) => SendAsync(HttpMethod.Get, relative, null, ct);

    public Task<JsonObject> PostAsync(string relative, CancellationToken ct) => SendAsync(HttpMethod.Post, relative, null, ct);

    public Task<JsonObject> DeleteAsync(string relative, CancellationToken ct) => SendAsync(HttpMethod.Delete, relative, null, ct);

    /// <summary>GET, or null when the resource does not exist (404).</summary>
    public async Task<JsonObject?> FindAsync(string relative, CancellationToken ct)
    {
        var (status, text) = await SendRawAsync(HttpMethod.Get, Url(relative), null, ct);
        if (status == HttpStatusCode.NotFound)
        {
            return null;
        }

        return Parse(HttpMethod.Get, relative, status, text);
    }

    /// <summary>Every item of a collection, following <c>nextLink</c>.</summary>
    public async Task<List<JsonObject>> ListAsync(string relative, CancellationToken ct)
    {
        var items = new List<JsonObject>();
        string? url = Url(relative);
        for (var page = 0; url is not null && page < 10_000; page++)
        {
            var (status, text) = await SendRawAsync(HttpMethod.Get, url, null, ct);
            var body = Parse(HttpMethod.Get, relative, status, text);
            items.AddRange(body["value"]?.AsArray().OfType<JsonObject>() ?? []);
            url = (string?)body["nextLink"];
        }

        return items;
    }

    /// <summary>The response text of a GET (an exported document, a CSV report).</summary>
    public async Task<string> GetTextAsync(string relative, CancellationToken ct)
    {
        var (status, text) = await SendRawAsync(HttpMethod.Get, Url(relative), null, ct);
        Parse(HttpMethod.Get, relative, status, text, json: false);
        return text;
    }

    /// <summary>A GET of an absolute URL without credentials (an export link).</summary>
    public async Task<string> DownloadAsync(string url, CancellationToken ct)
    {
        using var response = await http.GetAsync(url, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Parse(HttpMethod.Get, url, response.StatusCode, text, json: false);
        return text;
    }

    public async Task<JsonObject> SendAsync(HttpMethod method, string relative, JsonObject? body, CancellationToken ct)
    {
        var (status, text) = await SendRawAsync(method, Url(relative), body, ct);
        return Parse(method, relative, status, text);
    }

    private string Url(string relative) =>
        $"{baseUrl.TrimEnd('/')}{ServiceId}{relative}{(relative.Contains('?') ? '&' : '?')}api-version={ApiVersion}";

    private async Task<(HttpStatusCode Status, string Text)> SendRawAsync(HttpMethod method, string url, JsonObject? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.TryAddWithoutValidation("Authorization", await authorization(ct));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static JsonObject Parse(HttpMethod method, string relative, HttpStatusCode status, string text, bool json = true)
    {
        if ((int)status is < 200 or > 299)
        {
            throw ManagementException.From(method, relative, status, text);
        }

        if (!json || text.Length == 0)
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            throw new ManagementException((int)status, "InvalidResponse", $"{method} {relative} answered {(int)status} with a body that is not JSON.");
        }
    }
}

/// <summary>A management API error, as one line: the message, then each detail's target and message.</summary>
public sealed class ManagementException(int statusCode, string code, string message) : HttpRequestException(message)
{
    public int Status { get; } = statusCode;

    public string Code { get; } = code;

    public static ManagementException From(HttpMethod method, string relative, HttpStatusCode status, string text)
    {
        var code = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = text.Length == 0 ? $"{method} {relative} answered {(int)status} {status}." : $"{method} {relative} answered {(int)status}: {OneLine(text)}";
        try
        {
            if (JsonNode.Parse(text)?["error"] is JsonObject error)
            {
                code = (string?)error["code"] ?? code;
                var details = error["details"] as JsonArray ?? [];
                message = string.Join(" ", new[] { (string?)error["message"] ?? "" }
                    .Concat(details.OfType<JsonObject>().Select(d => d["target"] is null ? (string?)d["message"] : $"{(string?)d["target"]}: {(string?)d["message"]}")))
                    .Trim() + $" ({code}, {(int)status})";
            }
            else if (JsonNode.Parse(text) is JsonObject oauth && oauth["error"] is JsonValue)
            {
                code = (string?)oauth["error"] ?? code;
                message = $"{(string?)oauth["error_description"] ?? code} ({code}, {(int)status})";
            }
        }
        catch (JsonException)
        {
            // Not JSON: the text itself, on one line.
        }

        return new ManagementException((int)status, code, OneLine(message));
    }

    private static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length > 500 ? line[..500] + "…" : line;
    }
}
