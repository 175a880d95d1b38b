using System.Globalization;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// Counters of APIM's <c>quota</c> and <c>quota-by-key</c> policies: calls and bandwidth per fixed window of
/// <see cref="QuotaRule.RenewalPeriodSeconds"/> anchored at <see cref="QuotaRule.PeriodStart"/> (0 = never renews).
/// Implementations: <see cref="InMemoryQuotaStore"/> (one process, counts persisted to a file) and
/// <see cref="RedisQuotaStore"/>. See <c>README.md</c> in this folder.
/// </summary>
public interface IQuotaStore
{
    /// <summary>
    /// Admits a call when the window's calls plus <paramref name="calls"/> stay within <see cref="QuotaRule.Calls"/>
    /// and the window's bandwidth is still below <see cref="QuotaRule.BandwidthKilobytes"/>, and counts it; a rejected
    /// call is not counted. Atomic.
    /// </summary>
    /// <param name="calls">
    /// 1 for a call; 0 to check the limits without counting, for a key this request has already counted
    /// ("incremented only once per request": the runtime keeps the keys a request counted and passes 0 the second time).
    /// </param>
    /// <exception cref="CounterStoreException">The store cannot be reached.</exception>
    ValueTask<QuotaDecision> AcquireAsync(string key, QuotaRule rule, int calls = 1, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds the bytes of an admitted call once they are known (after the response), to the window the call was
    /// admitted in; nothing when that window has renewed since.
    /// </summary>
    /// <exception cref="CounterStoreException">The store cannot be reached.</exception>
    ValueTask AddBandwidthAsync(QuotaLease lease, long bytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back the calls an admitted call counted (quota-by-key whose <c>increment-condition</c> turned out false),
    /// if its window is still current. No-op for an empty lease. Call it at most once per lease.
    /// </summary>
    /// <exception cref="CounterStoreException">The store cannot be reached.</exception>
    ValueTask RefundAsync(QuotaLease lease, CancellationToken cancellationToken = default);

    /// <summary>What the current window of a key has counted (for usage reports and tests); counts nothing.</summary>
    /// <exception cref="CounterStoreException">The store cannot be reached.</exception>
    ValueTask<QuotaUsage> GetUsageAsync(string key, QuotaRule rule, CancellationToken cancellationToken = default);
}

/// <summary>Which limit of a quota rejected a call.</summary>
public enum QuotaLimit
{
    /// <summary>Admitted.</summary>
    None = 0,

    /// <summary>"Out of call volume quota."</summary>
    Calls = 1,

    /// <summary>"Out of bandwidth quota."</summary>
    Bandwidth = 2,
}

/// <summary>A quota: calls and/or kilobytes per fixed window.</summary>
public readonly record struct QuotaRule
{
    /// <summary>1 KB of <c>bandwidth</c>.</summary>
    public const long BytesPerKilobyte = 1024;

    /// <param name="calls">Calls per window (≥ 0), or null for no call limit.</param>
    /// <param name="bandwidthKilobytes">Kilobytes (1 KB = 1024 bytes) per window (≥ 0), or null for no bandwidth limit.</param>
    /// <param name="renewalPeriodSeconds">Window length in seconds; 0 = the window never renews (a lifetime quota).</param>
    /// <param name="periodStart">
    /// Where windows are anchored: the subscription's start for <c>quota</c>, <c>first-period-start</c> for
    /// <c>quota-by-key</c> (APIM's default <c>0001-01-01T00:00:00Z</c> is <see cref="DateTimeOffset.MinValue"/>).
    /// </param>
    public QuotaRule(long? calls, long? bandwidthKilobytes, int renewalPeriodSeconds, DateTimeOffset periodStart)
    {
        if (calls is null && bandwidthKilobytes is null)
        {
            throw new ArgumentException("A quota needs a calls limit, a bandwidth limit or both.", nameof(calls));
        }

        if (calls is { } c)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(c, nameof(calls));
        }

        if (bandwidthKilobytes is { } kb)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(kb, nameof(bandwidthKilobytes));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(kb, long.MaxValue / BytesPerKilobyte, nameof(bandwidthKilobytes));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(renewalPeriodSeconds);
        Calls = calls;
        BandwidthKilobytes = bandwidthKilobytes;
        RenewalPeriodSeconds = renewalPeriodSeconds;
        PeriodStart = periodStart;
    }

    public long? Calls { get; }

    public long? BandwidthKilobytes { get; }

    /// <summary><see cref="BandwidthKilobytes"/> × 1024.</summary>
    public long? BandwidthBytes => BandwidthKilobytes * BytesPerKilobyte;

    public int RenewalPeriodSeconds { get; }

    public DateTimeOffset PeriodStart { get; }

    /// <summary>False when <see cref="RenewalPeriodSeconds"/> is 0.</summary>
    public bool Renews => RenewalPeriodSeconds > 0;

    /// <summary>The window <paramref name="now"/> falls in.</summary>
    public QuotaWindow WindowAt(DateTimeOffset now) => WindowAt(now.ToUnixTimeMilliseconds());

    internal QuotaWindow WindowAt(long nowMilliseconds)
    {
        if (!Renews)
        {
            return QuotaWindow.Forever;
        }

        var period = RenewalPeriodSeconds * 1000L;
        var anchor = PeriodStart.ToUnixTimeMilliseconds();
        // Floor division: a now before the anchor falls in the window that ends at the anchor.
        var index = Math.DivRem(nowMilliseconds - anchor, period, out var rest);
        if (rest < 0)
        {
            index--;
        }

        return new QuotaWindow(anchor + (index * period), period);
    }
}

/// <summary>One fixed quota window: [start, start + period), or forever when the period is 0.</summary>
public readonly record struct QuotaWindow(long StartMilliseconds, long PeriodMilliseconds)
{
    /// <summary>The window of a quota that never renews.</summary>
    public static QuotaWindow Forever => new(0, 0);

    public bool Renews => PeriodMilliseconds > 0;

    /// <summary>First instant of the next window; <see cref="long.MaxValue"/> when the window never renews.</summary>
    public long EndMilliseconds => Renews ? StartMilliseconds + PeriodMilliseconds : long.MaxValue;

    /// <summary>Start of the window; null when it never renews.</summary>
    public DateTimeOffset? Start => Renews ? DateTimeOffset.FromUnixTimeMilliseconds(StartMilliseconds) : null;

    /// <summary>When the window renews; null when it never does.</summary>
    public DateTimeOffset? End => Renews ? DateTimeOffset.FromUnixTimeMilliseconds(EndMilliseconds) : null;

    /// <summary>Time left until the window renews; null when it never does.</summary>
    public TimeSpan? RemainingAt(long nowMilliseconds) =>
        Renews ? TimeSpan.FromMilliseconds(Math.Max(0, EndMilliseconds - nowMilliseconds)) : null;

    /// <summary>True when <paramref name="other"/> is this window or an earlier window of the same length.</summary>
    internal bool IsSameOrLaterThan(QuotaWindow other) =>
        PeriodMilliseconds == other.PeriodMilliseconds && StartMilliseconds >= other.StartMilliseconds;
}

/// <summary>What <see cref="IQuotaStore.AcquireAsync"/> decided.</summary>
/// <param name="Admitted">True when the call is within the quota (and was counted).</param>
/// <param name="ExceededLimit">The limit that rejected the call: calls are checked first, then bandwidth.</param>
/// <param name="CallsUsed">Calls counted in the window after this decision.</param>
/// <param name="BandwidthUsedBytes">Bytes counted in the window after this decision.</param>
/// <param name="RenewsIn">Time until the window renews; null for a quota that never renews.</param>
/// <param name="Lease">What to pass to AddBandwidthAsync and RefundAsync; empty when rejected.</param>
public readonly record struct QuotaDecision(bool Admitted, QuotaLimit ExceededLimit, long CallsUsed, long BandwidthUsedBytes, TimeSpan? RenewsIn, QuotaLease Lease)
{
    /// <summary>
    /// <see cref="RenewsIn"/> in whole seconds, rounded up, ≥ 1 (the <c>Retry-After</c> value); null for a quota that
    /// never renews (no <c>Retry-After</c> header then).
    /// </summary>
    public int? RetryAfterSeconds => RenewsIn is { } renewsIn ? RoundUpToSeconds(renewsIn) : null;

    /// <summary>
    /// <see cref="RetryAfterSeconds"/> as .NET's <c>[d.]hh:mm:ss</c>, for "Quota will be replenished in 5.03:23:11.";
    /// null for a quota that never renews.
    /// </summary>
    public string? RenewsInText => RetryAfterSeconds is { } seconds ? FormatDuration(TimeSpan.FromSeconds(seconds)) : null;

    /// <summary>APIM's wire format of a duration: <c>hh:mm:ss</c>, with <c>d.</c> in front from one day on.</summary>
    public static string FormatDuration(TimeSpan duration) =>
        duration.ToString(duration.Days > 0 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture);

    internal static int RoundUpToSeconds(TimeSpan span)
    {
        var seconds = (span.Ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        return (int)Math.Clamp(seconds, 1, int.MaxValue);
    }
}

/// <summary>What a key's current window has counted.</summary>
public readonly record struct QuotaUsage(long CallsUsed, long BandwidthUsedBytes, QuotaWindow Window);

/// <summary>Identifies what one admitted call counted in its quota window.</summary>
public readonly record struct QuotaLease
{
    internal QuotaLease(string key, QuotaWindow window, int calls)
    {
        Key = key;
        Window = window;
        Calls = calls;
    }

    /// <summary>The counter key; null for the empty lease of a rejected call.</summary>
    public string? Key { get; }

    /// <summary>False for the empty lease of a rejected call.</summary>
    public bool IsEmpty => Key is null;

    /// <summary>The window the call was counted in.</summary>
    public QuotaWindow Window { get; }

    internal int Calls { get; }
}
