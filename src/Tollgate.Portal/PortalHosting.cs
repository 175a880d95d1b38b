using System.IO.Compression;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.FluentUI.AspNetCore.Components;
using System.Threading.RateLimiting;
using Tollgate.Portal.Components;
using Tollgate.Portal.Developer;
using Tollgate.Portal.Management;
using Tollgate.Portal.Studio;

namespace Tollgate.Portal;

/// <summary>Registers and maps the portal on a web application (the <c>portal</c> role).</summary>
public static class PortalHosting
{
    /// <summary>The developer portal's forms that are rate-limited per client address.</summary>
    private static readonly HashSet<string> RateLimited = new(["/signin", "/signup", "/forgot-password", "/reset-password", "/confirm"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The default scheme: the administrator's cookie under <c>/admin</c>, the developer's elsewhere.</summary>
    public const string AreaScheme = "PortalArea";

    /// <summary>The role every signed-in administrator has.</summary>
    public const string AdministratorRole = "Administrator";

    /// <summary>
    /// The portal's services: Razor components (static server rendering, interactive server where a page asks for
    /// it), Fluent UI, cookie sessions, antiforgery, compression, and the typed management client signing its calls
    /// with <paramref name="tokens"/>.
    /// </summary>
    public static WebApplicationBuilder AddTollgatePortal(this WebApplicationBuilder builder, PortalOptions options, IManagementTokenSource tokens, string dataDirectory,
        IStudioTokenSource? studioTokens = null)
    {
        if (string.IsNullOrWhiteSpace(options.ManagementUrl))
        {
            throw new InvalidOperationException("The portal needs Tollgate:Portal:ManagementUrl (the management API it calls).");
        }

        // Static web assets (_content/…, _framework/…) from the build output too, not only when published.
        builder.WebHost.UseStaticWebAssets();
        var services = builder.Services;
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(tokens);
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddFluentUIComponents();
        services.AddCascadingAuthenticationState();
        services.AddHttpContextAccessor();
        services.AddTransient<ManagementAuthorizationHandler>();
        services.AddHttpClient<ManagementApi>(c =>
        {
            c.BaseAddress = new Uri(options.ManagementUrl!.TrimEnd('/') + "/");
            c.Timeout = TimeSpan.FromSeconds(30);
        }).AddHttpMessageHandler<ManagementAuthorizationHandler>();
        services.AddSingleton(studioTokens ?? new StudioTokenSource(() => options.StudioToken));
        services.AddTransient<StudioAuthorizationHandler>();
        services.AddHttpClient<StudioClient>((sp, c) =>
        {
            // Read when each client is made: the all-in-one process sets the Studio role's bound address after start.
            c.BaseAddress = new Uri(options.StudioUrl.TrimEnd('/') + "/");
            c.Timeout = TimeSpan.FromMinutes(5);
        }).AddHttpMessageHandler<StudioAuthorizationHandler>();
        services.AddSingleton<SampleCode>();
        services.AddScoped<ApiManagementPublisher>();

        var keys = options.KeysDirectory ?? Path.Combine(dataDirectory, "portal-keys");
        Tollgate.Security.PrivateFiles.CreateDirectory(keys);
        services.AddDataProtection().SetApplicationName("tollgate-portal").PersistKeysToFileSystem(new DirectoryInfo(keys));
        services.AddScoped<PortalInstance>();
        services.AddSingleton<TryItRelay>();
        // Two sessions that never mix: the administrator's cookie (which also holds a Studio workspace sign-in) under
        // /admin and /studio, the developer's everywhere else.
        services.AddAuthentication(AreaScheme).AddPolicyScheme(AreaScheme, null, o => o.ForwardDefaultSelector = http =>
            http.Request.Path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase) || http.Request.Path.StartsWithSegments("/studio", StringComparison.OrdinalIgnoreCase)
                ? CookieAuthenticationDefaults.AuthenticationScheme
                : DeveloperSession.Scheme)
        .AddCookie(DeveloperSession.Scheme, o =>
        {
            o.Cookie.Name = "tollgate-developer";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/signin";
            o.LogoutPath = "/signout";
            o.AccessDeniedPath = "/signin";
            o.ExpireTimeSpan = options.SessionIdleTimeout;
            o.SlidingExpiration = true;
        })
        .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
        {
            o.Cookie.Name = "tollgate-portal";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/admin/signin";
            o.LogoutPath = "/admin/signout";
            o.AccessDeniedPath = "/admin/signin";
            o.ExpireTimeSpan = options.SessionIdleTimeout;
            o.SlidingExpiration = true;
            o.Events.OnRedirectToLogin = context =>
            {
                // Studio's pages have their own sign-in (a workspace token, or the administrator's session).
                var uri = context.Request.Path.StartsWithSegments("/studio")
                    ? "/studio/signin" + QueryString.Create("ReturnUrl", context.Request.PathBase + context.Request.Path + context.Request.QueryString)
                    : context.RedirectUri;
                context.Response.Redirect(uri);
                return Task.CompletedTask;
            };
        });
        services.AddAuthorization(StudioSession.AddPolicy);
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "tollgate-portal-af";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        // Sign-in, sign-up and account e-mail forms: a few posts a minute per client address (on top of the per-account lockout in management).
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                HttpMethods.IsPost(http.Request.Method) && RateLimited.Contains(http.Request.Path.Value ?? "")
                    ? RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "", _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = options.SignInAttemptsPerMinute,
                        Window = TimeSpan.FromMinutes(1),
                    })
                    : RateLimitPartition.GetNoLimiter(""));
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await context.HttpContext.Response.WriteAsync("Too many attempts from this address: wait a minute and try again.", ct);
            };
        });
        services.AddResponseCompression(o =>
        {
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["image/svg+xml"]);
        });
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return builder;
    }

    /// <summary>The portal's pipeline and endpoints.</summary>
    public static WebApplication UseTollgatePortal(this WebApplication app)
    {
        app.UseResponseCompression();
        // No page ever shows a stack trace: failures re-render /error, unknown addresses /not-found.
        app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found");
        app.Use((http, next) =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            return next(http);
        });
        app.UsePortalSites(app.Services.GetRequiredService<PortalOptions>());
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        // Fingerprinted assets with ETags and long cache lifetimes, precompressed where the build made them.
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        Analytics.ReportDownload.MapReportDownload(app);
        Downloads.ApiExportDownload.MapApiExport(app);
        DeveloperEndpoints.Map(app);
        StudioEndpoints.Map(app);
        MapSignOut(app, "/admin/signout", "/admin/signin");
        MapSignOut(app, "/studio/signout", "/studio/signin");
        return app;
    }

    private static void MapSignOut(WebApplication app, string path, string then) =>
        app.MapPost(path, async (HttpContext http) =>
        {
            // The antiforgery middleware only records its verdict: a form posted without a valid token stops here.
            if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
            {
                http.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
                return Results.Text("The form has expired: reload the page and try again.", statusCode: StatusCodes.Status400BadRequest);
            }

            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect(then);
        }).WithMetadata(new RequireAntiforgeryTokenAttribute());

    /// <summary>The session principal of the administrator.</summary>
    internal static ClaimsPrincipal Administrator(string userId) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, userId), new Claim(ClaimTypes.Name, "Administrator"), new Claim(ClaimTypes.Role, AdministratorRole)],
        CookieAuthenticationDefaults.AuthenticationScheme));
}
