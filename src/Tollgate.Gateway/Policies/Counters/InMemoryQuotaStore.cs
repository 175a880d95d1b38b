using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>Settings of <see cref="InMemoryQuotaStore"/>.</summary>
public sealed class InMemoryQuotaStoreOptions
{
    /// <summary>
    /// File the counts are kept in across restarts (see <see cref="QuotaCountersFile"/>). Null keeps them in memory only.
    /// </summary>
    public string? FilePath { get; set; }

    /// <summary>
    /// How often changed counts are written to <see cref="FilePath"/> (only when something changed: one small file
    /// written to a temporary name and renamed). Default 1 s, the most a kill -9 may lose; they are also written on dispose.
    /// </summary>
    public TimeSpan PersistInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often keys whose window has renewed are dropped. Default 1 minute.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Quota counters of one process: per key the current window and its calls and bytes, each key under its own lock.
/// Counts are written to a file (write to a temporary file, then rename over the old one) every
/// <see cref="InMemoryQuotaStoreOptions.PersistInterval"/> when something changed and on dispose, and read back when
/// the store is created, so a restart does not reset a week's quota. Keys whose window has renewed are dropped by a
/// timer, one key at a time.
/// </summary>
public sealed partial class InMemoryQuotaStore : IQuotaStore, IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly string? _filePath;
    private readonly ILogger _logger;
    private readonly ITimer _sweeper;
    private readonly ITimer? _persister;
    private readonly Lock _saveGate = new();
    private long _changes;
    private long _savedChanges;
    private bool _disposed;

    public InMemoryQuotaStore(TimeProvider time, InMemoryQuotaStoreOptions? options = null, ILogger<InMemoryQuotaStore>? logger = null)
    {
        options ??= new InMemoryQuotaStoreOptions();
        _time = time;
        _filePath = options.FilePath;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (_filePath is not null)
        {
            Load(_filePath);
            _persister = time.CreateTimer(static state => ((InMemoryQuotaStore)state!).SaveIfChanged(), this, options.PersistInterval, options.PersistInterval);
        }

        _sweeper = time.CreateTimer(static state => ((InMemoryQuotaStore)state!).Sweep(), this, options.SweepInterval, options.SweepInterval);
    }

    /// <summary>Keys currently held (for tests and metrics).</summary>
    internal int KeyCount => _counters.Count;

    /// <summary>The clock of the decisions (<see cref="InMemoryLimitBatchStore"/> reads it once for a batch).</summary>
    internal TimeProvider Time => _time;

    public ValueTask<QuotaDecision> AcquireAsync(string key, QuotaRule rule, int calls = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(calls);
        return ValueTask.FromResult(Acquire(key, rule, calls, NowMilliseconds()));
    }

    /// <summary><see cref="AcquireAsync"/> at <paramref name="now"/> (Unix milliseconds of this store's clock).</summary>
    internal QuotaDecision Acquire(string key, QuotaRule rule, int calls, long now)
    {
        var window = rule.WindowAt(now);
        while (true)
        {
            var counter = _counters.GetOrAdd(key, static (_, w) => new Counter(w), window);
            lock (counter)
            {
                if (counter.Removed)
                {
                    continue;
                }

                counter.MoveTo(window);
                if (rule.Calls is { } callLimit && counter.Calls + calls > callLimit)
                {
                    return Rejected(QuotaLimit.Calls, counter, now);
                }

                if (rule.BandwidthBytes is { } byteLimit && counter.Bytes >= byteLimit)
                {
                    return Rejected(QuotaLimit.Bandwidth, counter, now);
                }

                if (calls > 0)
                {
                    counter.Calls += calls;
                    // Counted for the file only (a shared atomic increment per call is not free).
                    if (_filePath is not null)
                    {
                        Interlocked.Increment(ref _changes);
                    }
                }

                return new QuotaDecision(
                    true, QuotaLimit.None, counter.Calls, counter.Bytes, counter.Window.RemainingAt(now), new QuotaLease(key, counter.Window, calls));
            }
        }
    }

