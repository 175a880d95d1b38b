using System.Buffers.Binary;
using StackExchange.Redis;
using Tollgate.Gateway.Policies.Counters;

namespace Tollgate.Gateway.Policies.Caching;

/// <summary>
/// The cache in Redis, shared by every gateway connected to it: <c>{prefix}c:{key}</c> holds the expiry (int64
/// milliseconds of the caller's clock, little-endian) followed by the value. Reads check that expiry against the
/// caller's <see cref="TimeProvider"/>; the key's Redis TTL (the same time to live, relative) only collects garbage.
/// Size is bounded by the server's <c>maxmemory</c> and eviction policy.
/// </summary>
public sealed class RedisCacheStore : ICacheStore
{
    private const int HeaderBytes = 8;

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly int _database;

    public RedisCacheStore(IConnectionMultiplexer redis, TimeProvider time, string keyPrefix = RedisStores.DefaultKeyPrefix, int database = -1)
    {
        _redis = redis;
        _time = time;
        _prefix = keyPrefix + "c:";
        _database = database;
    }

    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[]? stored;
        try
        {
            stored = await _redis.GetDatabase(_database).StringGetAsync(_prefix + key).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisStores.IsStoreFailure(ex))
        {
            throw RedisStores.Unavailable(ex);
        }

        if (stored is null || stored.Length < HeaderBytes)
        {
            return null;
        }

        var expires = BinaryPrimitives.ReadInt64LittleEndian(stored);
        return _time.GetUtcNow().ToUnixTimeMilliseconds() >= expires ? null : stored[HeaderBytes..];
    }

    public async ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var database = _redis.GetDatabase(_database);
        try
        {
            if (timeToLive <= TimeSpan.Zero)
            {
                await database.KeyDeleteAsync(_prefix + key).ConfigureAwait(false);
                return;
            }

            var stored = new byte[HeaderBytes + value.Length];
            var expires = _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)Math.Ceiling(timeToLive.TotalMilliseconds);
            BinaryPrimitives.WriteInt64LittleEndian(stored, expires);
            value.Span.CopyTo(stored.AsSpan(HeaderBytes));
            await database.StringSetAsync(_prefix + key, stored, timeToLive).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisStores.IsStoreFailure(ex))
        {
            throw RedisStores.Unavailable(ex);
        }
    }

    public async ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            return await _redis.GetDatabase(_database).KeyDeleteAsync(_prefix + key).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisStores.IsStoreFailure(ex))
        {
            throw RedisStores.Unavailable(ex);
        }
    }
}
