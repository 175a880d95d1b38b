using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Downloads;

/// <summary>
/// <c>GET /admin/{instance}/apis/{api}/export?format=openapi|openapi+json|swagger</c>: an API as an OpenAPI (YAML or
/// JSON) or Swagger document, downloaded through the portal (the browser never holds a management credential).
/// </summary>
public static class ApiExportDownload
{
    private static readonly Dictionary<string, (string LinkFormat, string Extension)> Formats = new(StringComparer.OrdinalIgnoreCase)
    {
        ["openapi"] = ("openapi-link", "yaml"),
        ["openapi+json"] = ("openapi+json-link", "json"),
        ["swagger"] = ("swagger-link", "swagger.json"),
    };

    public static IEndpointRouteBuilder MapApiExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/{instance}/apis/{api}/export", async (HttpContext http, string instance, string api, string? format, ManagementApi management) =>
        {
            if (!Formats.TryGetValue(format ?? "openapi", out var chosen))
            {
                return Results.Text($"'{format}' is not an export format: use openapi, openapi+json or swagger.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
            }

            var (text, contentType, error) = await management.ExportApiAsync(instance, api, chosen.LinkFormat, http.RequestAborted);
            if (error is not null)
            {
                return Results.Text($"The API could not be exported: {error.Message}", "text/plain; charset=utf-8", statusCode: error.Status);
            }

            var safe = new string(api.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{safe}.{chosen.Extension}\"";
            return Results.Text(text, contentType + "; charset=utf-8");
        }).RequireAuthorization(p => p.RequireRole(PortalHosting.AdministratorRole));
        return app;
    }
}
