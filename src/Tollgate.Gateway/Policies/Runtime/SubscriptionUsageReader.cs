using Tollgate.Core.Gateway;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions.Quota;
using Tollgate.Core.Policies.Definitions.RateLimit;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Handlers;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>A subscription's rate-limit window as it stands.</summary>
public sealed record RateLimitWindowUsage(string Scope, int Calls, int RenewalPeriod, long CallsInWindow, long RemainingCalls);

/// <summary>A subscription's quota window as it stands (bandwidth in bytes; the limit in kilobytes as in the policy).</summary>
public sealed record QuotaWindowUsage(string Scope, long? Calls, long? BandwidthKilobytes, int RenewalPeriod, long CallsInWindow, long BandwidthInWindowBytes,
    DateTimeOffset? WindowStart, DateTimeOffset? WindowEnd);

/// <summary>The current windows of the per-subscription rate limits and quotas that apply to a subscription.</summary>
public sealed record SubscriptionUsage(string SubscriptionId, string Scope, IReadOnlyList<RateLimitWindowUsage> RateLimits, IReadOnlyList<QuotaWindowUsage> Quotas);

/// <summary>
/// Reads, without counting anything, the counters that the <c>rate-limit</c> and <c>quota</c> policies of a
/// subscription's product (or API, for an API-scoped subscription) keep for it: what the developer portal shows as
/// "calls this minute / this week". The counters are the gateway's stores: in-process, or Redis shared by gateways.
/// </summary>
public sealed class SubscriptionUsageReader(IRateLimitStore rateLimits, IQuotaStore quotas)
{
    /// <returns>Null when the snapshot has no such subscription.</returns>
    public async Task<SubscriptionUsage?> ReadAsync(GatewaySnapshot snapshot, string subscriptionId, CancellationToken cancellationToken = default)
    {
        var subscription = snapshot.Subscriptions.FirstOrDefault(s => string.Equals(s.Id, subscriptionId, StringComparison.OrdinalIgnoreCase));
        if (subscription is null)
        {
            return null;
        }

        var rates = new List<RateLimitWindowUsage>();
        var quotaUsages = new List<QuotaWindowUsage>();
        foreach (var (scope, scopeKey, xml) in Documents(snapshot, subscription.Scope))
        {
            var inbound = string.IsNullOrWhiteSpace(xml) ? null : TryParse(xml)?.Inbound;
            foreach (var element in inbound?.Elements ?? [])
            {
                if (element.Name == "rate-limit")
                {
                    var config = RateLimitPolicy.Instance.Parse(element);
                    var rule = new RateLimitRule(config.Calls, config.RenewalPeriod);
                    var key = CounterKeys.SubscriptionPrefix(CounterKeys.RateLimitPrefix(scopeKey)) + subscription.Id;
                    var usage = await rateLimits.GetUsageAsync(key, rule, cancellationToken);
                    rates.Add(new RateLimitWindowUsage(scope, rule.Calls, rule.RenewalPeriodSeconds, usage.CallsInWindow, usage.Remaining));
                }
                else if (element.Name == "quota")
                {
                    var config = QuotaPolicy.Instance.Parse(element);
                    var rule = new QuotaRule(config.Calls, config.Bandwidth, config.RenewalPeriod, subscription.CreatedDate);
                    var key = CounterKeys.SubscriptionPrefix(CounterKeys.QuotaPrefix(scopeKey)) + subscription.Id;
                    var usage = await quotas.GetUsageAsync(key, rule, cancellationToken);
                    quotaUsages.Add(new QuotaWindowUsage(scope, rule.Calls, rule.BandwidthKilobytes, rule.RenewalPeriodSeconds, usage.CallsUsed, usage.BandwidthUsedBytes,
                        usage.Window.Start, usage.Window.End));
                }
            }
        }

        return new SubscriptionUsage(subscription.Id, subscription.Scope, rates, quotaUsages);
    }

    /// <summary>A stored document that cannot be loaded counts nothing (the gateway answers 500 for its operations).</summary>
    private static PolicyDocument? TryParse(string xml)
    {
        try
        {
            return PolicyDocument.Parse(xml);
        }
        catch (PolicyDocumentException)
        {
            return null;
        }
    }

    /// <summary>The documents whose per-subscription counters the subscription's calls feed: its product's, or its API's.</summary>
    private static IEnumerable<(string Scope, string ScopeKey, string? Xml)> Documents(GatewaySnapshot snapshot, string scope)
    {
        var parts = scope.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts is ["products", var productId])
        {
            var product = snapshot.Products.FirstOrDefault(p => string.Equals(p.Id, productId, StringComparison.OrdinalIgnoreCase));
            if (product is not null)
            {
                yield return ("/products/" + product.Id, CounterKeys.Instance(snapshot.ServiceName) + CounterKeys.ProductScope(product.Id), product.Policy);
            }
        }
        else if (parts is ["apis", var apiId])
        {
            var api = snapshot.Apis.FirstOrDefault(a => string.Equals(a.Id, apiId, StringComparison.OrdinalIgnoreCase));
            if (api is not null)
            {
                yield return ("/apis/" + api.Id, CounterKeys.Instance(snapshot.ServiceName) + CounterKeys.ApiScope(api.Id), api.Policy);
            }
        }
    }
}
