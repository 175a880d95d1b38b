using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace Tollgate.ServiceDefaults;

/// <summary>
/// What every role serves besides its own API: <c>/health/live</c> (the process answers), <c>/health/ready</c>
/// (the checks tagged <see cref="ReadyTag"/> pass: the store, Redis when configured, a gateway's configuration)
/// and, where given a meter provider (management's listener, the dedicated metrics listener; never the gateway's
/// public listeners), <c>/metrics</c> (Prometheus text format). On the gateway these paths take precedence over API routes.
/// </summary>
public static class Observability
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string MetricsPath = "/metrics";

    /// <summary>Health checks with this tag decide readiness.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Maps the health and metrics endpoints ahead of every other route (order <see cref="int.MinValue"/>).</summary>
    public static IEndpointRouteBuilder MapTollgateObservability(this IEndpointRouteBuilder endpoints, MeterProvider? meters)
    {
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .WithOrder(int.MinValue).WithDisplayName("health: live");
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .WithOrder(int.MinValue).WithDisplayName("health: ready");
        if (meters is not null)
        {
            endpoints.MapPrometheusScrapingEndpoint(MetricsPath, meters, null, null).WithOrder(int.MinValue).WithDisplayName("metrics");
        }

        return endpoints;
    }

    /// <summary><c>{"status":"Unhealthy","checks":{"store":{"status":"Unhealthy","description":"…","durationMs":1.2}}}</c></summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => new Dictionary<string, object?>
            {
                ["status"] = e.Value.Status.ToString(),
                ["description"] = e.Value.Description ?? e.Value.Exception?.Message,
                ["durationMs"] = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthJson.Options, context.RequestAborted);
    }

    private static class HealthJson
    {
        public static readonly JsonSerializerOptions Options = new() { WriteIndented = false };
    }
}
