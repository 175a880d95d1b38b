using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Portal.Management;

/// <summary>One problem the management API named: <c>error.details[]</c> (<see cref="Target"/> is the field).</summary>
public sealed record ErrorDetail(string? Target, string Message);

/// <summary>A management API error (<c>{"error":{"code","message","details":[{"target","message"}]}}</c>) or an unreachable API.</summary>
public sealed record ManagementError(int Status, string Code, string Message, IReadOnlyList<ErrorDetail> Details)
{
    /// <summary>The messages for <paramref name="field"/>: details whose target is the field or one of its parts (<c>templateParameters[0].name</c>).</summary>
    public IEnumerable<string> For(string field) => Details
        .Where(d => d.Target is { } t && (string.Equals(t, field, StringComparison.OrdinalIgnoreCase)
            || t.StartsWith(field + "[", StringComparison.OrdinalIgnoreCase) || t.StartsWith(field + ".", StringComparison.OrdinalIgnoreCase)
            || t.StartsWith("properties." + field, StringComparison.OrdinalIgnoreCase)))
        .Select(d => d.Message);

    /// <summary>Problems not about any of <paramref name="fields"/> (shown above the form).</summary>
    public IEnumerable<string> Unplaced(IEnumerable<string> fields)
    {
        var known = fields.ToList();
        var placed = known.SelectMany(For).ToHashSet();
        var rest = Details.Select(d => d.Message).Where(m => !placed.Contains(m)).ToList();
        return Details.Count == 0 ? [Message] : rest;
    }
}

/// <summary>The answer of one management call: the JSON body, or the error.</summary>
public sealed record ManagementResult(JsonObject? Body, ManagementError? Error)
{
    public bool Ok => Error is null;
}

/// <summary>
/// The typed client of the ARM-shaped management API: every call carries <c>api-version</c> and a
/// <c>SharedAccessSignature</c> (added by <see cref="ManagementAuthorizationHandler"/>). Errors come back as values,
/// never as exceptions: pages show them next to their field.
/// </summary>
public sealed class ManagementApi(HttpClient http, PortalOptions options)
{
    public const string ApiVersion = "2022-08-01";

    private string Instances => $"/subscriptions/{Uri.EscapeDataString(options.SubscriptionId)}/resourceGroups/{Uri.EscapeDataString(options.ResourceGroup)}/providers/Microsoft.ApiManagement/service";

    /// <summary>The ARM path of an instance.</summary>
    public string InstancePath(string instance) => $"{Instances}/{Uri.EscapeDataString(instance)}";

    public Task<ManagementResult> ListInstancesAsync(CancellationToken ct) => SendAsync(HttpMethod.Get, Instances, null, ct);

    public Task<ManagementResult> GetAsync(string instance, string relative, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, InstancePath(instance) + relative, null, ct);

    public Task<ManagementResult> PutAsync(string instance, string relative, JsonObject body, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, InstancePath(instance) + relative, body, ct);

    public Task<ManagementResult> PatchAsync(string instance, string relative, JsonObject body, CancellationToken ct) =>
        SendAsync(HttpMethod.Patch, InstancePath(instance) + relative, body, ct);

    public Task<ManagementResult> DeleteAsync(string instance, string relative, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, InstancePath(instance) + relative, null, ct);

