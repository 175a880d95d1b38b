using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// Rate-limit counters in Redis, shared by every gateway connected to it. Two structures, chosen by the rule's limit
/// (see <c>README.md</c>, "Redis: exact up to 1,000 calls, bucketed above"):
/// <list type="bullet">
/// <item>Limits up to <see cref="ExactLimit"/>: the exact log, a sorted set of the admitted calls (<c>{prefix}rl:{key}</c>)
/// and a hash with their total (<c>{prefix}rl:{key}:m</c>), one atomic Lua script per decision
/// (<see cref="RedisScripts.RateLimitAcquire"/>).</item>
/// <item>Larger limits: one hash of per-bucket counts (<c>{prefix}rl:{key}:b</c>, at most 61 buckets of period/60 each,
/// <see cref="RedisScripts.RateLimitBucketAcquire"/>), and calls taken from Redis in leases of up to
/// <see cref="MaxLease"/> (limit/1,000) that this gateway hands out locally while the bucket lasts: most decisions then
/// make no round trip.</item>
/// </list>
/// The braces keep a key's structures in one cluster slot. Time comes from the caller's <see cref="TimeProvider"/>.
/// Keys expire one window (plus <see cref="RedisStores.ExpirySlack"/>) after their last change.
/// </summary>
public sealed class RedisRateLimitStore : IRateLimitStore, IDisposable
{
    /// <summary>Largest limit counted in the exact log; larger limits use buckets (and local leases).</summary>
    public const int ExactLimit = 1000;

    /// <summary>Most calls one gateway takes from Redis at a time for one key (at most limit / 1,000).</summary>
    public const int MaxLease = 256;

    /// <summary>Buckets per window: a bucket is period / 60 wide (1 s for 60 s).</summary>
    public const int BucketsPerWindow = 60;

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly int _database;
    private readonly ConcurrentDictionary<string, LocalPool> _pools = new(StringComparer.Ordinal);
    private readonly ITimer _sweeper;
    private readonly bool _leases;

    /// <param name="redis">A connected multiplexer, shared with the other stores; not disposed by this store.</param>
    /// <param name="keyPrefix">Prepended to every key (several Tollgate installations can share one Redis).</param>
    /// <param name="leases">False: no local leases, every decision is made in Redis (buckets still hold large limits).</param>
    public RedisRateLimitStore(IConnectionMultiplexer redis, TimeProvider time, string keyPrefix = RedisStores.DefaultKeyPrefix, int database = -1, bool leases = true)
    {
        _leases = leases;
        _redis = redis;
        _time = time;
        _prefix = keyPrefix + "rl:{";
        _database = database;
        _sweeper = time.CreateTimer(static state => ((RedisRateLimitStore)state!).Sweep(), this, SweepInterval, SweepInterval);
    }

    /// <summary>Width of the buckets of a rule above <see cref="ExactLimit"/>: period / 60, rounded up.</summary>
    internal static long BucketWidth(RateLimitRule rule) => (rule.PeriodMilliseconds + BucketsPerWindow - 1) / BucketsPerWindow;

    /// <summary>Calls taken from Redis at once for a limit (1: no local lease).</summary>
    internal static int LeaseSize(int calls) => calls <= ExactLimit ? 1 : Math.Clamp(calls / 1000, 1, MaxLease);

    private int LeaseFor(int calls) => _leases ? LeaseSize(calls) : 1;

    public ValueTask<RateLimitDecision> AcquireAsync(string key, RateLimitRule rule, int count = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var now = Now();
        if (TryAcquireLocal(key, rule, count, now, out var local))
        {
            return new ValueTask<RateLimitDecision>(local);
        }

        return AcquireRemoteAsync(key, rule, count, now);
    }

    private async ValueTask<RateLimitDecision> AcquireRemoteAsync(string key, RateLimitRule rule, int count, long now)
    {
        var keys = new List<RedisKey>(2);
        var args = new List<RedisValue>(10);
        var exact = AddRemote(key, rule, count, now, keys, args);
        var result = await RedisStores.EvaluateAsync(
            _redis.GetDatabase(_database),
            exact ? RedisScripts.RateLimitAcquire : RedisScripts.RateLimitBucketAcquire,
            [.. keys],
            args.GetRange(1, args.Count - 1).ToArray());
        return Read(key, rule, count, now, (RedisResult[])result!);
    }

    internal IConnectionMultiplexer Redis => _redis;

    internal int Database => _database;

