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

    /// <summary>Builds the meter provider; dispose it when the process (or test server) stops.</summary>
    public static MeterProvider CreateMeterProvider() =>
        Sdk.CreateMeterProviderBuilder()
            .AddMeter(GatewayMeter, AnalyticsMeter, StudioMeter)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
            .ConfigureResource(r => r.AddService("tollgate"))
            .AddPrometheusExporter()
            .Build();
}
