using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Tollgate.Demo;

/// <summary>Calls Studio's API as the workspace, for the demo's setup: JSON in and out, any non-2xx answer an exception naming the call.</summary>
internal sealed class DemoStudioClient(HttpClient http, string studioUrl, string workspaceToken)
{
    public async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, studioUrl.TrimEnd('/') + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", workspaceToken);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Studio answered {(int)response.StatusCode} to {method} {path}: {text}");
        }

        return JsonNode.Parse(text)!;
    }
}
