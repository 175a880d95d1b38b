using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Tollgate.Commands;

/// <summary>A small client of the ARM-shaped management API, authenticated with a SharedAccessSignature.</summary>
public sealed class ManagementClient(HttpClient http, string baseUrl, string token, string subscriptionId, string resourceGroup, string service)
{
    public const string ApiVersion = "2022-08-01";

    public string ServiceId => $"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.ApiManagement/service/{service}";

    public Task<JsonObject> PutAsync(string relative, JsonObject body, CancellationToken ct) => SendAsync(HttpMethod.Put, relative, body, ct);

    public Task<JsonObject> GetAsync(string relative, CancellationToken ct) => SendAsync(HttpMethod.Get, relative, null, ct);

    public Task<JsonObject> PostAsync(string relative, CancellationToken ct) => SendAsync(HttpMethod.Post, relative, null, ct);

    public async Task<JsonObject> SendAsync(HttpMethod method, string relative, JsonObject? body, CancellationToken ct)
    {
        var url = $"{baseUrl.TrimEnd('/')}{ServiceId}{relative}{(relative.Contains('?') ? '&' : '?')}api-version={ApiVersion}";
        using var request = new HttpRequestMessage(method, url);
        request.Headers.TryAddWithoutValidation("Authorization", token);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {relative} answered {(int)response.StatusCode}: {text}");
        }

        return text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? [];
    }
}