    internal long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A decision from this gateway's lease, without a round trip (limits above <see cref="ExactLimit"/>).</summary>
    internal bool TryAcquireLocal(string key, RateLimitRule rule, int count, long now, out RateLimitDecision decision)
    {
        decision = default;
        if (rule.Calls <= ExactLimit || LeaseFor(rule.Calls) <= 1 || !_pools.TryGetValue(key, out var pool))
        {
            return false;
        }

        var width = BucketWidth(rule);
        return TryTake(key, pool, rule, width, FloorDiv(now, width), count, now, out decision);
    }

    /// <summary>
    /// Adds the keys and arguments of one decision in Redis: <c>e</c> and the arguments of
    /// <see cref="RedisScripts.RateLimitAcquire"/>, or <c>b</c> and those of <see cref="RedisScripts.RateLimitBucketAcquire"/>
    /// (as <see cref="RedisScripts.LimitBatch"/> reads them). True for the exact log.
    /// </summary>
    internal bool AddRemote(string key, RateLimitRule rule, int count, long now, List<RedisKey> keys, List<RedisValue> args)
    {
        var period = rule.PeriodMilliseconds;
        if (rule.Calls <= ExactLimit)
        {
            var log = string.Concat(_prefix, key, "}");
            keys.Add(log);
            keys.Add(log + ":m");
            args.AddRange(["e", now, period, rule.Calls, count, now - period, period + RedisStores.ExpirySlackMilliseconds]);
            return true;
        }

        var width = BucketWidth(rule);
        keys.Add(BucketKey(key));
        args.AddRange(["b", now, period, width, rule.Calls, count, Math.Max(count, LeaseFor(rule.Calls)),
            period + width + RedisStores.ExpirySlackMilliseconds, FloorDiv(now, width), FloorDiv(now - period, width)]);
        return false;
    }

    /// <summary>Reads what Redis decided (the result of <see cref="AddRemote"/>'s script) and keeps what it leased.</summary>
    internal RateLimitDecision Read(string key, RateLimitRule rule, int count, long now, ReadOnlySpan<RedisResult> values)
    {
        var remaining = (int)(long)values[1];
        if ((long)values[0] != 1)
        {
            return Rejected(remaining, (long)values[2]);
        }

        if (rule.Calls <= ExactLimit)
        {
            return new RateLimitDecision(true, remaining, 0, new RateLimitLease(key, (long)values[3], count, now));
        }

        var width = BucketWidth(rule);
        var granted = (int)(long)values[3];
        var counted = (long)values[4];
        var leftover = granted - count;
        if (leftover > 0)
        {
            Keep(key, rule, width, counted, leftover, remaining);
        }

        return new RateLimitDecision(true, remaining + leftover, 0, new RateLimitLease(key, counted, count, now, width));
    }

    private static long FloorDiv(long value, long divisor) => Math.DivRem(value, divisor, out var rest) - (rest < 0 ? 1 : 0);

    private static RateLimitDecision Rejected(int remaining, long retryMilliseconds) =>
        new(false, remaining, (int)Math.Max(1, (retryMilliseconds + 999) / 1000), default);

    /// <summary>Takes calls from this gateway's lease for the key when it is for the current bucket.</summary>
    private bool TryTake(string key, LocalPool pool, RateLimitRule rule, long width, long bucket, int count, long now, out RateLimitDecision decision)
    {
        int stale;
        long staleBucket, staleWidth;
        lock (pool)
        {
            if (pool.Bucket == bucket && pool.Width == width && pool.Limit == rule.Calls && !pool.Removed)
            {
                if (pool.Tokens >= count)
                {
                    pool.Tokens -= count;
                    decision = new RateLimitDecision(true, pool.RemainingAtLease + pool.Tokens, 0, new RateLimitLease(key, bucket, count, now, width));
                    return true;
                }

                decision = default;
                return false;
            }

            (stale, staleBucket, staleWidth) = (pool.Tokens, pool.Bucket, pool.Width);
            pool.Tokens = 0;
        }

        if (stale > 0)
        {
            GiveBack(key, staleBucket, staleWidth, stale);
        }

        decision = default;
        return false;
    }

