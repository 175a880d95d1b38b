using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Analytics;

/// <summary>
/// <c>GET /admin/{instance}/analytics.csv?report=…&amp;from=…&amp;to=…</c>: the report the analytics page shows, as the
/// management API's CSV, downloaded through the portal (the browser never holds a management credential).
/// </summary>
public static class ReportDownload
{
    public static IEndpointRouteBuilder MapReportDownload(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/{instance}/analytics.csv", async (HttpContext http, string instance, ManagementApi management, TimeProvider time) =>
        {
            var q = http.Request.Query;
            var query = ReportQuery.FromAddress(q["report"], q["from"], q["to"], q["interval"], field => q[field], time.GetUtcNow());
            var report = query.Report;
            var (text, error) = await management.GetTextAsync(instance, query.Path(csv: true), http.RequestAborted);
            if (error is not null)
            {
                return Results.Text($"The report could not be read: {error.Message}", "text/plain; charset=utf-8", statusCode: error.Status);
            }

            http.Response.Headers.ContentDisposition = $"attachment; filename=\"{instance}-{report}.csv\"";
            return Results.Text(text, "text/csv; charset=utf-8");
        }).RequireAuthorization(p => p.RequireRole(PortalHosting.AdministratorRole));
        return app;
    }
}
