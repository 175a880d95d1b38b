using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Analytics;
using Tollgate.Core.Gateway;
using Tollgate.Core.Resources;
using Tollgate.Management.Api.Resources;
using Tollgate.Management.Analytics;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;
using Tollgate.ServiceDefaults;

namespace Tollgate.Management.Api;

/// <summary>
/// The ARM-shaped management API of APIM 2022-08-01:
/// <c>/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ApiManagement/service/{name}/...?api-version=2022-08-01</c>.
/// </summary>
public static partial class ManagementEndpoints
{
    public static IEndpointRouteBuilder MapManagementApi(this IEndpointRouteBuilder app)
    {
        app.MapResourceApis();
        app.MapGet("/internal/gateway/snapshot", async (HttpContext http, string? service, long? since, SnapshotFeed feed, TimeProvider time) =>
        {
            // A gateway that names no instance serves the first one, as the all-in-one gateway does.
            var snapshot = await feed.WaitNewerAsync(service, since ?? -1, TimeSpan.FromSeconds(30), time, http.RequestAborted);
            return snapshot is null ? Results.NoContent() : Results.Json(snapshot, SnapshotJson.Options);
        });
        // Gateways serving several instances: {"services":"*"|"a,b","known":{"a":12}} answers the snapshots of the
        // instances that changed since (new ones, newer revisions, deletions), or 204 after 30 s without a change.
        app.MapPost("/internal/gateway/snapshots", async (HttpContext http, SnapshotFeed feed, TimeProvider time) =>
        {
            GatewaySnapshotsRequest? body;
            try
            {
                body = await http.Request.ReadFromJsonAsync<GatewaySnapshotsRequest>(SnapshotJson.Options, http.RequestAborted);
            }
            catch (JsonException e)
            {
                await WriteAsync(http, new ArmException(400, "InvalidRequestContent", "The body must be {\"services\":\"*\",\"known\":{\"name\":revision}}: " + e.Message));
                return Results.Empty;
            }

            var services = body?.Services ?? "*";
            var snapshots = await feed.WaitChangesAsync(name => GatewayServiceList.Contains(services, name), body?.Known ?? new Dictionary<string, long>(), TimeSpan.FromSeconds(30), time, http.RequestAborted);
            return snapshots.Count == 0 ? Results.NoContent() : Results.Json(snapshots, SnapshotJson.Options);
        });
        app.MapPost("/internal/gateway/records", ReceiveRecordsAsync);
        MapPortalAdministrator(app);
        MapDeveloperAccounts(app);
        return app;
    }

    /// <summary>
    /// The ARM routes: the lists of instances, then one group per instance where each resource maps its own routes
    /// (<c>Api/Resources/*Api.cs</c>) and the group's filter does what every call shares (<see cref="ManagementRoutes"/>).
    /// The management OpenAPI document is made from these endpoints (<see cref="ManagementOpenApi"/>).
    /// </summary>
    public static IEndpointRouteBuilder MapResourceApis(this IEndpointRouteBuilder app)
    {
        app.MapServiceListApi();
        app.MapInstanceGroup()
            .MapServiceApi()
            .MapApisApi()
            .MapApiVersionsApi()
            .MapProductsApi()
            .MapGroupsApi()
            .MapUsersApi()
            .MapSubscriptionsApi()
            .MapNamedValuesApi()
            .MapTagsApi()
            .MapSchemasApi()
            .MapBackendsApi()
            .MapCertificatesApi()
            .MapPoliciesApi()
            .MapPolicyFragmentsApi()
            .MapTemplatesApi()
            .MapNotificationsApi()
            .MapTenantAccessApi()
            .MapReportsApi()
            .MapPortalSettingsApi()
            .MapUnknownPaths();
        return app;
    }

