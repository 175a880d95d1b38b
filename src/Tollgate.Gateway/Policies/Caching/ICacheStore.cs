namespace Tollgate.Gateway.Policies.Caching;

/// <summary>
/// The cache behind APIM's <c>cache-lookup</c>/<c>cache-store</c> (whole responses, see <see cref="CachedResponse"/>)
/// and <c>cache-lookup-value</c>/<c>cache-store-value</c>/<c>cache-remove-value</c> (any value). Keys are built by the
/// caller (vary-by headers, query, developer, group…); values are bytes with a time to live measured on the caller's
/// <see cref="TimeProvider"/>. Implementations: <see cref="MemoryCacheStore"/> (one process, bounded in bytes) and
/// <see cref="RedisCacheStore"/>.
/// </summary>
public interface ICacheStore
{
    /// <summary>The value stored under <paramref name="key"/> if it has not expired; null otherwise. The array is shared: do not modify it.</summary>
    /// <exception cref="Counters.CounterStoreException">The store cannot be reached.</exception>
    ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="value"/> (copied) for <paramref name="timeToLive"/>, replacing what was there; a
    /// non-positive time to live removes the key instead. A bounded store may drop older entries, or refuse a value
    /// larger than it allows.
    /// </summary>
    /// <exception cref="Counters.CounterStoreException">The store cannot be reached.</exception>
    ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken = default);

    /// <summary>Removes the key; true when it held a value.</summary>
    /// <exception cref="Counters.CounterStoreException">The store cannot be reached.</exception>
    ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>Whole responses in an <see cref="ICacheStore"/>.</summary>
public static class CacheStoreResponseExtensions
{
    /// <summary>The response cached under <paramref name="key"/>, or null (none, expired, or not a cached response).</summary>
    public static async ValueTask<CachedResponse?> GetResponseAsync(this ICacheStore store, string key, CancellationToken cancellationToken = default)
    {
        var bytes = await store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return bytes is not null && CachedResponse.TryDeserialize(bytes, out var response) ? response : null;
    }

    /// <summary>Caches <paramref name="response"/> under <paramref name="key"/> for <paramref name="timeToLive"/>.</summary>
    public static ValueTask SetResponseAsync(this ICacheStore store, string key, CachedResponse response, TimeSpan timeToLive, CancellationToken cancellationToken = default) =>
        store.SetAsync(key, response.Serialize(), timeToLive, cancellationToken);
}
