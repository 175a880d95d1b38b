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
    private const string ExactLogFunction = """
        local function rl_exact(K1, K2, A, o)
          local total = tonumber(redis.call('HGET', K2, 't') or '0')
          if total > 0 and redis.call('EXISTS', K1) == 0 then
            total = 0
          end
          local period = tonumber(A[o + 2])
          local limit = tonumber(A[o + 3])
          local count = tonumber(A[o + 4])
          local expired = redis.call('ZRANGEBYSCORE', K1, '-inf', A[o + 5])
          if #expired > 0 then
            for i = 1, #expired do
              total = total - tonumber(string.match(expired[i], '(%d+)$'))
            end
            if total < 0 then
              total = 0
            end
            redis.call('ZREMRANGEBYSCORE', K1, '-inf', A[o + 5])
            redis.call('HSET', K2, 't', total)
            redis.call('PEXPIRE', K1, A[o + 6])
            redis.call('PEXPIRE', K2, A[o + 6])
          end
          if total + count > limit then
            local retry = period
            if count <= limit then
              local needed = total + count - limit
              local oldest = redis.call('ZRANGE', K1, 0, needed - 1, 'WITHSCORES')
              local freed = 0
              for i = 1, #oldest, 2 do
                freed = freed + tonumber(string.match(oldest[i], '(%d+)$'))
                if freed >= needed then
                  retry = tonumber(oldest[i + 1]) + period - tonumber(A[o + 1])
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
          local seq = redis.call('HINCRBY', K2, 's', 1)
          redis.call('ZADD', K1, A[o + 1], A[o + 1] .. ':' .. seq .. ':' .. A[o + 4])
          total = total + count
          redis.call('HSET', K2, 't', total)
          redis.call('PEXPIRE', K1, A[o + 6])
          redis.call('PEXPIRE', K2, A[o + 6])
          return { 1, limit - total, 0, seq }
        end

        """;

    public const string RateLimitAcquire = ExactLogFunction + """
        return rl_exact(KEYS[1], KEYS[2], ARGV, 0)
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
    /// Bucketed sliding-window acquire, for limits above <see cref="RedisRateLimitStore.ExactLimit"/>: one hash per key,
    /// fields <c>t</c> = sum of the buckets, <c>o</c> = oldest bucket still held, <c>w</c> = bucket width (ms), and one
    /// field per bucket (index = floor(ms / width)) with the count admitted in it. A bucket counts until its end plus
    /// the period has passed, so the structure holds at most period / width + 1 buckets whatever the traffic.
    /// KEYS[1]: the hash. ARGV: now ms, period ms, width ms, limit, count, wanted (≥ count: the rest is leased to the
    /// caller's local pool when it fits), TTL ms, bucket index, first bucket still in the window.
    /// Returns { admitted 0|1, remaining, retry-after ms, granted, bucket }.
    /// </summary>
    private const string BucketFunction = """
        local function rl_bucket(K1, A, o)
          local h = redis.call('HMGET', K1, 't', 'o', 'w', A[o + 8])
          local now = tonumber(A[o + 1])
          local period = tonumber(A[o + 2])
          local width = tonumber(A[o + 3])
          local limit = tonumber(A[o + 4])
          local count = tonumber(A[o + 5])
          local b = tonumber(A[o + 8])
          local cut = tonumber(A[o + 9])
          local total = 0
          local oldest = cut
          local known = h[3] == A[o + 3]
          local held = 0
          if known then
            held = tonumber(h[4]) or 0
            total = tonumber(h[1]) or 0
            oldest = tonumber(h[2]) or cut
            if oldest < cut then
              if cut - oldest > 64 then
                local all = redis.call('HGETALL', K1)
                for i = 1, #all, 2 do
                  local f = all[i]
                  if f ~= 't' and f ~= 'o' and f ~= 'w' and tonumber(f) < cut then
                    total = total - tonumber(all[i + 1])
                    redis.call('HDEL', K1, f)
                  end
                end
              else
                for i = oldest, cut - 1 do
                  local v = redis.call('HGET', K1, i)
                  if v then
                    total = total - tonumber(v)
                    redis.call('HDEL', K1, i)
                  end
                end
              end
              oldest = cut
              if total < 0 then
                total = 0
              end
            end
          elseif h[3] then
            redis.call('DEL', K1)
          end
          if b < oldest then
            b = oldest
            held = tonumber(redis.call('HGET', K1, b) or '0')
          end
          if total + count > limit then
            local retry = period
            if count <= limit then
              local needed = total + count - limit
              local freed = 0
              for i = oldest, b do
                local v = redis.call('HGET', K1, i)
                if v then
                  freed = freed + tonumber(v)
                  if freed >= needed then
                    retry = (i + 1) * width + period - now
                    break
                  end
                end
              end
            end
            if known then
              redis.call('HSET', K1, 't', total, 'o', oldest)
            end
            local remaining = limit - total
            if remaining < 0 then
              remaining = 0
            end
            return { 0, remaining, retry, 0, b }
          end
          local grant = tonumber(A[o + 6])
          if grant > limit - total then
            grant = limit - total
          end
          if grant < count then
            grant = count
          end
          total = total + grant
          redis.call('HSET', K1, 't', total, 'o', oldest, 'w', A[o + 3], b, held + grant)
          -- A bucket counts until its end plus the period: the TTL set when it is created covers it.
          if held == 0 then
            redis.call('PEXPIRE', K1, A[o + 7])
          end
          return { 1, limit - total, 0, grant, b }
        end

        """;

    public const string RateLimitBucketAcquire = BucketFunction + """
        return rl_bucket(KEYS[1], ARGV, 0)
        """;

    /// <summary>
    /// Bucketed refund: takes calls back from the bucket they were counted in while it is still held.
    /// KEYS[1] as <see cref="RateLimitBucketAcquire"/>; ARGV: bucket, calls, width ms.
    /// </summary>
    public const string RateLimitBucketRefund = """
        local h = redis.call('HMGET', KEYS[1], 'o', 'w', ARGV[1])
        if h[2] == ARGV[3] and h[3] and tonumber(ARGV[1]) >= tonumber(h[1]) then
          local n = tonumber(ARGV[2])
          local held = tonumber(h[3])
          if n > held then
            n = held
          end
          if n > 0 then
            redis.call('HINCRBY', KEYS[1], ARGV[1], -n)
            if redis.call('HINCRBY', KEYS[1], 't', -n) < 0 then
              redis.call('HSET', KEYS[1], 't', 0)
            end
          end
        end
        return 0
        """;

    /// <summary>Bucketed usage, read only. KEYS[1] as <see cref="RateLimitBucketAcquire"/>; ARGV: width ms, first bucket in the window.</summary>
    public const string RateLimitBucketUsage = """
        if redis.call('HGET', KEYS[1], 'w') ~= ARGV[1] then
          return 0
        end
        local cut = tonumber(ARGV[2])
        local all = redis.call('HGETALL', KEYS[1])
        local total = 0
        for i = 1, #all, 2 do
          local f = all[i]
          if f ~= 't' and f ~= 'o' and f ~= 'w' and tonumber(f) >= cut then
            total = total + tonumber(all[i + 1])
          end
        end
        return total
        """;

    /// <summary>
    /// Fixed-window acquire. KEYS[1]: hash <c>w</c> = window start ms, <c>p</c> = period ms, <c>c</c> = calls, <c>b</c> = bytes.
    /// ARGV: window start, period, calls limit (-1: none), bytes limit (-1: none), calls to add, TTL ms (0: never expires),
    /// calls wanted (≥ calls to add: the rest, as far as the limit allows, is leased to the caller's local pool).
    /// A stored window of the same period that starts later (the caller's clock is behind) is counted in rather than reset.
    /// Returns { admitted 0|1, limit hit 0|1 calls|2 bandwidth, calls, bytes, window start, calls granted }.
    /// </summary>
    private const string QuotaFunction = """
        local function quota_acquire(K1, A, o)
          local h = redis.call('HMGET', K1, 'w', 'p', 'c', 'b')
          local start = tonumber(A[o + 1])
          local calls = 0
          local bytes = 0
          local fresh = true
          if h[1] and h[2] == A[o + 2] and tonumber(h[1]) >= start then
            start = tonumber(h[1])
            calls = tonumber(h[3]) or 0
            bytes = tonumber(h[4]) or 0
            fresh = false
          end
          local add = tonumber(A[o + 5])
          local callLimit = tonumber(A[o + 3])
          local byteLimit = tonumber(A[o + 4])
          if callLimit >= 0 and calls + add > callLimit then
            return { 0, 1, calls, bytes, start, 0 }
          end
          if byteLimit >= 0 and bytes >= byteLimit then
            return { 0, 2, calls, bytes, start, 0 }
          end
          local want = tonumber(A[o + 7] or A[o + 5])
          if add > 0 and want > add then
            if callLimit >= 0 and calls + want > callLimit then
              want = callLimit - calls
            end
            if want > add then
              add = want
            end
          end
          if fresh then
            redis.call('DEL', K1)
            redis.call('HSET', K1, 'w', A[o + 1], 'p', A[o + 2], 'c', add, 'b', 0)
            if tonumber(A[o + 6]) > 0 then
              redis.call('PEXPIRE', K1, A[o + 6])
            end
          elseif add > 0 then
            redis.call('HINCRBY', K1, 'c', add)
          end
          return { 1, 0, calls + add, bytes, start, add }
        end

        """;

    public const string QuotaAcquire = QuotaFunction + """
        return quota_acquire(KEYS[1], ARGV, 0)
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

    /// <summary>
    /// The counters of one request in one round trip (<see cref="RedisLimitBatch"/>): entries run in order, as the
    /// policies would one after the other, and the first rejection stops the batch (earlier entries stay counted, later
    /// ones do not run). ARGV[1]: entry count; then per entry its kind and the ARGV of its single script: <c>e</c> +
    /// 6 (<see cref="RateLimitAcquire"/>, 2 keys), <c>b</c> + 9 (<see cref="RateLimitBucketAcquire"/>, 1 key), <c>q</c> +
    /// 7 (<see cref="QuotaAcquire"/>, 1 key). KEYS: the entries' keys in order. Returns 6 values per entry that ran: its
    /// single script's result, padded with zeros.
    /// </summary>
    public const string LimitBatch = ExactLogFunction + BucketFunction + QuotaFunction + """
        local n = tonumber(ARGV[1])
        local a = 1
        local k = 1
        local out = {}
        for e = 1, n do
          local kind = ARGV[a + 1]
          local r
          if kind == 'e' then
            r = rl_exact(KEYS[k], KEYS[k + 1], ARGV, a + 1)
            k = k + 2
            a = a + 7
          elseif kind == 'b' then
            r = rl_bucket(KEYS[k], ARGV, a + 1)
            k = k + 1
            a = a + 10
          else
            r = quota_acquire(KEYS[k], ARGV, a + 1)
            k = k + 1
            a = a + 8
          end
          for i = 1, 6 do
            out[#out + 1] = r[i] or 0
          end
          if r[1] ~= 1 then
            break
          end
        end
        return out
        """;
}
