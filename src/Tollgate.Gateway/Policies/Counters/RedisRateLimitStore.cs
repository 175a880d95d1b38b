using System.Globalization;
using StackExchange.Redis;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// Rate-limit counters in Redis, shared by every gateway connected to it: per key a sorted set of the admitted calls
/// (<c>{prefix}rl:{key}</c>) and a hash with their total (<c>{prefix}rl:{key}:m</c>; the braces keep both in one cluster
/// slot). One atomic Lua script per decision (<see cref="RedisScripts.RateLimitAcquire"/>), with the time taken from the
/// caller's <see cref="TimeProvider"/>. Keys expire one window (plus <see cref="RedisStores.ExpirySlack"/>) after their last change.
/// </summary>
public sealed class RedisRateLimitStore : IRateLimitStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly int _database;

    /// <param name="redis">A connected multiplexer, shared with the other stores; not disposed by this store.</param>
    /// <param name="keyPrefix">Prepended to every key (several Tollgate installations can share one Redis).</param>
    public RedisRateLimitStore(IConnectionMultiplexer redis, TimeProvider time, string keyPrefix = RedisStores.DefaultKeyPrefix, int database = -1)
    {
        _redis = redis;
        _time = time;
        _prefix = keyPrefix + "rl:{";
        _database = database;
    }

    public async ValueTask<RateLimitDecision> AcquireAsync(string key, RateLimitRule rule, int count = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var period = rule.PeriodMilliseconds;
        var result = await RedisStores.EvaluateAsync(
            _redis.GetDatabase(_database),
            RedisScripts.RateLimitAcquire,
            Keys(key),
            [now, period, rule.Calls, count, now - period, period + RedisStores.ExpirySlackMilliseconds]);
        var values = (RedisResult[])result!;
        var admitted = (long)values[0] == 1;
        var remaining = (int)(long)values[1];
        if (!admitted)
        {
            var retryMilliseconds = (long)values[2];
            return new RateLimitDecision(false, remaining, (int)Math.Max(1, (retryMilliseconds + 999) / 1000), default);
        }

        return new RateLimitDecision(true, remaining, 0, new RateLimitLease(key, (long)values[3], count, now));
    }

    public async ValueTask RefundAsync(RateLimitLease lease, CancellationToken cancellationToken = default)
    {
        if (lease.Key is not { } key)
        {
            return;
        }

        var member = string.Create(CultureInfo.InvariantCulture, $"{lease.TimestampMilliseconds}:{lease.Id}:{lease.Count}");
        await RedisStores.EvaluateAsync(_redis.GetDatabase(_database), RedisScripts.RateLimitRefund, Keys(key), [member, -lease.Count]);
    }

    public async ValueTask<RateLimitUsage> GetUsageAsync(string key, RateLimitRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var result = await RedisStores.EvaluateAsync(_redis.GetDatabase(_database), RedisScripts.RateLimitUsage, Keys(key), [now - rule.PeriodMilliseconds]);
        var counted = (long)result;
        return new RateLimitUsage(counted, Math.Max(0, rule.Calls - counted));
    }

    private RedisKey[] Keys(string key)
    {
        var log = string.Concat(_prefix, key, "}");
        return [log, log + ":m"];
    }
}
