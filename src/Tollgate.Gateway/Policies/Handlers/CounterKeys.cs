namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>
/// How rate-limit and quota counters are named: per policy kind, per scope (<c>product:starter</c>, <c>api:echo</c>,
/// …) and per subscription. The handlers count under these names; <see cref="Runtime.SubscriptionUsageReader"/>
/// reads them back.
/// </summary>
public static class CounterKeys
{
    public static string RateLimitPrefix(string scopeKey) => $"@rl|{scopeKey}|";

    public static string QuotaPrefix(string scopeKey) => $"@q|{scopeKey}|";

    /// <summary>The prefix of a policy's per-subscription counter; the subscription id follows.</summary>
    public static string SubscriptionPrefix(string policyPrefix) => policyPrefix + "sub:";

    public static string ProductScope(string? productId) => productId is null ? "product:" : "product:" + productId.ToLowerInvariant();

    public static string ApiScope(string apiId) => "api:" + apiId.ToLowerInvariant();
}
