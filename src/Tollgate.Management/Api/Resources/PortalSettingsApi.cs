using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>Tollgate's <c>portalsettings/branding</c>: the developer portal's colours, theme and logo.</summary>
internal static class PortalSettingsApi
{
    public static RouteGroupBuilder MapPortalSettingsApi(this RouteGroupBuilder group)
    {
        group.MapArm(HttpMethods.Get, "portalsettings/branding", async (ArmRequest arm) => Json(await arm.Resources.GetBrandingAsync(arm.Scope, arm.Ct)))
            .Documented("PortalSettings_GetBranding", "Tollgate extension: the developer portal's branding: primaryColor (#rrggbb or null), defaultTheme (light or dark) and the logo's contentType, size and hash (or null). The organization name is the instance's publisherName.", Obj(("type", "object")));
        group.MapArm(HttpMethods.Put, "portalsettings/branding", async (ArmRequest arm) => Json(await arm.Resources.SetBrandingAsync(arm.Scope, await arm.BodyAsync(), patch: false, arm.Ct)))
            .Documented("PortalSettings_PutBranding", "Replaces the branding: properties.primaryColor (#rgb or #rrggbb), defaultTheme (light or dark), logo {contentType: image/png, image/jpeg or image/svg+xml, value: base64, at most 256 KB; an SVG is sanitized} or null. Validation errors name the field.", Obj(("type", "object")));
        group.MapArm(HttpMethods.Patch, "portalsettings/branding", async (ArmRequest arm) => Json(await arm.Resources.SetBrandingAsync(arm.Scope, await arm.BodyAsync(), patch: true, arm.Ct)))
            .Documented("PortalSettings_PatchBranding", "Changes the branding fields sent (logo null removes the logo); the others are kept.", Obj(("type", "object")));
        group.MapArm(HttpMethods.Get, "portalsettings/branding/logo", async (ArmRequest arm) =>
        {
            if (await arm.Resources.GetBrandingLogoAsync(arm.Scope, arm.Ct) is not { } logo)
            {
                throw ArmException.NotFound("Logo");
            }

            // An SVG is sanitized when stored; it is also served so that nothing in it can run, even opened directly.
            arm.Http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";
            arm.Http.Response.Headers.XContentTypeOptions = "nosniff";
            arm.Http.Response.Headers.ETag = $"\"{logo.Hash}\"";
            return Results.Bytes(logo.Content, logo.ContentType);
        }).Documented("PortalSettings_GetBrandingLogo", "Tollgate extension: the logo image itself, with its content type and a Content-Security-Policy that lets nothing in it run (404 when there is none).", null);
        return group;
    }
}
