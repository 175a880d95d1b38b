using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>
/// The backends' circuit breakers in Redis, shared by every gateway on it (counters in Redis:
/// <c>Tollgate:Gateway:Counters:Provider=redis</c>): a circuit one gateway opens is open on all of them. Per
/// instance and backend, <c>{prefix}cb:{{service|backend}}:s</c> (a hash: the rule it counts for and until when the
/// circuit is open, milliseconds of the gateways' clock) and <c>…:f</c> (a sorted set of the failures within the
/// interval). A failure is one script (counted, and the circuit opened on the count-th); a call checks the hash (one
/// HMGET), except while this gateway already knows the circuit to be open. A changed rule starts closed, as in one
/// process. Keys expire after the longer of the interval and the trip duration (plus a minute of slack).
/// </summary>
/// <remarks>
/// While Redis cannot be reached the breakers are this process's own (<see cref="BackendCircuitBreakers"/>): calls
/// are not failed for want of a breaker, and the gateway log says so once a minute.
/// </remarks>
internal sealed partial class RedisBackendCircuitBreakers(IConnectionMultiplexer redis, string keyPrefix, ILogger logger) : IBackendCircuitBreakers
{
    // KEYS[1] the state hash, KEYS[2] the failures; ARGV: now, interval, count, trip (ms), rule, member, ttl (ms).
    private const string RecordScript = """
        local now = tonumber(ARGV[1])
        if redis.call('HGET', KEYS[1], 'rule') ~= ARGV[5] then
          redis.call('DEL', KEYS[2])
          redis.call('HSET', KEYS[1], 'rule', ARGV[5], 'open', '0')
        end
        local open = tonumber(redis.call('HGET', KEYS[1], 'open') or '0')
        if now < open then
          return 0
        end
        local ttl = tonumber(ARGV[7])
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
        redis.call('ZADD', KEYS[2], now, ARGV[6])
        if redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[3]) then
          redis.call('PEXPIRE', KEYS[2], ttl)
          redis.call('PEXPIRE', KEYS[1], ttl)
          return 0
        end
        redis.call('DEL', KEYS[2])
        redis.call('HSET', KEYS[1], 'open', ARGV[1] + tonumber(ARGV[4]))
        redis.call('PEXPIRE', KEYS[1], ttl)
        return 1
        """;

    private static readonly RedisValue[] StateFields = ["rule", "open"];

    private readonly BackendCircuitBreakers _fallback = new();

    /// <summary>Circuits this gateway saw open: (rule, open until in ms); Redis is not asked again until then.</summary>
    private readonly ConcurrentDictionary<string, (string Rule, long OpenUntil)> _known = new(StringComparer.OrdinalIgnoreCase);

    private long _lastWarning = long.MinValue;

    public async ValueTask<bool> IsOpenAsync(string service, GatewayBackend backend, DateTimeOffset now)
    {
        if (backend.CircuitBreaker is not { } rule)
        {
            return false;
        }

        var key = BackendCircuitBreakers.Key(service, backend);
        var fingerprint = Fingerprint(rule);
        var milliseconds = now.ToUnixTimeMilliseconds();
        if (_known.TryGetValue(key, out var known) && known.Rule == fingerprint && milliseconds < known.OpenUntil)
        {
            return true;
        }

        RedisValue[] state;
        try
        {
            state = await redis.GetDatabase().HashGetAsync(StateKey(key), StateFields).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisStores.IsStoreFailure(e))
        {
            Unavailable(e);
            return _fallback.IsOpen(service, backend, now);
        }

        if (state[0] != fingerprint || !long.TryParse((string?)state[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var openUntil) || milliseconds >= openUntil)
        {
            return false;
        }

        _known[key] = (fingerprint, openUntil);
        return true;
    }

    public async ValueTask<bool> RecordAsync(string service, GatewayBackend backend, int? status, TimeSpan? retryAfter, DateTimeOffset now)
    {
        if (backend.CircuitBreaker is not { } rule || !BackendCircuitBreakers.Fails(rule, status))
        {
            return false;
        }

        var key = BackendCircuitBreakers.Key(service, backend);
        var trip = BackendCircuitBreakers.Trip(rule, retryAfter);
        var milliseconds = now.ToUnixTimeMilliseconds();
        var tripMilliseconds = (long)Math.Ceiling(trip.TotalMilliseconds);
        var ttl = (long)Math.Ceiling(Math.Max(rule.Interval.TotalMilliseconds, tripMilliseconds)) + RedisStores.ExpirySlackMilliseconds;
        var fingerprint = Fingerprint(rule);
        RedisResult opened;
        try
        {
            opened = await RedisStores.EvaluateAsync(redis.GetDatabase(), RecordScript, [StateKey(key), FailuresKey(key)],
            [
                milliseconds, (long)Math.Ceiling(rule.Interval.TotalMilliseconds), rule.Count, tripMilliseconds, fingerprint,
                $"{milliseconds}:{Guid.NewGuid():N}", ttl,
            ]).ConfigureAwait(false);
        }
        catch (CounterStoreException e)
        {
            Unavailable(e);
            return _fallback.Record(service, backend, status, retryAfter, now);
        }

        if ((long)opened != 1)
        {
            return false;
        }

        _known[key] = (fingerprint, milliseconds + tripMilliseconds);
        return true;
    }

    private RedisKey StateKey(string key) => $"{keyPrefix}cb:{{{key}}}:s";

    private RedisKey FailuresKey(string key) => $"{keyPrefix}cb:{{{key}}}:f";

    /// <summary>What a rule counts for: a changed rule starts closed (its failures and trip are the old rule's).</summary>
    private static string Fingerprint(GatewayCircuitBreaker rule) => string.Create(CultureInfo.InvariantCulture,
        $"{rule.Name}|{rule.Count}|{rule.Interval.Ticks}|{rule.TripDuration.Ticks}|{rule.AcceptRetryAfter}|{string.Join(',', rule.StatusCodeRanges.Select(r => $"{r.Min}-{r.Max}"))}");

    private void Unavailable(Exception e)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastWarning);
        if (now - last >= 60_000 && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            Log.StoreUnavailable(logger, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.BackendCircuitStoreUnavailable, LogLevel.Warning, "The backends' circuit breakers in Redis cannot be reached ({Problem}): this gateway counts failures on its own until Redis answers again.")]
        public static partial void StoreUnavailable(ILogger logger, string problem);
    }
}
