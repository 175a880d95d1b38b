using System.Text.Json.Nodes;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Management.Analytics;
using Tollgate.Management.Api;

namespace Tollgate.Hosting;

/// <summary>
/// Gives management the subscriptions' current rate-limit and quota windows from the gateway's counter stores: those
/// of the gateway role in this process, or Redis stores of management's own when the counters live in Redis.
/// </summary>
internal sealed class GatewayUsageSource(SnapshotFeed feed) : ICurrentUsageSource
{
    /// <summary>Set once the stores are known (the gateway role is built after management).</summary>
    public SubscriptionUsageReader? Reader { get; set; }

    public async Task<JsonObject?> ReadAsync(string service, string subscriptionId, CancellationToken cancellationToken)
    {
        if (Reader is not { } reader || feed.Get(service) is not { } snapshot)
        {
            return null;
        }

        SubscriptionUsage? usage;
        try
        {
            usage = await reader.ReadAsync(snapshot, subscriptionId, cancellationToken);
        }
        catch (CounterStoreException ex)
        {
            throw new ArmException(503, "ServiceUnavailable", "The counter store does not answer: " + ex.Message);
        }

        if (usage is null)
        {
            return null;
        }

        var rateLimits = new JsonArray();
        foreach (var r in usage.RateLimits)
        {
            rateLimits.Add(new JsonObject
            {
                ["scope"] = r.Scope, ["calls"] = r.Calls, ["renewalPeriod"] = r.RenewalPeriod,
                ["callsInWindow"] = r.CallsInWindow, ["remainingCalls"] = r.RemainingCalls,
            });
        }

        var quotas = new JsonArray();
        foreach (var q in usage.Quotas)
        {
            quotas.Add(new JsonObject
            {
                ["scope"] = q.Scope, ["calls"] = q.Calls, ["bandwidth"] = q.BandwidthKilobytes, ["renewalPeriod"] = q.RenewalPeriod,
                ["callsInWindow"] = q.CallsInWindow, ["bandwidthInWindow"] = q.BandwidthInWindowBytes,
                ["windowStart"] = q.WindowStart?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                ["windowEnd"] = q.WindowEnd?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            });
        }

        return new JsonObject { ["scope"] = usage.Scope, ["rateLimits"] = rateLimits, ["quotas"] = quotas };
    }
}
