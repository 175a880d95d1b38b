using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>When counters live in Redis, a gateway is ready only while Redis answers a PING.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy($"Redis answers ({latency.TotalMilliseconds:F1} ms).");
        }
        catch (Exception ex) when (RedisStores.IsStoreFailure(ex))
        {
            return HealthCheckResult.Unhealthy("Redis does not answer: " + ex.Message);
        }
    }
}
