namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>
/// How rate-limit and quota counters are named: per policy kind, per instance and scope
/// (<c>demoazureml|product:starter</c>, <c>demoazureml|api:echo</c>, …) and per subscription. The handlers count
/// under these names; <see cref="Runtime.SubscriptionUsageReader"/> reads them back. Counter keys of the by-key
/// policies and cache keys start with <see cref="Instance"/> too: two instances never share a counter or a cache entry.
/// </summary>
public static class CounterKeys
{
    /// <summary>The prefix of every counter and cache key of an instance.</summary>
    public static string Instance(string serviceName) => serviceName.ToLowerInvariant() + "|";

    public static string RateLimitPrefix(string scopeKey) => $"@rl|{scopeKey}|";

    public static string QuotaPrefix(string scopeKey) => $"@q|{scopeKey}|";

    /// <summary>The prefix of a policy's per-subscription counter; the subscription id follows.</summary>
    public static string SubscriptionPrefix(string policyPrefix) => policyPrefix + "sub:";

    public static string ProductScope(string? productId) => productId is null ? "product:" : "product:" + productId.ToLowerInvariant();

    public static string ApiScope(string apiId) => "api:" + apiId.ToLowerInvariant();
}
