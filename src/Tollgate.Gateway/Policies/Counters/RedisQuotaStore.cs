using StackExchange.Redis;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// Quota counters in Redis, shared by every gateway connected to it: per key one hash <c>{prefix}q:{key}</c> holding
/// the window (start and period, in the caller's milliseconds) and its calls and bytes. One atomic Lua script per
/// decision (<see cref="RedisScripts.QuotaAcquire"/>); for call limits above 1,000 without a bandwidth limit, calls are
/// taken from Redis in leases of up to limit / 1,000 (at most 256) that this gateway hands out locally for up to
/// <see cref="LeaseLifetime"/>, so most decisions make no round trip. A renewing window's hash expires <see cref="RedisStores.ExpirySlack"/> after the window ends; a
/// never-renewing quota's hash never expires (Redis persistence is the operator's: use AOF or RDB on that server).
/// </summary>
public sealed class RedisQuotaStore : IQuotaStore, IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly int _database;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LocalPool> _pools = new(StringComparer.Ordinal);
    private readonly ITimer _sweeper;
    private readonly bool _leases;

    /// <param name="redis">A connected multiplexer, shared with the other stores; not disposed by this store.</param>
    /// <param name="keyPrefix">Prepended to every key (several Tollgate installations can share one Redis).</param>
    /// <param name="leases">False: no local leases, every decision is made in Redis.</param>
    public RedisQuotaStore(IConnectionMultiplexer redis, TimeProvider time, string keyPrefix = RedisStores.DefaultKeyPrefix, int database = -1, bool leases = true)
    {
        _leases = leases;
        _redis = redis;
        _time = time;
        _prefix = keyPrefix + "q:{";
        _database = database;
        _sweeper = time.CreateTimer(static state => ((RedisQuotaStore)state!).Sweep(), this, LeaseLifetime * 5, LeaseLifetime * 5);
    }

    /// <summary>Smallest call limit for which calls are leased to the gateway (see <see cref="RedisRateLimitStore.ExactLimit"/>).</summary>
    public const int ExactLimit = RedisRateLimitStore.ExactLimit;

    /// <summary>How long leased calls may be handed out before what is left goes back to Redis.</summary>
    public static readonly TimeSpan LeaseLifetime = TimeSpan.FromSeconds(1);

    /// <summary>Calls taken from Redis at once for a rule (1: no local lease): limits above 1,000 without a bandwidth limit.</summary>
    internal static int LeaseSize(QuotaRule rule) =>
        rule.Calls is { } calls && calls > ExactLimit && rule.BandwidthKilobytes is null ? (int)Math.Clamp(calls / 1000, 1, RedisRateLimitStore.MaxLease) : 1;

    internal IConnectionMultiplexer Redis => _redis;

    internal int Database => _database;

    internal long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public ValueTask<QuotaDecision> AcquireAsync(string key, QuotaRule rule, int calls = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(calls);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (TryAcquireLocal(key, rule, calls, now, out var local))
        {
            return new ValueTask<QuotaDecision>(local);
        }

        return AcquireRemoteAsync(key, rule, calls, now);
    }

    private async ValueTask<QuotaDecision> AcquireRemoteAsync(string key, QuotaRule rule, int calls, long now)
    {
        var keys = new List<RedisKey>(1);
        var args = new List<RedisValue>(8);
        AddRemote(key, rule, calls, now, keys, args);
        var result = await RedisStores.EvaluateAsync(
            _redis.GetDatabase(_database), RedisScripts.QuotaAcquire, [.. keys], args.GetRange(1, args.Count - 1).ToArray());
        return Read(key, rule, calls, now, (RedisResult[])result!);
    }

    /// <summary>A decision from this gateway's lease, without a round trip (call limits above 1,000, no bandwidth limit).</summary>
    internal bool TryAcquireLocal(string key, QuotaRule rule, int calls, long now, out QuotaDecision decision)
    {
        decision = default;
        return calls == 1 && _leases && LeaseSize(rule) > 1 && _pools.TryGetValue(key, out var pool) && TryTake(key, pool, rule, rule.WindowAt(now), now, out decision);
    }

    /// <summary>Adds the key and <c>q</c> with the arguments of <see cref="RedisScripts.QuotaAcquire"/> (as <see cref="RedisScripts.LimitBatch"/> reads them).</summary>
    internal void AddRemote(string key, QuotaRule rule, int calls, long now, List<RedisKey> keys, List<RedisValue> args)
    {
        var window = rule.WindowAt(now);
        var ttl = window.Renews ? Math.Max(0, window.EndMilliseconds - now) + RedisStores.ExpirySlackMilliseconds : 0;
        var lease = calls == 1 && _leases ? LeaseSize(rule) : 1;
        keys.Add(Key(key));
        args.AddRange(["q", window.StartMilliseconds, window.PeriodMilliseconds, rule.Calls ?? -1, rule.BandwidthBytes ?? -1, calls, ttl, Math.Max(calls, lease)]);
    }

    /// <summary>Reads what Redis decided (the result of <see cref="AddRemote"/>'s script) and keeps what it leased.</summary>
    internal QuotaDecision Read(string key, QuotaRule rule, int calls, long now, ReadOnlySpan<RedisResult> values)
    {
        var window = rule.WindowAt(now);
        var admitted = (long)values[0] == 1;
        var limit = (QuotaLimit)(int)(long)values[1];
        // The window actually counted in: a later one than ours when another gateway's clock is ahead.
        var counted = new QuotaWindow((long)values[4], window.PeriodMilliseconds);
        var used = (long)values[2];
        var bytes = (long)values[3];
        if (!admitted)
        {
            return new QuotaDecision(false, limit, used, bytes, counted.RemainingAt(now), default);
        }

        var leftover = (int)(long)values[5] - calls;
        if (leftover > 0)
        {
            Keep(key, rule, counted, now, leftover, used, bytes);
        }

        return new QuotaDecision(true, limit, used - leftover, bytes, counted.RemainingAt(now), new QuotaLease(key, counted, calls));
    }

    /// <summary>Takes a call from this gateway's lease for the key when it is for the current window and still fresh.</summary>
    private bool TryTake(string key, LocalPool pool, QuotaRule rule, QuotaWindow window, long now, out QuotaDecision decision)
    {
        int stale;
        QuotaWindow staleWindow;
        lock (pool)
        {
            if (pool.Window == window && pool.Limit == rule.Calls && now < pool.ExpiresAt && !pool.Removed)
            {
                if (pool.Tokens > 0)
                {
                    pool.Tokens--;
                    decision = new QuotaDecision(true, QuotaLimit.None, pool.CallsAtLease - pool.Tokens, pool.BytesAtLease, window.RemainingAt(now), new QuotaLease(key, window, 1));
                    return true;
                }

                decision = default;
                return false;
            }

            (stale, staleWindow) = (pool.Tokens, pool.Window);
            pool.Tokens = 0;
        }

        if (stale > 0)
        {
            GiveBack(key, staleWindow, stale);
        }

        decision = default;
        return false;
    }

    private void Keep(string key, QuotaRule rule, QuotaWindow window, long now, int tokens, long calls, long bytes)
    {
        while (true)
        {
            var pool = _pools.GetOrAdd(key, static _ => new LocalPool());
            int giveBack;
            QuotaWindow giveWindow;
            lock (pool)
            {
                if (pool.Removed)
                {
                    continue;
                }

                if (pool.Window == window && pool.Limit == rule.Calls && now < pool.ExpiresAt)
                {
                    pool.Tokens += tokens;
                    pool.CallsAtLease = Math.Max(pool.CallsAtLease, calls);
                    pool.BytesAtLease = Math.Max(pool.BytesAtLease, bytes);
                    return;
                }

                (giveBack, giveWindow) = (pool.Tokens, pool.Window);
                pool.Window = window;
                pool.Limit = rule.Calls;
                pool.Tokens = tokens;
                pool.CallsAtLease = calls;
                pool.BytesAtLease = bytes;
                pool.ExpiresAt = Math.Min(now + (long)LeaseLifetime.TotalMilliseconds, window.EndMilliseconds);
            }

            if (giveBack > 0)
            {
                GiveBack(key, giveWindow, giveBack);
            }

            return;
        }
    }

    /// <summary>Returns leased calls that were not used to their window (fire and forget).</summary>
    private void GiveBack(string key, QuotaWindow window, int tokens)
    {
        try
        {
            _redis.GetDatabase(_database).ScriptEvaluate(
                RedisScripts.QuotaRefund, [Key(key)], [window.StartMilliseconds, window.PeriodMilliseconds, -tokens], CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (RedisStores.IsStoreFailure(ex))
        {
            // Unreturned calls only make the quota stricter for the rest of the window.
        }
    }

    /// <summary>Returns leases that have expired and drops their pools. Runs on the timer.</summary>
    internal void Sweep()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var pair in _pools)
        {
            var pool = pair.Value;
            int stale;
            QuotaWindow window;
            lock (pool)
            {
                if (pool.Removed || now < pool.ExpiresAt)
                {
                    continue;
                }

                (stale, window) = (pool.Tokens, pool.Window);
                pool.Tokens = 0;
                pool.Removed = true;
                _pools.TryRemove(pair);
            }

            if (stale > 0)
            {
                GiveBack(pair.Key, window, stale);
            }
        }
    }

    /// <summary>Stops the sweep timer.</summary>
    public void Dispose() => _sweeper.Dispose();

    public async ValueTask AddBandwidthAsync(QuotaLease lease, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0 || lease.Key is not { } key)
        {
            return;
        }

        await RedisStores.EvaluateAsync(
            _redis.GetDatabase(_database),
            RedisScripts.QuotaAddBandwidth,
            [Key(key)],
            [lease.Window.StartMilliseconds, lease.Window.PeriodMilliseconds, bytes]);
    }

    public async ValueTask RefundAsync(QuotaLease lease, CancellationToken cancellationToken = default)
    {
        if (lease.Calls == 0 || lease.Key is not { } key)
        {
            return;
        }

        await RedisStores.EvaluateAsync(
            _redis.GetDatabase(_database),
            RedisScripts.QuotaRefund,
            [Key(key)],
            [lease.Window.StartMilliseconds, lease.Window.PeriodMilliseconds, -lease.Calls]);
    }

    public async ValueTask<QuotaUsage> GetUsageAsync(string key, QuotaRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var window = rule.WindowAt(_time.GetUtcNow());
        RedisValue[] fields;
        try
        {
            fields = await _redis.GetDatabase(_database).HashGetAsync(Key(key), ["w", "p", "c", "b"]);
        }
        catch (Exception ex) when (RedisStores.IsStoreFailure(ex))
        {
            throw RedisStores.Unavailable(ex);
        }

        if (fields[0].TryParse(out long start) && fields[1].TryParse(out long period))
        {
            var stored = new QuotaWindow(start, period);
            if (stored.IsSameOrLaterThan(window))
            {
                return new QuotaUsage((long)fields[2], (long)fields[3], stored);
            }
        }

        return new QuotaUsage(0, 0, window);
    }

    private RedisKey Key(string key) => string.Concat(_prefix, key, "}");

    /// <summary>Calls of one key this gateway took from Redis and has not handed out yet. Guarded by its own lock.</summary>
    private sealed class LocalPool
    {
        public QuotaWindow Window { get; set; }

        public long? Limit { get; set; }

        public int Tokens { get; set; }

        public long CallsAtLease { get; set; }

        public long BytesAtLease { get; set; }

        public long ExpiresAt { get; set; }

        public bool Removed { get; set; }
    }
}