    public ValueTask AddBandwidthAsync(QuotaLease lease, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > 0 && lease.Key is { } key && _counters.TryGetValue(key, out var counter))
        {
            lock (counter)
            {
                if (!counter.Removed && counter.Window == lease.Window)
                {
                    counter.Bytes = SaturatingAdd(counter.Bytes, bytes);
                    Interlocked.Increment(ref _changes);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RefundAsync(QuotaLease lease, CancellationToken cancellationToken = default)
    {
        if (lease.Calls > 0 && lease.Key is { } key && _counters.TryGetValue(key, out var counter))
        {
            lock (counter)
            {
                if (!counter.Removed && counter.Window == lease.Window)
                {
                    counter.Calls = Math.Max(0, counter.Calls - lease.Calls);
                    Interlocked.Increment(ref _changes);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<QuotaUsage> GetUsageAsync(string key, QuotaRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var window = rule.WindowAt(NowMilliseconds());
        if (_counters.TryGetValue(key, out var counter))
        {
            lock (counter)
            {
                if (!counter.Removed && counter.Window.IsSameOrLaterThan(window))
                {
                    return ValueTask.FromResult(new QuotaUsage(counter.Calls, counter.Bytes, counter.Window));
                }
            }
        }

        return ValueTask.FromResult(new QuotaUsage(0, 0, window));
    }

    /// <summary>Writes the counts now when something changed since the last write.</summary>
    public void Flush() => SaveIfChanged();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _sweeper.Dispose();
        _persister?.Dispose();
        SaveIfChanged();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Drops keys whose window has renewed (their counts no longer matter). Runs on the timer.</summary>
    internal void Sweep()
    {
        var now = NowMilliseconds();
        foreach (var pair in _counters)
        {
            var counter = pair.Value;
            lock (counter)
            {
                if (!counter.Removed && counter.Window.EndMilliseconds <= now)
                {
                    counter.Removed = true;
                    _counters.TryRemove(pair);
                }
            }
        }
    }

    private void SaveIfChanged()
    {
        if (_filePath is null)
        {
            return;
        }

        lock (_saveGate)
        {
            var changes = Interlocked.Read(ref _changes);
            if (changes == _savedChanges)
            {
                return;
            }

            var now = NowMilliseconds();
            var entries = new List<QuotaCountersFile.Entry>(_counters.Count);
            foreach (var pair in _counters)
            {
                var counter = pair.Value;
                lock (counter)
                {
                    if (!counter.Removed && counter.Window.EndMilliseconds > now && (counter.Calls > 0 || counter.Bytes > 0))
                    {
                        entries.Add(new QuotaCountersFile.Entry(pair.Key, counter.Window, counter.Calls, counter.Bytes));
                    }
                }
            }

            try
            {
                QuotaCountersFile.Write(_filePath, _time.GetUtcNow(), entries);
                _savedChanges = changes;
            }
            catch (Exception ex)
            {
                // Runs on a timer, where an exception would end the process: log, keep serving, try again next tick.
                Log.SaveFailed(_logger, _filePath, ex);
            }
        }
    }

    private void Load(string path)
    {
        IReadOnlyList<QuotaCountersFile.Entry> entries;
        try
        {
            entries = QuotaCountersFile.Read(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // An unreadable file must not stop the gateway: keep it aside for inspection and start from zero.
            var aside = path + ".unreadable-" + _time.GetUtcNow().ToString("yyyyMMddTHHmmssZ", System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                File.Move(path, aside, overwrite: true);
            }
            catch (Exception moveError) when (moveError is IOException or UnauthorizedAccessException)
            {
                aside = path;
            }

            Log.LoadFailed(_logger, path, aside, ex);
            return;
        }

        var now = NowMilliseconds();
        foreach (var entry in entries)
        {
            if (entry.Window.EndMilliseconds > now)
            {
                _counters[entry.Key] = new Counter(entry.Window) { Calls = entry.Calls, Bytes = entry.Bytes };
            }
        }

        Log.Loaded(_logger, _counters.Count, path);
    }

    private QuotaDecision Rejected(QuotaLimit limit, Counter counter, long now) =>
        new(false, limit, counter.Calls, counter.Bytes, counter.Window.RemainingAt(now), default);

    private long NowMilliseconds() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    /// <summary>One key's current window and counts. Guarded by its own lock.</summary>
    private sealed class Counter(QuotaWindow window)
    {
        public QuotaWindow Window { get; private set; } = window;

        public long Calls { get; set; }

        public long Bytes { get; set; }

        public bool Removed { get; set; }

        /// <summary>
        /// Starts <paramref name="current"/> when it is a later window (or the rule's period changed). A caller whose
        /// clock is behind the window already started keeps counting in it.
        /// </summary>
        public void MoveTo(QuotaWindow current)
        {
            if (!Window.IsSameOrLaterThan(current))
            {
                Window = current;
                Calls = 0;
                Bytes = 0;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.QuotaCountersLoaded, Level = LogLevel.Information, Message = "Loaded {Count} quota counters from {Path}.")]
        public static partial void Loaded(ILogger logger, int count, string path);

        [LoggerMessage(EventId = EventIds.QuotaCountersUnreadable, Level = LogLevel.Warning, Message = "Could not read the quota counters in {Path} (kept as {Aside}); quotas start from zero.")]
        public static partial void LoadFailed(ILogger logger, string path, string aside, Exception exception);

        [LoggerMessage(EventId = EventIds.QuotaCountersNotWritten, Level = LogLevel.Warning, Message = "Could not write the quota counters to {Path}; will try again.")]
        public static partial void SaveFailed(ILogger logger, string path, Exception exception);
    }
}
