using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Developer;

/// <summary>The developer portal's endpoints that are not pages: sign-out, the theme switch, the logo and the OpenAPI download.</summary>
public static class DeveloperEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/signout", async (HttpContext http) =>
        {
            if (http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
            {
                http.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
                return Results.Text("The form has expired: reload the page and try again.", statusCode: StatusCodes.Status400BadRequest);
            }

            await http.SignOutAsync(DeveloperSession.Scheme);
            return Results.LocalRedirect("/");
        }).WithMetadata(new RequireAntiforgeryTokenAttribute());

        // APIM's single sign-on URL (management's users/{id}/generateSsoUrl, what a delegation endpoint redirects to):
        // its single-use, five-minute token signs the user in, then on to returnUrl (a local path) or the home page.
        app.MapGet("/signin-sso", async (HttpContext http, PortalInstance portal, ManagementApi management) =>
        {
            http.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
            http.Response.Headers.CacheControl = "no-store";
            var (instance, problem) = await portal.GetAsync(http.RequestAborted);
            if (instance is null)
            {
                return Results.Text(problem?.Message ?? "There is no instance here yet.", statusCode: problem?.Status ?? 404);
            }

            var result = await management.DeveloperSsoAsync(instance.Name, http.Request.Query["token"].FirstOrDefault() ?? "", http.RequestAborted);
            if (!result.Ok)
            {
                var status = result.Error!.Status is 400 or 403 ? result.Error.Status : 502;
                var message = result.Error.Details.FirstOrDefault()?.Message ?? result.Error.Message;
                return Results.Text(message, statusCode: status);
            }

            var user = result.Body!;
            var name = $"{(string?)user["firstName"]} {(string?)user["lastName"]}".Trim();
            await http.SignInAsync(DeveloperSession.Scheme, DeveloperSession.Principal(instance.Name, (string?)user["userId"] ?? "", name, (string?)user["email"] ?? ""));
            var back = http.Request.Query["returnUrl"].FirstOrDefault();
            return Results.LocalRedirect(back is { Length: > 0 } && back[0] == '/' && (back.Length == 1 || (back[1] != '/' && back[1] != '\\'))
                && !back.StartsWith("/admin", StringComparison.OrdinalIgnoreCase) ? back : "/");
        });

        // The visitor's light or dark theme: a cookie, set by a plain form (no script needed), then back to the page.
        app.MapPost("/theme", (HttpContext http) =>
        {
            var form = http.Request.HasFormContentType ? http.Request.Form : null;
            var theme = form?["theme"].FirstOrDefault();
            var back = form?["returnUrl"].FirstOrDefault();
            if (theme is "light" or "dark")
            {
                http.Response.Cookies.Append(Branding.ThemeCookie, theme, new CookieOptions
                {
                    Path = "/", HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, MaxAge = TimeSpan.FromDays(365), IsEssential = true,
                });
            }

            return Results.LocalRedirect(back is { Length: > 0 } && back.StartsWith('/') && !back.StartsWith("//", StringComparison.Ordinal) && !back.StartsWith("/\\", StringComparison.Ordinal) ? back : "/");
        }).DisableAntiforgery();

        // The publisher's logo, from management. It is sanitized there (SVG) and served here so that nothing in it can run.
        app.MapGet("/branding/logo", async (HttpContext http, PortalInstance portal, ManagementApi management) =>
        {
            http.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
            var (instance, _) = await portal.GetAsync(http.RequestAborted);
            if (instance?.Branding.LogoHash is null)
            {
                return Results.NotFound();
            }

            var (content, contentType, error) = await management.GetBytesAsync(instance.Name, "/portalsettings/branding/logo", http.RequestAborted);
            if (error is not null || contentType is not ("image/png" or "image/jpeg" or "image/svg+xml"))
            {
                return Results.NotFound();
            }

            return Logo(http, content, contentType, "public, max-age=300");
        });

        // The same for the publisher portal's preview, of any instance (the administrator's session).
        app.MapGet("/admin/{instance}/branding/logo", async (HttpContext http, string instance, ManagementApi management) =>
        {
            http.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
            var (content, contentType, error) = await management.GetBytesAsync(instance, "/portalsettings/branding/logo", http.RequestAborted);
            return error is not null || contentType is not ("image/png" or "image/jpeg" or "image/svg+xml")
                ? Results.NotFound()
                : Logo(http, content, contentType, "private, no-cache");
        }).RequireAuthorization(p => p.RequireRole(PortalHosting.AdministratorRole));

        // The API's OpenAPI 3 document (what the management API exports), for anyone who may read the catalogue.
        app.MapGet("/apis/{apiId}/openapi.json", async (string apiId, HttpContext http, PortalInstance portal, ManagementApi management) =>
        {
            http.Features.Get<IStatusCodePagesFeature>()?.Enabled = false;
            var (instance, problem) = await portal.GetAsync(http.RequestAborted);
            if (instance is null)
            {
                return Results.Text(problem?.Message ?? "There is no instance here yet.", statusCode: problem?.Status ?? 404);
            }

            var (text, error) = await management.GetTextAsync(instance.Name, $"/apis/{Uri.EscapeDataString(apiId)}?export=true&format=openapi%2Bjson", http.RequestAborted);
            if (error is not null)
            {
                return Results.Text(error.Status == 404 ? $"There is no API '{apiId}'." : error.Message, statusCode: error.Status == 404 ? 404 : 502);
            }

            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{apiId}.openapi.json\"";
            return Results.Text(text, "application/json");
        });
    }

    /// <summary>A logo image with a policy that lets nothing in it run (an SVG opened on its own included).</summary>
    private static IResult Logo(HttpContext http, byte[] content, string contentType, string cacheControl)
    {
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
        http.Response.Headers.CacheControl = cacheControl;
        return Results.Bytes(content, contentType);
    }
}
