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
    private const string ServicePath = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.ApiManagement/service";

    public static IEndpointRouteBuilder MapManagementApi(this IEndpointRouteBuilder app)
    {
        app.MapResourceApis();
        app.Map(ServicePath + "/{serviceName}/{**rest}", (HttpContext http, string subscriptionId, string resourceGroup, string serviceName, string? rest, ResourceService resources, TenantAccess tenant) =>
            Handle(http, async ct =>
            {
                var scope = new ServiceScope(subscriptionId, resourceGroup, serviceName);
                if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
                {
                    return await DispatchAsync(http, scope, rest ?? "", resources, tenant, ct);
                }

                // An import from a link downloads its document first, outside the write lock.
                await http.RequestServices.GetRequiredService<LinkedDocuments>().ResolveImportAsync(http, rest ?? "", ct);
                return await resources.SerializedAsync(() => DispatchAsync(http, scope, rest ?? "", resources, tenant, ct), ct);
            }));
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
            .MapPortalSettingsApi();
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

    private static async Task<IResult> DispatchAsync(HttpContext http, ServiceScope scope, string rest, ResourceService resources, TenantAccess tenant, CancellationToken ct)
    {
        CheckApiVersion(http);
        var method = http.Request.Method.ToUpperInvariant();
        var q = http.Request.Query;
        var filter = q["$filter"].FirstOrDefault();
        var top = IntQuery(http, "$top");
        var skip = IntQuery(http, "$skip");
        var ifMatch = http.Request.Headers.IfMatch.FirstOrDefault();
        var deleteSubscriptions = string.Equals(q["deleteSubscriptions"].FirstOrDefault(), "true", StringComparison.OrdinalIgnoreCase);
        var segments = rest.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        // APIM addresses an API's revisions as "apis/{apiId};rev={n}" (ManagementEndpoints.Versions); elsewhere an API is the API.
        var revisionAddressed = await ResolveApiRevisionAsync(segments, scope, resources, ct);
        for (var i = revisionAddressed ? 2 : 0; i < segments.Length; i++)
        {
            var rev = segments[i].IndexOf(";rev=", StringComparison.OrdinalIgnoreCase);
            if (rev > 0)
            {
                segments[i] = segments[i][..rev];
            }
        }

        if (await VersionsAsync(http, method, scope, segments, revisionAddressed, resources, filter, top, skip, ifMatch, ct) is { } versions)
        {
            return versions;
        }

        switch (segments)
        {
            case []:
                return method switch
                {
                    "GET" => Json(await resources.GetServiceAsync(scope, ct)),
                    "PUT" => await PutServiceAsync(http, scope, resources, ct),
                    "PATCH" => Json(await resources.PatchServiceAsync(scope, await ReadBodyAsync(http, ct), ct)),
                    "DELETE" => await DeleteServiceAsync(scope, resources, ct),
                    _ => MethodNotAllowed(),
                };
            case ["tenant", "access"] when method == "GET":
                var c = await tenant.GetAsync(ct);
                return Json(new JsonObject { ["id"] = $"{scope.BaseId}/tenant/access", ["type"] = "Microsoft.ApiManagement/service/tenant", ["name"] = "access", ["properties"] = new JsonObject { ["principalId"] = c.Id, ["enabled"] = c.Enabled } });
            case ["tenant", "access", "listSecrets"] when method == "POST":
                var s = await tenant.GetAsync(ct);
                return Json(new JsonObject { ["id"] = "access", ["principalId"] = s.Id, ["primaryKey"] = s.PrimaryKey, ["secondaryKey"] = s.SecondaryKey, ["enabled"] = s.Enabled });
            case ["tenant", "access", "regeneratePrimaryKey"] when method == "POST":
                await tenant.RegenerateAsync(primary: true, ct);
                return Results.NoContent();
            case ["tenant", "access", "regenerateSecondaryKey"] when method == "POST":
                await tenant.RegenerateAsync(primary: false, ct);
                return Results.NoContent();
            case ["subscriptions", var sid, "usage"] when method == "GET":
                return Json(await Analytics.SubscriptionUsageEndpoint.GetAsync(resources, http.RequestServices.GetRequiredService<Analytics.IAnalyticsStore>(),
                    http.RequestServices.GetService<Analytics.ICurrentUsageSource>(), http.RequestServices.GetRequiredService<TimeProvider>(),
                    scope, sid, filter, q["interval"].FirstOrDefault(), ct));
            case ["users", var uid, "subscriptions", var sid, "usage"] when method == "GET":
                // The developer portal's route: the subscription must be the user's, else it is not found (never saying it exists).
                return Json(await Analytics.SubscriptionUsageEndpoint.GetAsync(resources, http.RequestServices.GetRequiredService<Analytics.IAnalyticsStore>(),
                    http.RequestServices.GetService<Analytics.ICurrentUsageSource>(), http.RequestServices.GetRequiredService<TimeProvider>(),
                    scope, sid, filter, q["interval"].FirstOrDefault(), ct, ownerId: uid));
            case ["portalsettings", "branding"]:
                return method switch
                {
                    "GET" => Json(await resources.GetBrandingAsync(scope, ct)),
                    "PUT" => Json(await resources.SetBrandingAsync(scope, await ReadBodyAsync(http, ct), patch: false, ct)),
                    "PATCH" => Json(await resources.SetBrandingAsync(scope, await ReadBodyAsync(http, ct), patch: true, ct)),
                    _ => MethodNotAllowed(),
                };
            case ["portalsettings", "branding", "logo"] when method == "GET":
                if (await resources.GetBrandingLogoAsync(scope, ct) is not { } logo)
                {
                    throw ArmException.NotFound("Logo");
                }

                // An SVG is sanitized when stored; it is also served so that nothing in it can run, even opened directly.
                http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
                http.Response.Headers.XContentTypeOptions = "nosniff";
                http.Response.Headers.ETag = $"\"{logo.Hash}\"";
                return Results.Bytes(logo.Content, logo.ContentType);
            case ["subscriptions", var sid, "listSecrets"] when method == "POST":
                return Json(await resources.ListSecretsAsync(scope, sid, ct));
            case ["subscriptions", var sid, "regeneratePrimaryKey"] when method == "POST":
                await resources.RegenerateKeyAsync(scope, sid, primary: true, ct);
                return Results.NoContent();
            case ["subscriptions", var sid, "regenerateSecondaryKey"] when method == "POST":
                await resources.RegenerateKeyAsync(scope, sid, primary: false, ct);
                return Results.NoContent();
            case ["namedValues", var nv, "listValue"] when method == "POST":
                return Json(await resources.ListNamedValueAsync(scope, nv, ct));
            case ["namedValues", var refreshed, "refreshSecret"] when method == "POST":
                return Json(await resources.RefreshNamedValueSecretAsync(scope, refreshed, ct));
            case ["policyFragments"] when method == "GET":
                return Json(await http.RequestServices.GetRequiredService<PolicyService>().ListFragmentsAsync(scope, ct));
            case ["policyFragments", var referenced, "listReferences"] when method == "POST":
                return Json(await http.RequestServices.GetRequiredService<PolicyService>().ListFragmentReferencesAsync(scope, referenced, top, skip, ct));
            case ["policyFragments", var fragmentId]:
                return await FragmentAsync(http, method, scope, fragmentId, ct);
            case [.. var owner, "policies", "policy"] when IsPolicyOwner(owner):
                return await PolicyAsync(http, method, scope, new PolicyScope(owner), ct);
            case [.. var owner, "policies"] when method == "GET" && IsPolicyOwner(owner):
                return Json(await http.RequestServices.GetRequiredService<PolicyService>().ListAsync(scope, new PolicyScope(owner), ct));
            case ["templates"] when method == "GET":
                return Page(AllOf(await Mail(http).ListTemplatesAsync(scope, ct)), http);
            case ["templates", var previewName, "preview"] when method == "POST":
                return Json(await Mail(http).PreviewTemplateAsync(scope, previewName, await ReadBodyAsync(http, ct), ct));
            case ["templates", var testName, "sendTest"] when method == "POST":
                return Json(await Mail(http).SendTestAsync(scope, testName, await ReadBodyAsync(http, ct), ct), 202);
            case ["templates", var templateName]:
                switch (method)
                {
                    case "GET":
                    case "HEAD":
                        return Json(await Mail(http).GetTemplateAsync(scope, templateName, ct));
                    case "PUT":
                    case "PATCH":
                        var (template, templateCreated) = await Mail(http).PutTemplateAsync(scope, templateName, await ReadBodyAsync(http, ct), merge: method == "PATCH", ct);
                        return Json(template, templateCreated && method == "PUT" ? 201 : 200);
                    case "DELETE":
                        return await Mail(http).ResetTemplateAsync(scope, templateName, ct) ? Results.Ok() : Results.NoContent();
                    default:
                        return MethodNotAllowed();
                }

            case ["notifications"] when method == "GET":
                return Page(AllOf(await Mail(http).ListNotificationsAsync(scope, ct)), http);
            case ["notifications", var notificationName] when method is "GET" or "PUT":
                return Json(await Mail(http).GetNotificationAsync(scope, notificationName, ct));
            case ["notifications", var notificationName, "recipientEmails" or "recipientUsers"] when method == "GET":
                return Page(AllOf(await Mail(http).ListRecipientsAsync(scope, notificationName, segments[2] == "recipientUsers", ct)), http);
            case ["notifications", var notificationName, "recipientEmails" or "recipientUsers", var recipient]:
                var byUser = segments[2] == "recipientUsers";
                switch (method)
                {
                    case "PUT":
                        var (recipientBody, recipientCreated) = await Mail(http).AddRecipientAsync(scope, notificationName, byUser, recipient, ct);
                        return Json(recipientBody, recipientCreated ? 201 : 200);
                    case "DELETE":
                        return await Mail(http).RemoveRecipientAsync(scope, notificationName, byUser, recipient, ct) ? Results.Ok() : Results.NoContent();
                    case "GET":
                    case "HEAD":
                        return await Mail(http).RecipientExistsAsync(scope, notificationName, byUser, recipient, ct) ? Results.NoContent() : Results.NotFound();
                    default:
                        return MethodNotAllowed();
                }

            case ["users", var identitiesUser, "identities"] when method == "GET":
                return await UserIdentitiesAsync(scope, identitiesUser, resources, ct);
            case ["users", var tokenUser, "token"] when method == "POST":
                return Json(new JsonObject { ["value"] = await http.RequestServices.GetRequiredService<UserTokens>().IssueAsync(scope, tokenUser, await ReadBodyAsync(http, ct), ct) });
            case ["users", var ssoUser, "generateSsoUrl"] when method == "POST":
                return await http.RequestServices.GetRequiredService<DeveloperAccounts>().GenerateSsoUrlAsync(scope, ssoUser, ct) is { } ssoUrl
                    ? Json(new JsonObject { ["value"] = ssoUrl })
                    : Json(ArmException.NotFound("User").ToJson(), 404);
            case ["users", var passwordUser, "confirmations", "password", "send"] when method == "POST":
                // APIM's "User Confirmation Password - Send": the user gets a password reset e-mail.
                return await http.RequestServices.GetRequiredService<DeveloperAccounts>().RequestPasswordResetOfAsync(scope, passwordUser, ct)
                    ? Results.NoContent()
                    : Json(ArmException.NotFound("User").ToJson(), 404);
            case ["reports", var report] when method == "GET":
                await resources.GetServiceAsync(scope, ct);
                var reportBody = await Analytics.ReportsEndpoint.QueryAsync(http.RequestServices.GetRequiredService<Analytics.IAnalyticsStore>(),
                    scope, report, filter, q["interval"].FirstOrDefault(), top, skip, ct);
                if (WantsCsv(http))
                {
                    http.Response.Headers.ContentDisposition = $"attachment; filename=\"{scope.Name}-{report}.csv\"";
                    return Results.Text(Analytics.ReportsEndpoint.ToCsv(reportBody), "text/csv; charset=utf-8");
                }

                return Json(reportBody);
            case ["apis", var api, "tags"] when method == "GET":
                return Page(await resources.ListLinkedAsync(scope, ResourceKind.ApiTag, api, reverse: false, filter, top, skip, ct), http);
            case ["apis", var api, "tags", var tag]:
                return await LinkAsync(http, method, scope, ResourceKind.ApiTag, api, tag, resources, ct);
            case ["tags", var tag, "apis"] when method == "GET":
                return Page(await resources.ListLinkedAsync(scope, ResourceKind.ApiTag, tag, reverse: true, filter, top, skip, ct), http);
            case ["apis", var api, "products"] when method == "GET":
                return Page(await resources.ListLinkedAsync(scope, ResourceKind.ProductApi, api, reverse: true, filter, top, skip, ct), http);
            case ["products", var pid, "apis"] when method == "GET":
                return Page(await resources.ListLinkedAsync(scope, ResourceKind.ProductApi, pid, reverse: false, filter, top, skip, ct), http);
            case ["products", var pid, "apis", var api]:
                return await LinkAsync(http, method, scope, ResourceKind.ProductApi, pid, api, resources, ct);
            case ["products", var pid, "groups"] when method == "GET":
                return Page(await resources.ListLinkedAsync(scope, ResourceKind.ProductGroup, pid, reverse: false, filter, top, skip, ct), http);
            case ["products", var pid, "groups", var gid]:
                return await LinkAsync(http, method, scope, ResourceKind.ProductGroup, pid, gid, resources, ct);
            case ["products", var pid, "subscriptions"] when method == "GET":
                return Page(await resources.ListSubscriptionsOfAsync(scope, ResourceKind.Product, pid, "scope", filter, top, skip, ct), http);
            case ["groups", var gid, "users"] when method == "GET":
                return Page(await resources.ListLinkedAsync(scope, ResourceKind.GroupUser, gid, reverse: false, filter, top, skip, ct), http);
            case ["groups", var gid, "users", var uid]:
                return await LinkAsync(http, method, scope, ResourceKind.GroupUser, gid, uid, resources, ct);
            case ["users", var uid, "groups"] when method == "GET":
                return Page(await resources.ListLinkedAsync(scope, ResourceKind.GroupUser, uid, reverse: true, filter, top, skip, ct), http);
            case ["users", var uid, "subscriptions"] when method == "GET":
                return Page(await resources.ListSubscriptionsOfAsync(scope, ResourceKind.User, uid, "ownerId", filter, top, skip, ct), http);
            case ["users", var uid, "subscriptions", var sid] when method is "GET" or "HEAD":
                var (userSubscription, userSubscriptionETag) = await resources.GetUserSubscriptionAsync(scope, uid, sid, ct);
                return Resource(userSubscription, userSubscriptionETag, 200);
            case ["apis", var api, var children] when method == "GET" && ApiChild(children) is { } childKind:
                await resources.GetAsync(scope, ResourceKind.Api, "", api, ct);
                return Page(await resources.ListAsync(scope, childKind, api, filter, top, skip, ct), http);
            case ["apis", var api, var children, var child] when ApiChild(children) is { } childKind:
                await resources.GetAsync(scope, ResourceKind.Api, "", api, ct);
                return await EntityAsync(http, method, scope, childKind, api, child, resources, ifMatch, deleteSubscriptions, ct);
            case ["apis", var api] when method == "GET" && IsExport(http) && http.Request.Query["format"].FirstOrDefault() is { } linkFormat
                && linkFormat.EndsWith("-link", StringComparison.OrdinalIgnoreCase):
                if (!ExportLinks.Formats.ContainsKey(linkFormat))
                {
                    throw ArmException.Validation("format", $"'{linkFormat}' is not an export format: use {string.Join(", ", ExportLinks.Formats.Keys)} (or openapi+json for the document itself).");
                }

                await resources.GetAsync(scope, ResourceKind.Api, "", api, ct);
                var link = await http.RequestServices.GetRequiredService<ExportLinks>().CreateAsync(http.Request, scope, api, linkFormat, ct);
                // The answer names the result as APIM does: openapi-link for either OpenAPI form, swagger-link-json for Swagger.
                var resultFormat = linkFormat.StartsWith("swagger", StringComparison.OrdinalIgnoreCase) ? "swagger-link-json" : "openapi-link";
                return Json(new JsonObject { ["id"] = $"{scope.BaseId}/apis/{api}", ["format"] = resultFormat, ["value"] = new JsonObject { ["link"] = link } });
            case ["apis", var api] when method == "GET" && IsExport(http):
                return await ExportDocumentAsync(http, scope, api, ct);
            case ["apis", var api] when method == "PUT" && IsClone(http, out var cloneBody):
                var clone = await resources.CloneApiAsync(scope, api, cloneBody!, ifMatch, ct);
                return Resource(clone.Body, clone.ETag, clone.Created ? 201 : 200);
            case ["apis", var api] when method == "PUT" && IsImport(http, out var importBody):
                var imported = await http.RequestServices.GetRequiredService<OpenApiService>().ImportAsync(scope, api, importBody!, ct);
                return Resource(imported.Body, imported.ETag, imported.Created ? 201 : 200);
            case ["certificates", .. var certificate]:
                return await CertificatesAsync(http, method, scope, certificate, resources, filter, top, skip, ifMatch, ct);
            case [var collection] when method == "GET" && Kind(collection) is { } kind && kind != ResourceKind.Operation:
                return Page(await resources.ListAsync(scope, kind, "", filter, top, skip, ct), http);
            case [var collection, var name] when Kind(collection) is { } kind && kind != ResourceKind.Operation:
                return await EntityAsync(http, method, scope, kind, "", name, resources, ifMatch, deleteSubscriptions, ct);
            default:
                throw new ArmException(404, "ResourceNotFound", $"The resource path '{rest}' is not part of the management API.");
        }
    }

    private static async Task<IResult> EntityAsync(HttpContext http, string method, ServiceScope scope, ResourceKind kind, string parent, string name,
        ResourceService resources, string? ifMatch, bool deleteSubscriptions, CancellationToken ct)
    {
        switch (method)
        {
            case "GET":
            case "HEAD":
                var (body, etag) = await resources.GetAsync(scope, kind, parent, name, ct);
                return Resource(body, etag, 200);
            case "PUT":
                var put = await resources.PutAsync(scope, kind, parent, name, await ReadBodyAsync(http, ct), ifMatch, ct);
                return Resource(put.Body, put.ETag, put.Created ? 201 : 200);
            case "PATCH":
                var patch = await resources.PatchAsync(scope, kind, parent, name, await ReadBodyAsync(http, ct), ifMatch, ct);
                return Resource(patch.Body, patch.ETag, 200);
            case "DELETE":
                return await resources.DeleteAsync(scope, kind, parent, name, ifMatch, deleteSubscriptions, ct) ? Results.Ok() : Results.NoContent();
            default:
                return MethodNotAllowed();
        }
    }

    private static async Task<IResult> LinkAsync(HttpContext http, string method, ServiceScope scope, string linkKind, string parent, string name, ResourceService resources, CancellationToken ct)
    {
        switch (method)
        {
            case "PUT":
                var (body, created) = await resources.PutLinkAsync(scope, linkKind, parent, name, ct);
                return Json(body, created ? 201 : 200);
            case "DELETE":
                return await resources.DeleteLinkAsync(scope, linkKind, parent, name, ct) ? Results.Ok() : Results.NoContent();
            case "HEAD":
            case "GET":
                return await resources.LinkExistsAsync(scope, linkKind, parent, name, ct) ? Results.NoContent() : Results.NotFound();
            default:
                return MethodNotAllowed();
        }
    }

    private static async Task<IResult> PutServiceAsync(HttpContext http, ServiceScope scope, ResourceService resources, CancellationToken ct)
    {
        var (body, created) = await resources.PutServiceAsync(scope, await ReadBodyAsync(http, ct), ct);
        return Json(body, created ? 201 : 200);
    }

    private static async Task<IResult> DeleteServiceAsync(ServiceScope scope, ResourceService resources, CancellationToken ct)
    {
        await resources.DeleteServiceAsync(scope, ct);
        return Results.Ok();
    }

    private static Mail.MailResources Mail(HttpContext http) => http.RequestServices.GetRequiredService<Mail.MailResources>();

    private static bool IsPolicyOwner(string[] owner) => owner is [] or ["products", _] or ["apis", _] or ["apis", _, "operations", _];

    private static async Task<IResult> FragmentAsync(HttpContext http, string method, ServiceScope scope, string id, CancellationToken ct)
    {
        var policies = http.RequestServices.GetRequiredService<PolicyService>();
        switch (method)
        {
            case "GET":
                return Json(await policies.GetFragmentAsync(scope, id, ct));
            case "PUT":
                var (body, created) = await policies.PutFragmentAsync(scope, id, await ReadBodyAsync(http, ct), ct);
                return Json(body, created ? 201 : 200);
            case "DELETE":
                return await policies.DeleteFragmentAsync(scope, id, ct) ? Results.Ok() : Results.NoContent();
            default:
                return MethodNotAllowed();
        }
    }

    private static async Task<IResult> PolicyAsync(HttpContext http, string method, ServiceScope scope, PolicyScope target, CancellationToken ct)
    {
        var policies = http.RequestServices.GetRequiredService<PolicyService>();
        switch (method)
        {
            case "GET":
                var (policy, etag) = await policies.GetWithETagAsync(scope, target, http.Request.Query["format"].FirstOrDefault(), ct);
                return Resource(policy, etag, 200);
            case "PUT":
                var (body, created, newETag) = await policies.PutAsync(scope, target, await ReadBodyAsync(http, ct), http.Request.Headers.IfMatch.FirstOrDefault()?.Trim('"'), ct);
                return Resource(body, newETag, created ? 201 : 200);
            case "DELETE":
                return await policies.DeleteAsync(scope, target, ct) ? Results.Ok() : Results.NoContent();
            default:
                return MethodNotAllowed();
        }
    }

    /// <summary>The kinds that live under an API: its operations and its schemas.</summary>
    private static ResourceKind? ApiChild(string segment) =>
        string.Equals(segment, ResourceKind.Operation.Segment, StringComparison.OrdinalIgnoreCase) ? ResourceKind.Operation
        : string.Equals(segment, ResourceKind.ApiSchema.Segment, StringComparison.OrdinalIgnoreCase) ? ResourceKind.ApiSchema
        : null;

    private static ResourceKind? Kind(string segment) =>
        ResourceKind.All.FirstOrDefault(k => string.Equals(k.Segment, segment, StringComparison.OrdinalIgnoreCase));

    private static bool IsExport(HttpContext http) =>
        string.Equals(http.Request.Query["export"].FirstOrDefault(), "true", StringComparison.OrdinalIgnoreCase);

    private static bool IsClone(HttpContext http, out JsonObject? body)
    {
        body = http.Items["body"] as JsonObject;
        return body?["properties"] is JsonObject p && p["sourceApiId"] is not null;
    }

    private static bool IsImport(HttpContext http, out JsonObject? body)
    {
        body = http.Items["body"] as JsonObject;
        return body?["properties"] is JsonObject p && p["format"] is not null && p["value"] is not null;
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

    private static int? IntQuery(HttpContext http, string name)
    {
        var text = http.Request.Query[name].FirstOrDefault();
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw ArmException.Validation(name, $"'{name}' must be an integer.");
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
