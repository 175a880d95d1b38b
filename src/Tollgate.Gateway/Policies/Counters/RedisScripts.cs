namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// The Lua scripts of the Redis counter stores. Each decision is one script, so it is atomic and one round trip.
/// Time is never read on the server: callers pass their own clock's milliseconds, so tests can run on a fake clock
/// and gateways sharing one Redis agree on windows. Key TTLs are relative (PEXPIRE), so they only collect garbage and
/// never depend on the two clocks agreeing: they run <see cref="RedisStores.ExpirySlack"/> past the end of what they
/// hold, so that a gateway whose clock is a little behind still finds the counts it must see.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// Sliding-window acquire.
    /// KEYS[1]: sorted set of admitted calls, member <c>"{ms}:{seq}:{count}"</c>, score = ms.
    /// KEYS[2]: hash, <c>t</c> = sum of the counts in KEYS[1], <c>s</c> = member sequence.
    /// ARGV: now ms, period ms, limit, count, cutoff ms (now - period: calls at or before it have left the window), key TTL ms.
    /// Returns { admitted 0|1, remaining, retry-after ms, seq }.
    /// </summary>
    public const string RateLimitAcquire = """
        local total = tonumber(redis.call('HGET', KEYS[2], 't') or '0')
        if total > 0 and redis.call('EXISTS', KEYS[1]) == 0 then
          total = 0
        end
        local period = tonumber(ARGV[2])
        local limit = tonumber(ARGV[3])
        local count = tonumber(ARGV[4])
        local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[5])
        if #expired > 0 then
          for i = 1, #expired do
            total = total - tonumber(string.match(expired[i], '(%d+)$'))
          end
          if total < 0 then
            total = 0
          end
          redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[5])
          redis.call('HSET', KEYS[2], 't', total)
          redis.call('PEXPIRE', KEYS[1], ARGV[6])
          redis.call('PEXPIRE', KEYS[2], ARGV[6])
        end
        if total + count > limit then
          local retry = period
          if count <= limit then
            local needed = total + count - limit
            local oldest = redis.call('ZRANGE', KEYS[1], 0, needed - 1, 'WITHSCORES')
            local freed = 0
            for i = 1, #oldest, 2 do
              freed = freed + tonumber(string.match(oldest[i], '(%d+)$'))
              if freed >= needed then
                retry = tonumber(oldest[i + 1]) + period - tonumber(ARGV[1])
                break
              end
            end
          end
          local remaining = limit - total
          if remaining < 0 then
            remaining = 0
          end
          return { 0, remaining, retry, 0 }
        end
        local seq = redis.call('HINCRBY', KEYS[2], 's', 1)
        redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1] .. ':' .. seq .. ':' .. ARGV[4])
        total = total + count
        redis.call('HSET', KEYS[2], 't', total)
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        redis.call('PEXPIRE', KEYS[2], ARGV[6])
        return { 1, limit - total, 0, seq }
        """;

    /// <summary>
    /// Sliding-window usage, read only. KEYS as <see cref="RateLimitAcquire"/>; ARGV: cutoff ms (now - period).
    /// Returns the sum of the counts of the calls after the cutoff.
    /// </summary>
    public const string RateLimitUsage = """
        local members = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
        local total = 0
        for i = 1, #members do
          total = total + tonumber(string.match(members[i], '(%d+)$'))
        end
        return total
        """;

    /// <summary>
    /// Sliding-window refund. KEYS as <see cref="RateLimitAcquire"/>; ARGV: member, minus the count.
    /// Nothing when the member has left the window (or was refunded already).
    /// </summary>
    public const string RateLimitRefund = """
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
          if redis.call('HINCRBY', KEYS[2], 't', ARGV[2]) < 0 then
            redis.call('HSET', KEYS[2], 't', 0)
          end
        end
        return 0
        """;

    /// <summary>
    /// Fixed-window acquire. KEYS[1]: hash <c>w</c> = window start ms, <c>p</c> = period ms, <c>c</c> = calls, <c>b</c> = bytes.
    /// ARGV: window start, period, calls limit (-1: none), bytes limit (-1: none), calls to add, TTL ms (0: never expires).
    /// A stored window of the same period that starts later (the caller's clock is behind) is counted in rather than reset.
    /// Returns { admitted 0|1, limit hit 0|1 calls|2 bandwidth, calls, bytes, window start }.
    /// </summary>
    public const string QuotaAcquire = """
        local h = redis.call('HMGET', KEYS[1], 'w', 'p', 'c', 'b')
        local start = tonumber(ARGV[1])
        local calls = 0
        local bytes = 0
        local fresh = true
        if h[1] and h[2] == ARGV[2] and tonumber(h[1]) >= start then
          start = tonumber(h[1])
          calls = tonumber(h[3]) or 0
          bytes = tonumber(h[4]) or 0
          fresh = false
        end
        local add = tonumber(ARGV[5])
        local callLimit = tonumber(ARGV[3])
        local byteLimit = tonumber(ARGV[4])
        if callLimit >= 0 and calls + add > callLimit then
          return { 0, 1, calls, bytes, start }
        end
        if byteLimit >= 0 and bytes >= byteLimit then
          return { 0, 2, calls, bytes, start }
        end
        if fresh then
          redis.call('DEL', KEYS[1])
          redis.call('HSET', KEYS[1], 'w', ARGV[1], 'p', ARGV[2], 'c', ARGV[5], 'b', 0)
          if tonumber(ARGV[6]) > 0 then
            redis.call('PEXPIRE', KEYS[1], ARGV[6])
          end
        elseif add > 0 then
          redis.call('HINCRBY', KEYS[1], 'c', ARGV[5])
        end
        return { 1, 0, calls + add, bytes, start }
        """;

    /// <summary>Adds bytes when the window is still the lease's. KEYS[1] as <see cref="QuotaAcquire"/>; ARGV: window start, period, bytes.</summary>
    public const string QuotaAddBandwidth = """
        local h = redis.call('HMGET', KEYS[1], 'w', 'p')
        if h[1] == ARGV[1] and h[2] == ARGV[2] then
          redis.call('HINCRBY', KEYS[1], 'b', ARGV[3])
        end
        return 0
        """;

    /// <summary>Takes calls back when the window is still the lease's. KEYS[1] as <see cref="QuotaAcquire"/>; ARGV: window start, period, minus the calls.</summary>
    public const string QuotaRefund = """
        local h = redis.call('HMGET', KEYS[1], 'w', 'p')
        if h[1] == ARGV[1] and h[2] == ARGV[2] then
          if redis.call('HINCRBY', KEYS[1], 'c', ARGV[3]) < 0 then
            redis.call('HSET', KEYS[1], 'c', 0)
          end
        end
        return 0
        """;
}
