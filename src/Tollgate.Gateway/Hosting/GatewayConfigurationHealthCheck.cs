using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tollgate.Gateway.Configuration;

namespace Tollgate.Gateway.Hosting;

/// <summary>
/// A gateway that gets its configuration from a remote management service is ready once it has a configuration
/// (from management or from its local backup); until then every call would be a 404.
/// </summary>
public sealed class GatewayConfigurationHealthCheck(SnapshotProxyConfigProvider config) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var served = config.Instances.ByName;
        return Task.FromResult(served.Count > 0
            ? HealthCheckResult.Healthy($"Serving {string.Join(", ", served.Values.Select(s => $"'{s.Snapshot.ServiceName}' at revision {s.Snapshot.Revision}"))}.")
            : HealthCheckResult.Unhealthy("No configuration yet: management has not answered and there is no local backup."));
    }
}
