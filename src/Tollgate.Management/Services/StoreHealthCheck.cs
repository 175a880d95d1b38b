using Microsoft.Extensions.Diagnostics.HealthChecks;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>Ready only while the store (SQLite or PostgreSQL) answers a query.</summary>
public sealed class StoreHealthCheck(IResourceStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await store.PingAsync(cancellationToken)
                ? HealthCheckResult.Healthy("The store answers.")
                : HealthCheckResult.Unhealthy("The store does not answer.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The store does not answer: " + ex.Message);
        }
    }
}