    /// <summary>
    /// The portal's administrator sign-in (internal: called by the portal, signed with the tenant key like every
    /// management call). <c>POST /internal/administrator/signin</c> <c>{"userName":"1","password":"…"}</c> answers 200,
    /// 401 InvalidCredentials or 429 TooManyFailedSignIns; <c>POST /internal/administrator/password</c>
    /// <c>{"currentPassword":"…","newPassword":"…"}</c> answers 204 or 400 naming the field.
    /// </summary>
    private static void MapPortalAdministrator(IEndpointRouteBuilder app)
    {
        app.MapPost("/internal/administrator/signin", (HttpContext http, PortalAdministrator administrator) => Handle(http, async ct =>
        {
            var body = await ReadBodyAsync(http, ct);
            var result = await administrator.SignInAsync(Text(body, "userName"), Text(body, "password"), ct);
            switch (result.Outcome)
            {
                case PortalAdministrator.SignInOutcome.Success:
                    return Json(new JsonObject { ["userId"] = PortalAdministrator.UserId });
                case PortalAdministrator.SignInOutcome.LockedOut:
                    var until = result.LockedUntil!.Value;
                    var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling((until - now).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                    return Json(new ArmException(429, "TooManyFailedSignIns",
                        $"Too many failed sign-ins: sign-in is locked until {until.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture)} UTC.").ToJson(), 429);
                default:
                    return Json(new ArmException(401, "InvalidCredentials", "The user name or password is not correct.").ToJson(), 401);
            }
        }));
        app.MapPost("/internal/administrator/password", (HttpContext http, PortalAdministrator administrator) => Handle(http, async ct =>
        {
            var body = await ReadBodyAsync(http, ct);
            if (await administrator.ChangePasswordAsync(Text(body, "currentPassword"), Text(body, "newPassword"), ct) is { } problem)
            {
                throw ArmException.Validation(problem.Target, problem.Message);
            }

            return Results.NoContent();
        }));

        static string? Text(JsonObject body, string name) =>
            body[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
    }

    /// <summary>
    /// The developer portal's sign-in of an instance's users (internal: called by the portal, signed with the tenant key).
    /// <c>POST /internal/developer/signin</c> <c>{"instance":"/subscriptions/…/service/{name}","email","password"}</c>
    /// answers 200 <c>{"userId","email","firstName","lastName"}</c>, 401 InvalidCredentials, 403 UserBlocked or
    /// UserPending, 429 TooManyFailedSignIns; <c>POST /internal/developer/password</c>
    /// <c>{"instance","userId","currentPassword","newPassword"}</c> answers 204 or 400 naming the field.
    /// </summary>
    private static void MapDeveloperAccounts(IEndpointRouteBuilder app)
    {
        app.MapPost("/internal/developer/signin", (HttpContext http, DeveloperAccounts accounts) => Handle(http, async ct =>
        {
            var body = await ReadBodyAsync(http, ct);
            var result = await accounts.SignInAsync(InstanceScope(body), BodyText(body, "email"), BodyText(body, "password"), ct);
            switch (result.Outcome)
            {
                case DeveloperAccounts.SignInOutcome.Success:
                    return Json(result.User!);
                case DeveloperAccounts.SignInOutcome.LockedOut:
                    var until = result.LockedUntil!.Value;
                    var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling((until - now).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                    return Json(new ArmException(429, "TooManyFailedSignIns",
                        $"Too many failed sign-ins: sign-in is locked until {until.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture)} UTC.").ToJson(), 429);
                case DeveloperAccounts.SignInOutcome.Blocked:
                    return Json(new ArmException(403, "UserBlocked", "This account is blocked: contact the administrator of this developer portal.").ToJson(), 403);
                case DeveloperAccounts.SignInOutcome.Pending:
                    return Json(new ArmException(403, "UserPending", "This account is not confirmed yet: open the link in the confirmation e-mail first.").ToJson(), 403);
                default:
                    return Json(new ArmException(401, "InvalidCredentials", "The e-mail or password is not correct.").ToJson(), 401);
            }
        }));
        app.MapPost("/internal/developer/password", (HttpContext http, DeveloperAccounts accounts) => Handle(http, async ct =>
        {
            var body = await ReadBodyAsync(http, ct);
            if (await accounts.ChangePasswordAsync(InstanceScope(body), BodyText(body, "userId"), BodyText(body, "currentPassword"), BodyText(body, "newPassword"), ct) is { } problem)
            {
                throw ArmException.Validation(problem.Target, problem.Message);
            }

            return Results.NoContent();
        }));

        // The sign-up confirmation link's token: 200 with the user (now active) or 400 naming "token".
        app.MapPost("/internal/developer/confirm", (HttpContext http, DeveloperAccounts accounts) => Handle(http, async ct =>
        {
            var body = await ReadBodyAsync(http, ct);
            return await accounts.ConfirmAsync(InstanceScope(body), BodyText(body, "token"), ct) is { } user
                ? Json(user)
                : throw ArmException.Validation("token", "This confirmation link is not valid: it has been used or has expired. Sign in, or sign up again.");
        }));
        // A password reset e-mail: 202 whether or not the e-mail is a user's (the answer never tells).
        app.MapPost("/internal/developer/password-reset", (HttpContext http, DeveloperAccounts accounts) => Handle(http, async ct =>
        {
            var body = await ReadBodyAsync(http, ct);
            await accounts.RequestPasswordResetAsync(InstanceScope(body), BodyText(body, "email"), byAdministrator: false, ct);
            return Results.Accepted();
        }));
        // The reset link's token and the new password: 204, or 400 naming "token" or "newPassword".
        app.MapPost("/internal/developer/password-reset/confirm", (HttpContext http, DeveloperAccounts accounts) => Handle(http, async ct =>
        {
            var body = await ReadBodyAsync(http, ct);
            if (await accounts.ResetPasswordAsync(InstanceScope(body), BodyText(body, "token"), BodyText(body, "newPassword"), ct) is { } problem)
            {
                throw ArmException.Validation(problem.Target, problem.Message);
            }

            return Results.NoContent();
        }));

        // The token of a single sign-on URL (users/{id}/generateSsoUrl): 200 with the user, used up; 400 naming "token"
        // when it is unknown, used or expired; 403 UserBlocked or UserPending.
        app.MapPost("/internal/developer/sso", (HttpContext http, DeveloperAccounts accounts) => Handle(http, async ct =>
        {
            var body = await ReadBodyAsync(http, ct);
            var result = await accounts.SignInWithSsoTokenAsync(InstanceScope(body), BodyText(body, "token"), ct);
            return result.Outcome switch
            {
                DeveloperAccounts.SignInOutcome.Success => Json(result.User!),
                DeveloperAccounts.SignInOutcome.Blocked => Json(new ArmException(403, "UserBlocked", "This account is blocked: contact the administrator of this developer portal.").ToJson(), 403),
                DeveloperAccounts.SignInOutcome.Pending => Json(new ArmException(403, "UserPending", "This account is not confirmed yet: open the link in the confirmation e-mail first.").ToJson(), 403),
                _ => throw ArmException.Validation("token", "This sign-in link is not valid: it has been used or has expired. Sign in with your e-mail and password."),
            };
        }));
        // A user token (users/{id}/token), checked: 200 {"userId"} while it is genuine, unexpired and its user active; else 401 saying why.
        app.MapPost("/internal/developer/token", (HttpContext http, UserTokens userTokens) => Handle(http, async ct =>
        {
            var body = await ReadBodyAsync(http, ct);
            var (userId, problem) = await userTokens.ValidateAsync(InstanceScope(body), BodyText(body, "token"), ct);
            return userId is not null
                ? Json(new JsonObject { ["userId"] = userId })
                : Json(new ArmException(401, "InvalidToken", problem!).ToJson(), 401);
        }));

        static ServiceScope InstanceScope(JsonObject body)
        {
            var match = InstancePathPattern().Match(BodyText(body, "instance") ?? "");
            return match.Success
                ? new ServiceScope(match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value)
                : throw ArmException.Validation("instance", "'instance' must be an instance's ARM path: /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ApiManagement/service/{name}.");
        }
    }

    private static string? BodyText(JsonObject body, string name) =>
        body[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    [GeneratedRegex("^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft.ApiManagement/service/([^/]+)$", RegexOptions.IgnoreCase)]
    private static partial Regex InstancePathPattern();

    /// <summary>Requires a valid <c>SharedAccessSignature</c> on the management API and internal endpoints.</summary>
    public static IApplicationBuilder UseSharedAccessSignature(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var path = http.Request.Path;
        if (path.StartsWithSegments("/subscriptions", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/internal", StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments("/tollgate", StringComparison.OrdinalIgnoreCase))
        {
            var authorization = http.Request.Headers.Authorization.ToString();
            string? problem;
            if (BearerJwt(authorization) is { } jwt)
            {
                // A service principal's token from POST /oauth2/v2.0/token.
                problem = await http.RequestServices.GetRequiredService<ServicePrincipals>().ValidateAsync(jwt, http.RequestAborted);
            }
            else
            {
                problem = await http.RequestServices.GetRequiredService<TenantAccess>().ValidateAsync(authorization, http.RequestAborted);
            }

            if (problem is not null)
            {
                http.Response.Headers.WWWAuthenticate = "SharedAccessSignature, Bearer";
                await WriteAsync(http, new ArmException(401, "Unauthorized", problem));
                return;
            }
        }

        await next(http);
    });

    /// <summary>The token of <c>Authorization: Bearer {JWT}</c> (three base64url parts), else null (a SharedAccessSignature, bearer or not).</summary>
    private static string? BearerJwt(string authorization)
    {
        const string Bearer = "Bearer ";
        if (!authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = authorization[Bearer.Length..].Trim();
        return token.Count(c => c == '.') == 2 && !token.Contains('=') && !token.Contains(' ') ? token : null;
    }

    internal static void CheckApiVersion(HttpContext http)
    {
        var version = http.Request.Query["api-version"].FirstOrDefault();
        if (string.IsNullOrEmpty(version))
        {
            throw new ArmException(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        }

        if (!ApiVersionPattern().IsMatch(version))
        {
            throw new ArmException(400, "InvalidApiVersionParameter", $"The api-version '{version}' is invalid. Use an APIM api-version such as '2022-08-01'.");
        }
    }

    /// <summary>Reads the JSON body; malformed JSON is a 400 naming where it broke.</summary>
    internal static async Task<JsonObject> ReadBodyAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Items["body"] is JsonObject cached)
        {
            return cached;
        }

        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(http.Request.Body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }, cancellationToken: ct);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {ex.BytePositionInLine + 1}" : "";
            throw new ArmException(400, "InvalidRequestContent", $"The request content is not valid JSON{where}.",
                [new ValidationError(string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.'), ex.Message.Split(" Path:")[0])]);
        }

        if (node is not JsonObject obj)
        {
            throw new ArmException(400, "InvalidRequestContent", "The request body must be a JSON object.", [new ValidationError("body", "Expected a JSON object such as {\"properties\":{...}}.")]);
        }

        http.Items["body"] = obj;
        return obj;
    }

    internal static async Task<IResult> Handle(HttpContext http, Func<CancellationToken, Task<IResult>> action)
    {
        try
        {
            if (http.Request.Method is "PUT" or "PATCH" && (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0))
            {
                await ReadBodyAsync(http, http.RequestAborted);
            }

            return await action(http.RequestAborted);
        }
        catch (ArmException ex)
        {
            return Json(ex.ToJson(), ex.StatusCode);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Never an empty 500: the documented error shape, and the exception in the log.
            ManagementLog.RequestFailed(
                http.RequestServices.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("Tollgate.Management.Api"),
                http.Request.Method, http.Request.Path.Value ?? "", ex);
            return Json(new ArmException(500, "InternalError", "The request failed on the server; see the management log for details.").ToJson(), 500);
        }
    }

    /// <summary>
    /// <c>POST /internal/gateway/records</c>: a batch of request records from a gateway running apart from management
    /// (a JSON array, at most <see cref="RecordBatch.MaxRecords"/> records), queued for the request log like the
    /// local gateway's; the post waits while the writer's queue is full. 202 with the count taken; 400 naming the first
    /// record and field that is wrong (the gateway does not send that batch again).
    /// </summary>
    private static async Task ReceiveRecordsAsync(HttpContext http, RequestRecordChannel channel, AnalyticsWriter writer, Analytics.IAnalyticsStore store, TimeProvider time)
    {
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = RecordBatch.MaxBytes;
        }

        List<RequestRecord>? records;
        try
        {
            records = await http.Request.ReadFromJsonAsync<List<RequestRecord>>(RecordBatch.Json, http.RequestAborted);
        }
        catch (Exception e) when (e is JsonException or BadHttpRequestException)
        {
            await WriteAsync(http, new ArmException(400, "InvalidRequestContent", "The body must be a JSON array of request records: " + e.Message));
            return;
        }

        records ??= [];
        if (records.Count > RecordBatch.MaxRecords)
        {
            await WriteAsync(http, new ArmException(400, "InvalidRequestContent", $"At most {RecordBatch.MaxRecords} records in one post; this one has {records.Count}."));
            return;
        }

        for (var i = 0; i < records.Count; i++)
        {
            if (RecordBatch.Problem(records[i], i) is { } problem)
            {
                await WriteAsync(http, new ArmException(400, "InvalidRequestContent", problem));
                return;
            }
        }

        // A batch named by the gateway (RecordBatch.IdHeader) is taken once: sent again after the gateway died
        // before it saw the answer, it is acknowledged and not queued a second time.
        var batchId = http.Request.Headers[RecordBatch.IdHeader].ToString();
        if (!RecordBatch.IsId(batchId))
        {
            batchId = "";
        }

        if (batchId.Length > 0 && records.Count > 0 && !await store.TryMarkBatchReceivedAsync(batchId, time.GetUtcNow(), http.RequestAborted))
        {
            http.Response.StatusCode = StatusCodes.Status202Accepted;
            await http.Response.WriteAsJsonAsync(new JsonObject { ["accepted"] = 0, ["duplicate"] = true }, http.RequestAborted);
            return;
        }

        try
        {
            foreach (var record in records)
            {
                await channel.WriteAsync(record, http.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (batchId.Length > 0)
        {
            // Not every record was queued: the gateway gets no answer and sends the batch again, which must be taken then.
            await store.ForgetBatchReceivedAsync(batchId, CancellationToken.None);
            throw;
        }

        writer.CountReceived(records.Count);
        http.Response.StatusCode = StatusCodes.Status202Accepted;
        await http.Response.WriteAsJsonAsync(new JsonObject { ["accepted"] = records.Count }, http.RequestAborted);
    }

    internal static Task WriteAsync(HttpContext http, ArmException ex)
    {
        http.Response.StatusCode = ex.StatusCode;
        return http.Response.WriteAsJsonAsync(ex.ToJson(), http.RequestAborted);
    }

    internal static IResult Resource(JsonObject body, string etag, int status)
    {
        return new ResourceResult(body, etag, status);
    }

    internal static IResult Json(JsonNode body, int status = 200) => Results.Json(body, statusCode: status);

    /// <summary>A report as CSV: <c>format=csv</c> in the query, or <c>Accept: text/csv</c>.</summary>
    internal static bool WantsCsv(HttpContext http) =>
        string.Equals(http.Request.Query["format"].FirstOrDefault(), "csv", StringComparison.OrdinalIgnoreCase)
        || http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase));

    internal static IResult MethodNotAllowed() =>
        Json(new ArmException(405, "MethodNotAllowed", "The HTTP method is not supported on this resource.").ToJson(), 405);

    /// <summary>A whole list as one page (no nextLink).</summary>
    internal static ResourcePage AllOf(IReadOnlyList<JsonObject> items) => new(items, items.Count, null);

    internal static IResult Page(ResourcePage page, HttpContext http)
    {
        var array = new JsonArray();
        foreach (var i in page.Items)
        {
            array.Add(i);
        }

        string? nextLink = null;
        if (page.NextSkip is { } next)
        {
            var query = http.Request.Query.Where(kv => kv.Key != "$skip").SelectMany(kv => kv.Value.Select(v => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(v ?? "")}"));
            nextLink = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{http.Request.Path}?{string.Join("&", query)}&$skip={next}";
        }

        return Json(new JsonObject { ["value"] = array, ["count"] = page.Count, ["nextLink"] = nextLink });
    }

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$")]
    private static partial Regex ApiVersionPattern();

    private sealed class ResourceResult(JsonObject body, string etag, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.ETag = $"\"{etag}\"";
            httpContext.Response.StatusCode = status;
            return httpContext.Request.Method == "HEAD" ? Task.CompletedTask : httpContext.Response.WriteAsJsonAsync<JsonNode>(body, httpContext.RequestAborted);
        }
    }
}

/// <summary>Body of <c>POST /internal/gateway/snapshots</c>: the instances a gateway serves and the revisions it has.</summary>
public sealed record GatewaySnapshotsRequest(string? Services, Dictionary<string, long>? Known);

/// <summary>JSON settings for snapshots on the wire (long-poll to remote gateways).</summary>
public static class SnapshotJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}

internal static partial class ManagementLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(EventIds.ManagementRequestFailed, Microsoft.Extensions.Logging.LogLevel.Error, "Management request {Method} {Path} failed.")]
    public static partial void RequestFailed(Microsoft.Extensions.Logging.ILogger logger, string method, string path, Exception exception);
}
