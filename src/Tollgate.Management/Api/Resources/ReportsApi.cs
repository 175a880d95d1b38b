using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Tollgate.Management.Api.ManagementEndpoints;

namespace Tollgate.Management.Api.Resources;

/// <summary>
/// APIM's <c>reports/byApi … byRequest</c> from the request log, as JSON or CSV (<c>format=csv</c> or
/// <c>Accept: text/csv</c>). Each report is its own documented route; any other name answers the report's own 404
/// that lists the ones there are.
/// </summary>
internal static class ReportsApi
{
    public static readonly string[] Reports = ["byApi", "byOperation", "byProduct", "bySubscription", "byUser", "byTime", "byRequest"];

    public static RouteGroupBuilder MapReportsApi(this RouteGroupBuilder group)
    {
        foreach (var report in Reports)
        {
            group.MapArm(HttpMethods.Get, "reports/" + report, (ArmRequest arm) => ReportAsync(arm, report)).Documented(() => ManagementOpenApi.ReportOperation(report));
        }

        group.MapArm(HttpMethods.Get, "reports/{report}", (ArmRequest arm) => ReportAsync(arm, arm.Route("report"))).WithMetadata(Undocumented.Instance);
        return group;
    }

    private static async Task<IResult> ReportAsync(ArmRequest arm, string report)
    {
        await arm.Resources.GetServiceAsync(arm.Scope, arm.Ct);
        var body = await Analytics.ReportsEndpoint.QueryAsync(arm.Service<Analytics.IAnalyticsStore>(), arm.Scope, report, arm.Filter, arm.Query("interval"), arm.Top, arm.Skip, arm.Ct);
        if (WantsCsv(arm.Http))
        {
            arm.Http.Response.Headers.ContentDisposition = $"attachment; filename=\"{arm.Scope.Name}-{report}.csv\"";
            return Results.Text(Analytics.ReportsEndpoint.ToCsv(body), "text/csv; charset=utf-8");
        }

        return Json(body);
    }
}