    /// <summary>Keeps calls Redis granted beyond this one for the next calls of this gateway in the same bucket.</summary>
    private void Keep(string key, RateLimitRule rule, long width, long bucket, int tokens, int remaining)
    {
        while (true)
        {
            var pool = _pools.GetOrAdd(key, static _ => new LocalPool());
            int giveBack;
            long giveBucket, giveWidth;
            lock (pool)
            {
                if (pool.Removed)
                {
                    continue;
                }

                if (pool.Bucket == bucket && pool.Width == width && pool.Limit == rule.Calls)
                {
                    pool.Tokens += tokens;
                    pool.RemainingAtLease = Math.Min(pool.RemainingAtLease, remaining);
                    return;
                }

                if (pool.Width == width && pool.Bucket > bucket)
                {
                    // A later bucket's lease is already here: ours is stale.
                    (giveBack, giveBucket, giveWidth) = (tokens, bucket, width);
                }
                else
                {
                    (giveBack, giveBucket, giveWidth) = (pool.Tokens, pool.Bucket, pool.Width);
                    pool.Bucket = bucket;
                    pool.Width = width;
                    pool.Limit = rule.Calls;
                    pool.Tokens = tokens;
                    pool.RemainingAtLease = remaining;
                }
            }

            if (giveBack > 0)
            {
                GiveBack(key, giveBucket, giveWidth, giveBack);
            }

            return;
        }
    }

    /// <summary>Returns leased calls that were not used to their bucket (fire and forget: nobody waits for it).</summary>
    private void GiveBack(string key, long bucket, long width, int tokens)
    {
        try
        {
            _redis.GetDatabase(_database).ScriptEvaluate(
                RedisScripts.RateLimitBucketRefund, [BucketKey(key)], [bucket, tokens, width], CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (RedisStores.IsStoreFailure(ex))
        {
            // Unreturned calls only make the limit stricter until their bucket leaves the window.
        }
    }

    /// <summary>Returns the leases of buckets that have ended and drops their pools. Runs on the timer.</summary>
    internal void Sweep()
    {
        var now = Now();
        foreach (var pair in _pools)
        {
            var pool = pair.Value;
            int stale;
            long bucket, width;
            lock (pool)
            {
                if (pool.Removed || pool.Width == 0 || FloorDiv(now, pool.Width) <= pool.Bucket)
                {
                    continue;
                }

                (stale, bucket, width) = (pool.Tokens, pool.Bucket, pool.Width);
                pool.Tokens = 0;
                pool.Removed = true;
                _pools.TryRemove(pair);
            }

            if (stale > 0)
            {
                GiveBack(pair.Key, bucket, width, stale);
            }
        }
    }

    public async ValueTask RefundAsync(RateLimitLease lease, CancellationToken cancellationToken = default)
    {
        if (lease.Key is not { } key)
        {
            return;
        }

        if (lease.BucketWidthMilliseconds > 0)
        {
            await RedisStores.EvaluateAsync(
                _redis.GetDatabase(_database), RedisScripts.RateLimitBucketRefund, [BucketKey(key)], [lease.Id, lease.Count, lease.BucketWidthMilliseconds]);
            return;
        }

        var member = string.Create(CultureInfo.InvariantCulture, $"{lease.TimestampMilliseconds}:{lease.Id}:{lease.Count}");
        await RedisStores.EvaluateAsync(_redis.GetDatabase(_database), RedisScripts.RateLimitRefund, Keys(key), [member, -lease.Count]);
    }

    public async ValueTask<RateLimitUsage> GetUsageAsync(string key, RateLimitRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = Now();
        RedisResult result;
        if (rule.Calls <= ExactLimit)
        {
            result = await RedisStores.EvaluateAsync(_redis.GetDatabase(_database), RedisScripts.RateLimitUsage, Keys(key), [now - rule.PeriodMilliseconds]);
        }
        else
        {
            var width = BucketWidth(rule);
            var cut = FloorDiv(now - rule.PeriodMilliseconds, width);
            result = await RedisStores.EvaluateAsync(_redis.GetDatabase(_database), RedisScripts.RateLimitBucketUsage, [BucketKey(key)], [width, cut]);
        }

        var counted = (long)result;
        return new RateLimitUsage(counted, Math.Max(0, rule.Calls - counted));
    }

    /// <summary>Stops the sweep timer; calls still leased return to Redis when their bucket leaves the window.</summary>
    public void Dispose() => _sweeper.Dispose();

    private RedisKey[] Keys(string key)
    {
        var log = string.Concat(_prefix, key, "}");
        return [log, log + ":m"];
    }

    private RedisKey BucketKey(string key) => string.Concat(_prefix, key, "}:b");

    /// <summary>Calls of one key this gateway took from Redis and has not handed out yet, for one bucket. Guarded by its own lock.</summary>
    private sealed class LocalPool
    {
        public long Bucket { get; set; }

        public long Width { get; set; }

        public int Limit { get; set; }

        public int Tokens { get; set; }

        public int RemainingAtLease { get; set; }

        public bool Removed { get; set; }
    }
}
