using StackExchange.Redis;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// Quota counters in Redis, shared by every gateway connected to it: per key one hash <c>{prefix}q:{key}</c> holding
/// the window (start and period, in the caller's milliseconds) and its calls and bytes. One atomic Lua script per
/// decision (<see cref="RedisScripts.QuotaAcquire"/>). A renewing window's hash expires <see cref="RedisStores.ExpirySlack"/> after the window ends; a
/// never-renewing quota's hash never expires (Redis persistence is the operator's: use AOF or RDB on that server).
/// </summary>
public sealed class RedisQuotaStore : IQuotaStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly int _database;

    /// <param name="redis">A connected multiplexer, shared with the other stores; not disposed by this store.</param>
    /// <param name="keyPrefix">Prepended to every key (several Tollgate installations can share one Redis).</param>
    public RedisQuotaStore(IConnectionMultiplexer redis, TimeProvider time, string keyPrefix = RedisStores.DefaultKeyPrefix, int database = -1)
    {
        _redis = redis;
        _time = time;
        _prefix = keyPrefix + "q:{";
        _database = database;
    }

    public async ValueTask<QuotaDecision> AcquireAsync(string key, QuotaRule rule, int calls = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(calls);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var window = rule.WindowAt(now);
        var ttl = window.Renews ? Math.Max(0, window.EndMilliseconds - now) + RedisStores.ExpirySlackMilliseconds : 0;
        var result = await RedisStores.EvaluateAsync(
            _redis.GetDatabase(_database),
            RedisScripts.QuotaAcquire,
            [Key(key)],
            [window.StartMilliseconds, window.PeriodMilliseconds, rule.Calls ?? -1, rule.BandwidthBytes ?? -1, calls, ttl]);
        var values = (RedisResult[])result!;
        var admitted = (long)values[0] == 1;
        var limit = (QuotaLimit)(int)(long)values[1];
        // The window actually counted in: a later one than ours when another gateway's clock is ahead.
        var counted = new QuotaWindow((long)values[4], window.PeriodMilliseconds);
        var lease = admitted ? new QuotaLease(key, counted, calls) : default;
        return new QuotaDecision(admitted, limit, (long)values[2], (long)values[3], counted.RemainingAt(now), lease);
    }

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
}
