using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Tollgate.ServiceDefaults;

/// <summary>
/// The process's metrics: Tollgate's own meters (gateway, analytics, Studio) and ASP.NET Core's and the runtime's,
/// collected by one OpenTelemetry meter provider that every role serves at <c>/metrics</c> in Prometheus text format.
/// </summary>
public static class TollgateTelemetry
{
    /// <summary>Requests through the gateway, durations, rate-limit and quota rejections.</summary>
    public const string GatewayMeter = "Tollgate.Gateway";

    /// <summary>The request log: records written and dropped.</summary>
    public const string AnalyticsMeter = "Tollgate.Analytics";

    /// <summary>Studio: RRS calls, BES jobs by state.</summary>
    public const string StudioMeter = "Tollgate.Studio";

    /// <summary>ASP.NET Core's per-request meter (<c>http.server.request.duration</c>, active requests).</summary>
    public const string AspNetCoreHostingMeter = "Microsoft.AspNetCore.Hosting";

    /// <summary>The meter factories (one per web application) whose ASP.NET Core request metrics are not collected.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> WithoutRequestMetrics = new();

    /// <summary>
    /// ASP.NET Core's request metrics of the application that owns <paramref name="meterFactory"/> are not collected
    /// (the gateway's listeners: <see cref="GatewayMeter"/> counts and times every call with its API, operation and
    /// product, and recording both cost every proxied call twice). Call it before the application starts.
    /// </summary>
    public static void WithoutAspNetCoreRequestMetrics(System.Diagnostics.Metrics.IMeterFactory meterFactory) =>
        WithoutRequestMetrics.AddOrUpdate(meterFactory, meterFactory);

    /// <summary>Builds the meter provider; dispose it when the process (or test server) stops.</summary>
    public static MeterProvider CreateMeterProvider() =>
        Sdk.CreateMeterProviderBuilder()
            .AddMeter(GatewayMeter, AnalyticsMeter, StudioMeter)
            .AddMeter(AspNetCoreHostingMeter, "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
            .AddView(instrument => instrument.Meter.Name == AspNetCoreHostingMeter && instrument.Meter.Scope is { } scope && WithoutRequestMetrics.TryGetValue(scope, out _)
                ? MetricStreamConfiguration.Drop
                : null)
            .ConfigureResource(r => r.AddService("tollgate"))
            .AddPrometheusExporter()
            .Build();
}
