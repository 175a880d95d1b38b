using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tollgate.Studio.Storage;

namespace Tollgate.Studio.Api;

/// <summary>Studio is ready only while its store answers.</summary>
public sealed class StudioStoreHealthCheck(StudioStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await store.PingAsync(cancellationToken)
            ? HealthCheckResult.Healthy("The Studio store answers.")
            : HealthCheckResult.Unhealthy("The Studio store does not answer.");
}

/// <summary>
/// Studio's OpenTelemetry instruments (meter <c>Tollgate.Studio</c>): <c>tollgate_studio_bes_jobs</c>, the BES jobs
/// by state (NotStarted, Running, Finished, Failed, Cancelled), read from the store when metrics are collected.
/// </summary>
public sealed class StudioMetrics : IDisposable
{
    /// <summary>The meter's name (the host's meter provider listens to it).</summary>
    public const string MeterName = "Tollgate.Studio";

    private readonly Meter _meter;

    public StudioMetrics(IMeterFactory meters, StudioStore store)
    {
        _meter = meters.Create(MeterName);
        _meter.CreateObservableGauge("tollgate.studio.bes.jobs", () => Measure(store), "{job}", "BES jobs by state.");
    }

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<long>> Measure(StudioStore store)
    {
        foreach (var (status, count) in store.CountJobsByStatus())
        {
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("state", status));
        }
    }
}
