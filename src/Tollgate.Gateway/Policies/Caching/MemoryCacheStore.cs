using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;

namespace Tollgate.Gateway.Policies.Caching;

/// <summary>Settings of <see cref="MemoryCacheStore"/>.</summary>
public sealed class MemoryCacheStoreOptions
{
    /// <summary>Most bytes held (values plus keys plus a fixed overhead per entry). Default 64 MiB.</summary>
    public long SizeLimitBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest value stored; larger ones are not cached. Default: an eighth of <see cref="SizeLimitBytes"/>.</summary>
    public long? MaxValueBytes { get; set; }

    /// <summary>How often expired entries are looked for when the cache is used. Default 1 minute.</summary>
    public TimeSpan ExpirationScanFrequency { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The cache of one process, on <see cref="MemoryCache"/> with a size limit in bytes and the caller's clock.
/// A value that does not fit makes room first: expired entries, then the least recently used, are evicted
/// synchronously, so the newest value is kept and the total never exceeds <see cref="MemoryCacheStoreOptions.SizeLimitBytes"/>.
/// </summary>
public sealed class MemoryCacheStore : ICacheStore, IDisposable
{
    /// <summary>Bytes counted per entry on top of its key and value (entry object, expiration, bookkeeping).</summary>
    internal const int EntryOverheadBytes = 128;

    private readonly MemoryCache _cache;
    private readonly long _sizeLimit;
    private readonly long _maxValue;

    public MemoryCacheStore(TimeProvider time, MemoryCacheStoreOptions? options = null)
    {
        options ??= new MemoryCacheStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SizeLimitBytes, 1);
        _sizeLimit = options.SizeLimitBytes;
        _maxValue = options.MaxValueBytes ?? Math.Max(1, options.SizeLimitBytes / 8);
        _cache = new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = _sizeLimit,
            Clock = new TimeProviderClock(time),
            ExpirationScanFrequency = options.ExpirationScanFrequency,
            TrackStatistics = true,
            CompactionPercentage = 0.05,
        });
    }

    /// <summary>Bytes currently held, as counted against the limit (for tests and metrics).</summary>
    internal long CurrentSize => _cache.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    /// <summary>Entries currently held.</summary>
    internal int Count => _cache.Count;

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ValueTask.FromResult(_cache.TryGetValue(key, out var value) ? (byte[]?)value : null);
    }

    public ValueTask SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (timeToLive <= TimeSpan.Zero || value.Length > _maxValue)
        {
            _cache.Remove(key);
            return ValueTask.CompletedTask;
        }

        var size = value.Length + (key.Length * 2L) + EntryOverheadBytes;
        if (size > _sizeLimit)
        {
            _cache.Remove(key);
            return ValueTask.CompletedTask;
        }

        // Make room now rather than letting MemoryCache refuse this entry and compact in the background.
        _cache.Remove(key);
        for (var attempt = 0; attempt < 32 && CurrentSize + size > _sizeLimit && _cache.Count > 0; attempt++)
        {
            _cache.Compact(attempt < 8 ? 0.1 : 0.5);
        }

        using (var entry = _cache.CreateEntry(key))
        {
            entry.Value = value.ToArray();
            entry.Size = size;
            entry.AbsoluteExpirationRelativeToNow = timeToLive;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var existed = _cache.TryGetValue(key, out _);
        _cache.Remove(key);
        return ValueTask.FromResult(existed);
    }

    public void Dispose() => _cache.Dispose();

    private sealed class TimeProviderClock(TimeProvider time) : ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
