namespace Tollgate.Gateway.Policies.Counters;

/// <summary>Where rate-limit and quota counters and the response cache live (section <c>Tollgate:Gateway:Counters</c>).</summary>
public sealed class CounterStoreOptions
{
    /// <summary>The in-process stores (the default).</summary>
    public const string MemoryProvider = "memory";

    /// <summary>Redis, shared by several gateways.</summary>
    public const string RedisProvider = "redis";

    /// <summary><c>memory</c> (default: this process; quota counts persisted to <see cref="QuotaFilePath"/>) or <c>redis</c>.</summary>
    public string Provider { get; set; } = MemoryProvider;

    /// <summary>StackExchange.Redis configuration string for <c>redis</c>, e.g. <c>127.0.0.1:6379,password=…</c>.</summary>
    public string? RedisConfiguration { get; set; }

    /// <summary>
    /// Redis only: let gateways take calls of limits above 1,000 from Redis in leases (limit / 1,000, at most 256) and
    /// hand them out without a round trip (README.md of the stores). Default true; false makes every decision in Redis.
    /// </summary>
    public bool RedisLeases { get; set; } = true;

    /// <summary>Prepended to every Redis key. Default <c>tollgate:</c>.</summary>
    public string KeyPrefix { get; set; } = RedisStores.DefaultKeyPrefix;

    /// <summary>File of the in-process quota counts. Default <c>{data}/quota-counters.json</c>.</summary>
    public string? QuotaFilePath { get; set; }

    /// <summary>
    /// How often changed in-process quota counts are written (and always on shutdown). Default and most 1 s: a process
    /// killed without shutting down (kill -9, a crash) loses at most the last second's counts. Longer values are
    /// taken as 1 s.
    /// </summary>
    public TimeSpan QuotaPersistInterval { get; set; } = MaxQuotaPersistInterval;

    /// <summary>The longest <see cref="QuotaPersistInterval"/>: 1 s.</summary>
    public static readonly TimeSpan MaxQuotaPersistInterval = TimeSpan.FromSeconds(1);

    /// <summary>Most bytes the in-process response cache holds. Default 64 MiB.</summary>
    public long CacheSizeLimitBytes { get; set; } = 64L * 1024 * 1024;
}
