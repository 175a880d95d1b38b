using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Developer;

/// <summary>The developer portal's endpoints that are not pages: sign-out and the OpenAPI download.</summary>
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
}
