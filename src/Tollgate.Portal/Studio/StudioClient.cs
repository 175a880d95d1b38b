using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Studio;

/// <summary>Gives the workspace authorization token the signed-in administrator opens Studio with (none: ask for it).</summary>
public interface IStudioTokenSource
{
    ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken);
}

/// <summary>The token from <c>Tollgate:Portal:StudioToken</c>, or from a delegate (the all-in-one process reads the Studio role's own).</summary>
public sealed class StudioTokenSource(Func<string?> read) : IStudioTokenSource
{
    public ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult(read());
}

/// <summary>
/// The typed client of Studio's own API (<c>/studio/…</c>, the workspace token as <c>Authorization: Bearer</c>). Studio
/// errors have the management API's shape (<c>error.code/message/details[].target</c>), so they come back as the same
/// <see cref="ManagementError"/> values the pages already show next to their fields.
/// </summary>
public sealed class StudioClient(HttpClient http)
{
    public Uri? BaseAddress => http.BaseAddress;

    public Task<ManagementResult> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<ManagementResult> PostAsync(string path, JsonNode? body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);

    public Task<ManagementResult> PutAsync(string path, JsonNode body, CancellationToken ct) => SendAsync(HttpMethod.Put, path, body, ct);

    public Task<ManagementResult> PatchAsync(string path, JsonNode body, CancellationToken ct) => SendAsync(HttpMethod.Patch, path, body, ct);

    public Task<ManagementResult> DeleteAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Delete, path, null, ct);

    /// <summary>
    /// A call with the workspace token given here: for interactive components, whose circuit has no request to take
    /// the signed-in user's token from.
    /// </summary>
    public Task<ManagementResult> SendWithTokenAsync(HttpMethod method, string path, JsonNode? body, string token, CancellationToken ct) =>
        SendAsync(method, path, body, ct, token);

    /// <summary>Checks a workspace token (<c>GET /studio/workspace</c> with it): the workspace, or why not.</summary>
    public Task<ManagementResult> CheckTokenAsync(string token, CancellationToken ct) => SendAsync(HttpMethod.Get, "studio/workspace", null, ct, token);

    /// <summary>Uploads a dataset, streaming <paramref name="body"/> through to Studio.</summary>
    public async Task<ManagementResult> UploadDatasetAsync(string name, string format, Stream body, long? length, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"studio/datasets?name={Uri.EscapeDataString(name)}&format={Uri.EscapeDataString(format)}")
        {
            Content = new StreamContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        request.Content.Headers.ContentLength = length;
        return await SendAsync(request, ct);
    }

    /// <summary>Imports an ONNX model (<c>POST studio/trainedmodels</c>), streaming <paramref name="body"/> through to Studio.</summary>
    public async Task<ManagementResult> ImportOnnxModelAsync(string name, Stream body, long? length, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"studio/trainedmodels?name={Uri.EscapeDataString(name)}&format=onnx")
        {
            Content = new StreamContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentLength = length;
        return await SendAsync(request, ct);
    }

    /// <summary>A trained model as ONNX (<c>GET studio/trainedmodels/{id}/onnx</c>): the file and its name, or Studio's error.</summary>
    public async Task<(byte[]? File, string? FileName, ManagementError? Error)> DownloadOnnxModelAsync(string id, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync($"studio/trainedmodels/{Uri.EscapeDataString(id)}/onnx", ct);
            if (!response.IsSuccessStatusCode)
            {
                return (null, null, ReadError((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
            }

            var name = response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? "model.onnx";
            return (await response.Content.ReadAsByteArrayAsync(ct), name, null);
        }
        catch (HttpRequestException)
        {
            return (null, null, Unavailable().Error);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, null, Unavailable().Error);
        }
    }

    /// <summary>A document Studio serves without the workspace token (a service's <c>swagger.json</c>), by its absolute URL.</summary>
    public async Task<ManagementResult> GetDocumentAsync(string url, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Options.Set(StudioAuthorizationHandler.Anonymous, true);
        return await SendAsync(request, ct);
    }

    private async Task<ManagementResult> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct, string? token = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await SendAsync(request, ct);
    }

    private async Task<ManagementResult> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                var node = text.Length == 0 ? null : JsonNode.Parse(text);
                return new ManagementResult(node as JsonObject ?? new JsonObject { ["value"] = node?.DeepClone() }, null);
            }

            return new ManagementResult(null, ReadError((int)response.StatusCode, text));
        }
        catch (HttpRequestException)
        {
            return Unavailable();
        }
        catch (JsonException)
        {
            return new ManagementResult(null, new ManagementError(502, "BadGateway", "Studio answered with something that is not JSON.", []));
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return Unavailable();
        }
    }

    private ManagementResult Unavailable() => new(null, new ManagementError(503, "StudioUnavailable",
        $"Studio at {http.BaseAddress} did not answer; try again in a moment.", []));

    private static ManagementError ReadError(int status, string text)
    {
        try
        {
            if (JsonNode.Parse(text)?["error"] is JsonObject error)
            {
                var details = (error["details"] as JsonArray ?? []).OfType<JsonObject>()
                    .Select(d => new ErrorDetail((string?)d["target"], (string?)d["message"] ?? "")).ToList();
                return new ManagementError(status, (string?)error["code"] ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)error["message"] ?? "", details);
            }
        }
        catch (JsonException)
        {
            // Not the documented shape: described below by its status.
        }

        return new ManagementError(status, "Error", $"Studio answered {status}.", []);
    }
}

/// <summary>
/// Adds the workspace token to Studio calls: the one the user signed in to Studio with (kept in the protected session
/// cookie), or, for the administrator, the one <see cref="IStudioTokenSource"/> gives.
/// </summary>
public sealed class StudioAuthorizationHandler(IHttpContextAccessor accessor, IStudioTokenSource tokens) : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<bool> Anonymous = new("tollgate-studio-anonymous");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is null && !(request.Options.TryGetValue(Anonymous, out var anonymous) && anonymous)
            && await TokenAsync(accessor.HttpContext?.User, tokens, cancellationToken) is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>The workspace token of <paramref name="user"/>: signed in with one, or the administrator's.</summary>
    public static async ValueTask<string?> TokenAsync(ClaimsPrincipal? user, IStudioTokenSource tokens, CancellationToken ct) =>
        user?.FindFirst(StudioSession.TokenClaim)?.Value is { Length: > 0 } token ? token
        : user?.IsInRole(PortalHosting.AdministratorRole) == true ? await tokens.GetTokenAsync(ct)
        : null;
}
