namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// Counters of APIM's <c>rate-limit</c> and <c>rate-limit-by-key</c> policies: an exact sliding window of
/// <see cref="RateLimitRule.RenewalPeriodSeconds"/> per counter key. Implementations: <see cref="InMemoryRateLimitStore"/>
/// (one process) and <see cref="RedisRateLimitStore"/> (gateways sharing one Redis). See <c>README.md</c> in this folder.
/// </summary>
public interface IRateLimitStore
{
    /// <summary>
    /// Admits a call worth <paramref name="count"/> (rate-limit-by-key's <c>increment-count</c>, ≥ 1) when the calls
    /// counted in the last <c>renewal-period</c> seconds plus <paramref name="count"/> stay within
    /// <see cref="RateLimitRule.Calls"/>, and counts it; a rejected call is not counted. Atomic: N concurrent callers
    /// against a limit L admit at most L.
    /// </summary>
    /// <param name="key">The whole counter key, built by the caller (scope, subscription or counter-key value).</param>
    /// <exception cref="CounterStoreException">The store cannot be reached; the caller decides whether to fail open or closed.</exception>
    ValueTask<RateLimitDecision> AcquireAsync(string key, RateLimitRule rule, int count = 1, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back what an admitted call counted (rate-limit-by-key whose <c>increment-condition</c> turned out false
    /// after the response). No-op for an empty lease, a lease already refunded, or one whose call has left the window.
    /// </summary>
    /// <exception cref="CounterStoreException">The store cannot be reached.</exception>
    ValueTask RefundAsync(RateLimitLease lease, CancellationToken cancellationToken = default);

    /// <summary>The calls counted in the window ending now, without counting anything (usage per subscription).</summary>
    /// <exception cref="CounterStoreException">The store cannot be reached.</exception>
    ValueTask<RateLimitUsage> GetUsageAsync(string key, RateLimitRule rule, CancellationToken cancellationToken = default);
}

/// <summary>A rate-limit counter as it stands: calls counted in the sliding window ending now, and calls left.</summary>
public readonly record struct RateLimitUsage(long CallsInWindow, long Remaining);

/// <summary>A rate limit: at most <see cref="Calls"/> in any sliding window of <see cref="RenewalPeriodSeconds"/>.</summary>
public readonly record struct RateLimitRule
{
    /// <summary>APIM's maximum <c>renewal-period</c> for rate limits.</summary>
    public const int MaxRenewalPeriodSeconds = 300;

    /// <param name="calls">Calls allowed per window, ≥ 0 (0 rejects every call).</param>
    /// <param name="renewalPeriodSeconds">Window length in seconds, 1 to <see cref="MaxRenewalPeriodSeconds"/>.</param>
    public RateLimitRule(int calls, int renewalPeriodSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(calls);
        ArgumentOutOfRangeException.ThrowIfLessThan(renewalPeriodSeconds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(renewalPeriodSeconds, MaxRenewalPeriodSeconds);
        Calls = calls;
        RenewalPeriodSeconds = renewalPeriodSeconds;
    }

    public int Calls { get; }

    public int RenewalPeriodSeconds { get; }

    internal long PeriodMilliseconds => RenewalPeriodSeconds * 1000L;
}

/// <summary>What <see cref="IRateLimitStore.AcquireAsync"/> decided.</summary>
/// <param name="Admitted">True when the call is within the limit (and was counted).</param>
/// <param name="Remaining">Calls left in the window after this decision (for <c>remaining-calls-header-name</c>), ≥ 0.</param>
/// <param name="RetryAfterSeconds">
/// When rejected: seconds until enough earlier calls leave the window for this one to fit, rounded up, ≥ 1 (for
/// <c>Retry-After</c> and "Try again in N seconds"). A call worth more than the whole limit never fits: the window
/// length. 0 when admitted.
/// </param>
/// <param name="Lease">What to pass to <see cref="IRateLimitStore.RefundAsync"/>; empty when rejected.</param>
public readonly record struct RateLimitDecision(bool Admitted, int Remaining, int RetryAfterSeconds, RateLimitLease Lease);

/// <summary>Identifies one admitted call inside its counter, so that exactly that call can be refunded.</summary>
public readonly record struct RateLimitLease
{
    internal RateLimitLease(string key, long id, int count, long timestampMilliseconds, long bucketWidthMilliseconds = 0)
    {
        Key = key;
        Id = id;
        Count = count;
        TimestampMilliseconds = timestampMilliseconds;
        BucketWidthMilliseconds = bucketWidthMilliseconds;
    }

    /// <summary>The counter key; null for the empty lease of a rejected call.</summary>
    public string? Key { get; }

    /// <summary>False for the empty lease of a rejected call.</summary>
    public bool IsEmpty => Key is null;

    internal long Id { get; }

    internal int Count { get; }

    internal long TimestampMilliseconds { get; }

    /// <summary>0 for a call in an exact log; else the width of the bucket it was counted in (Redis, large limits).</summary>
    internal long BucketWidthMilliseconds { get; }
}
