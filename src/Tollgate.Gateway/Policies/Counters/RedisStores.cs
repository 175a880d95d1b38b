using StackExchange.Redis;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>What the Redis stores share: the default key prefix and turning client failures into <see cref="CounterStoreException"/>.</summary>
public static class RedisStores
{
    /// <summary>Prepended to every key unless configured otherwise.</summary>
    public const string DefaultKeyPrefix = "tollgate:";

    /// <summary>
    /// How long past the end of their window (on the caller's clock) keys are kept: covers gateways whose clocks
    /// differ, and the time between a caller reading its clock and Redis running the script.
    /// </summary>
    public static readonly TimeSpan ExpirySlack = TimeSpan.FromSeconds(60);

    internal static long ExpirySlackMilliseconds => (long)ExpirySlack.TotalMilliseconds;

    /// <summary>Runs a script (EVALSHA, falling back to EVAL after a server restart); one round trip.</summary>
    internal static async Task<RedisResult> EvaluateAsync(IDatabase database, string script, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await database.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            throw Unavailable(ex);
        }
    }

    internal static bool IsStoreFailure(Exception ex) => ex is RedisException or TimeoutException or ObjectDisposedException;

    internal static CounterStoreException Unavailable(Exception ex) => new($"Redis did not answer: {ex.Message}", ex);
}