    /// <summary>A page of a collection (<c>$filter</c>, <c>$top</c>, <c>$skip</c> are applied by the management API).</summary>
    public async Task<(IReadOnlyList<JsonObject> Items, int Count, ManagementError? Error)> ListAsync(string instance, string relative, string? filter, int top, int skip, CancellationToken ct)
    {
        // relative may carry a query of its own (apisByTags?includeNotTaggedApis=true).
        var query = (relative.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"$top={top}&$skip={skip}"
            + (string.IsNullOrEmpty(filter) ? "" : "&$filter=" + Uri.EscapeDataString(filter));
        var result = await SendAsync(HttpMethod.Get, InstancePath(instance) + relative + query, null, ct);
        if (!result.Ok)
        {
            return ([], 0, result.Error);
        }

        var items = (result.Body!["value"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        return (items, (int?)result.Body["count"] ?? items.Count, null);
    }

    /// <summary>
    /// An id for a new resource of <paramref name="collection"/> (<c>/apis</c>): <paramref name="baseId"/>, with a number
    /// added while one is taken (a PUT on a taken id would update that resource).
    /// </summary>
    public async Task<(string? Id, ManagementError? Error)> FreeIdAsync(string instance, string collection, string baseId, string field, CancellationToken ct)
    {
        for (var n = 1; n < 100; n++)
        {
            var id = n == 1 ? baseId : $"{baseId}-{n}";
            var existing = await GetAsync(instance, $"{collection}/{Uri.EscapeDataString(id)}", ct);
            if (existing.Error is { Status: 404 })
            {
                return (id, null);
            }

            if (!existing.Ok)
            {
                return (null, existing.Error);
            }
        }

        return (null, new ManagementError(409, "Conflict", "", [new ErrorDetail(field, "Too many resources have this name; choose another.")]));
    }

    /// <summary>
    /// An API as an OpenAPI or Swagger document (<paramref name="linkFormat"/> <c>openapi-link</c>, <c>openapi+json-link</c>
    /// or <c>swagger-link</c>): management answers with a short-lived link, which is then read.
    /// </summary>
    public async Task<(string Text, string ContentType, ManagementError? Error)> ExportApiAsync(string instance, string apiId, string linkFormat, CancellationToken ct)
    {
        var linked = await GetAsync(instance, $"/apis/{Uri.EscapeDataString(apiId)}?export=true&format={Uri.EscapeDataString(linkFormat)}", ct);
        if (!linked.Ok)
        {
            return ("", "", linked.Error);
        }

        if (!Uri.TryCreate((string?)linked.Body!["value"]?["link"], UriKind.Absolute, out var link))
        {
            return ("", "", new ManagementError(502, "BadExportLink", "The management API gave no export link.", []));
        }

        try
        {
            using var response = await http.GetAsync(link, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            return response.IsSuccessStatusCode
                ? (text, response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream", null)
                : ("", "", ReadError(response.StatusCode, text));
        }
        catch (HttpRequestException)
        {
            return ("", "", Unavailable().Error);
        }
    }

    /// <summary>Checks the administrator's sign-in (<c>POST /internal/administrator/signin</c>).</summary>
    public Task<ManagementResult> SignInAsync(string userName, string password, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/internal/administrator/signin", new JsonObject { ["userName"] = userName, ["password"] = password }, ct);

    /// <summary>Changes the administrator's password (<c>POST /internal/administrator/password</c>).</summary>
    public Task<ManagementResult> ChangePasswordAsync(string currentPassword, string newPassword, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/internal/administrator/password", new JsonObject { ["currentPassword"] = currentPassword, ["newPassword"] = newPassword }, ct);

    /// <summary>Checks a developer's sign-in to an instance (<c>POST /internal/developer/signin</c>): the user, or 401/403/429.</summary>
    public Task<ManagementResult> DeveloperSignInAsync(string instance, string email, string password, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/internal/developer/signin", new JsonObject { ["instance"] = InstancePath(instance), ["email"] = email, ["password"] = password }, ct);

    /// <summary>Changes a developer's password (<c>POST /internal/developer/password</c>): 204, or 400 naming the field.</summary>
    public Task<ManagementResult> DeveloperChangePasswordAsync(string instance, string userId, string currentPassword, string newPassword, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/internal/developer/password", new JsonObject
        {
            ["instance"] = InstancePath(instance), ["userId"] = userId, ["currentPassword"] = currentPassword, ["newPassword"] = newPassword,
        }, ct);

    /// <summary>Confirms a developer's sign-up with the token of the e-mail's link (<c>POST /internal/developer/confirm</c>): the user, or 400 naming "token".</summary>
    public Task<ManagementResult> DeveloperConfirmAsync(string instance, string token, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/internal/developer/confirm", new JsonObject { ["instance"] = InstancePath(instance), ["token"] = token }, ct);

    /// <summary>Uses up the token of a single sign-on URL (<c>POST /internal/developer/sso</c>): the user, 400 naming "token", or 403.</summary>
    public Task<ManagementResult> DeveloperSsoAsync(string instance, string token, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/internal/developer/sso", new JsonObject { ["instance"] = InstancePath(instance), ["token"] = token }, ct);

    /// <summary>Asks for a password reset e-mail (<c>POST /internal/developer/password-reset</c>): 202 whether or not the e-mail is a user's.</summary>
    public Task<ManagementResult> DeveloperRequestPasswordResetAsync(string instance, string email, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/internal/developer/password-reset", new JsonObject { ["instance"] = InstancePath(instance), ["email"] = email }, ct);

    /// <summary>Sets a new password with a reset link's token (<c>POST /internal/developer/password-reset/confirm</c>): 204, or 400 naming "token" or "newPassword".</summary>
    public Task<ManagementResult> DeveloperResetPasswordAsync(string instance, string token, string newPassword, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/internal/developer/password-reset/confirm", new JsonObject
        {
            ["instance"] = InstancePath(instance), ["token"] = token, ["newPassword"] = newPassword,
        }, ct);

    private async Task<ManagementResult> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
    {
        var url = path + (path.Contains('?') ? "&" : "?") + "api-version=" + ApiVersion;
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create<JsonNode>(body);
        }

        try
        {
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                return new ManagementResult(text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? [], null);
            }

            return new ManagementResult(null, ReadError(response.StatusCode, text));
        }
        catch (HttpRequestException)
        {
            return Unavailable();
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return Unavailable();
        }
    }

    private ManagementResult Unavailable() => new(null, new ManagementError(503, "ManagementUnavailable",
        $"The management API at {http.BaseAddress} did not answer; try again in a moment.", []));

    private static ManagementError ReadError(HttpStatusCode status, string text)
    {
        try
        {
            if (JsonNode.Parse(text)?["error"] is JsonObject error)
            {
                var details = (error["details"] as JsonArray ?? []).OfType<JsonObject>()
                    .Select(d => new ErrorDetail((string?)d["target"], (string?)d["message"] ?? "")).ToList();
                return new ManagementError((int)status, (string?)error["code"] ?? status.ToString(), (string?)error["message"] ?? "", details);
            }
        }
        catch (JsonException)
        {
            // Not the documented shape: described below by its status.
        }

        return new ManagementError((int)status, status.ToString(), $"The management API answered {(int)status} {status}.", []);
    }

    /// <summary>An action on a resource (<c>POST …/listSecrets</c>, <c>…/regeneratePrimaryKey</c>, <c>namedValues/{id}/listValue</c>).</summary>
    public Task<ManagementResult> PostAsync(string instance, string relative, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, InstancePath(instance) + relative, null, ct);

    /// <summary>An action with a body (<c>POST …/templates/{name}/preview</c>, <c>…/sendTest</c>).</summary>
    public Task<ManagementResult> PostAsync(string instance, string relative, JsonObject body, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, InstancePath(instance) + relative, body, ct);

    /// <summary>The mail folder (<c>GET /tollgate/mail</c>): <c>delivery</c> (<c>folder</c> or <c>smtp</c>) and the messages, newest first.</summary>
    public Task<ManagementResult> ListMailAsync(int top, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"/tollgate/mail?$top={top}", null, ct);

    /// <summary>One message of the mail folder (<c>GET /tollgate/mail/{id}</c>): headers, text and HTML parts.</summary>
    public Task<ManagementResult> GetMailAsync(string id, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"/tollgate/mail/{Uri.EscapeDataString(id)}", null, ct);

    /// <summary>Deletes a resource with a query (<c>deleteSubscriptions=true</c> for a product with subscriptions).</summary>
    public Task<ManagementResult> DeleteAsync(string instance, string relative, string query, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, InstancePath(instance) + relative + "?" + query, null, ct);

    /// <summary>The instance itself (<c>GET service/{name}</c>: publisher name and e-mail, notification sender).</summary>
    public Task<ManagementResult> GetInstanceAsync(string instance, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, InstancePath(instance), null, ct);

    /// <summary>Changes the instance's properties (<c>PATCH service/{name}</c>).</summary>
    public Task<ManagementResult> PatchInstanceAsync(string instance, JsonObject body, CancellationToken ct) =>
        SendAsync(HttpMethod.Patch, InstancePath(instance), body, ct);

    /// <summary>A GET whose answer is bytes with a content type (the branding's logo).</summary>
    public async Task<(byte[] Content, string ContentType, ManagementError? Error)> GetBytesAsync(string instance, string relative, CancellationToken ct)
    {
        var path = InstancePath(instance) + relative;
        var url = path + (path.Contains('?') ? "&" : "?") + "api-version=" + ApiVersion;
        try
        {
            using var response = await http.GetAsync(url, ct);
            if (!response.IsSuccessStatusCode)
            {
                return ([], "", ReadError(response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
            }

            return (await response.Content.ReadAsByteArrayAsync(ct), response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream", null);
        }
        catch (HttpRequestException)
        {
            return ([], "", Unavailable().Error);
        }
    }

    /// <summary>A GET whose answer is text (a report as CSV).</summary>
    public async Task<(string Text, ManagementError? Error)> GetTextAsync(string instance, string relative, CancellationToken ct)
    {
        var path = InstancePath(instance) + relative;
        var url = path + (path.Contains('?') ? "&" : "?") + "api-version=" + ApiVersion;
        try
        {
            using var response = await http.GetAsync(url, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            return response.IsSuccessStatusCode ? (text, null) : ("", ReadError(response.StatusCode, text));
        }
        catch (HttpRequestException)
        {
            return ("", Unavailable().Error);
        }
    }
}

/// <summary>Adds the <c>SharedAccessSignature</c> to every management call.</summary>
public sealed class ManagementAuthorizationHandler(IManagementTokenSource tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.TryAddWithoutValidation("Authorization", await tokens.GetTokenAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}
