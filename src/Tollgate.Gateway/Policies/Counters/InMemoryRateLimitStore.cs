using System.Collections.Concurrent;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// Rate-limit counters of one process: per key, a log of the calls admitted in the window (time, weight), pruned
/// as they leave it. Each key has its own lock; there is no global lock. A timer drops keys with nothing left in
/// their window, one key at a time. Decisions complete synchronously and allocate nothing once a key exists.
/// </summary>
public sealed class InMemoryRateLimitStore : IRateLimitStore, IDisposable
{
    /// <summary>How often keys whose window has emptied are dropped, unless told otherwise.</summary>
    public static readonly TimeSpan DefaultSweepInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, SlidingLog> _logs = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;
    private long _lastId;

    public InMemoryRateLimitStore(TimeProvider time, TimeSpan? sweepInterval = null)
    {
        _time = time;
        var interval = sweepInterval ?? DefaultSweepInterval;
        _sweeper = time.CreateTimer(static state => ((InMemoryRateLimitStore)state!).Sweep(), this, interval, interval);
    }

    /// <summary>Keys currently held (for tests and metrics).</summary>
    internal int KeyCount => _logs.Count;

    /// <summary>The clock of the decisions (<see cref="InMemoryLimitBatchStore"/> reads it once for a batch).</summary>
    internal TimeProvider Time => _time;

    public ValueTask<RateLimitDecision> AcquireAsync(string key, RateLimitRule rule, int count = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return ValueTask.FromResult(Acquire(key, rule, count, _time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    /// <summary><see cref="AcquireAsync"/> at <paramref name="now"/> (Unix milliseconds of this store's clock).</summary>
    internal RateLimitDecision Acquire(string key, RateLimitRule rule, int count, long now)
    {
        while (true)
        {
            var log = _logs.GetOrAdd(key, static _ => new SlidingLog());
            lock (log)
            {
                // The sweeper dropped this log between GetOrAdd and the lock: take the one in the map now.
                if (log.Removed)
                {
                    continue;
                }

                return log.Acquire(key, now, rule, count, ref _lastId);
            }
        }
    }

    public ValueTask RefundAsync(RateLimitLease lease, CancellationToken cancellationToken = default)
    {
        if (lease.Key is { } key && _logs.TryGetValue(key, out var log))
        {
            lock (log)
            {
                // Ids are unique across logs, so a lease of a dropped log never refunds a call of its successor.
                log.Refund(lease.Id);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<RateLimitUsage> GetUsageAsync(string key, RateLimitRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_logs.TryGetValue(key, out var log))
        {
            return ValueTask.FromResult(new RateLimitUsage(0, rule.Calls));
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (log)
        {
            var counted = log.Counted(now, rule);
            return ValueTask.FromResult(new RateLimitUsage(counted, Math.Max(0, rule.Calls - counted)));
        }
    }

    public void Dispose() => _sweeper.Dispose();

    /// <summary>Drops keys with no call left in their window. Runs on the timer; public to the tests.</summary>
    internal void Sweep()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var pair in _logs)
        {
            var log = pair.Value;
            lock (log)
            {
                if (!log.Removed && log.IsEmptyAt(now))
                {
                    log.Removed = true;
                    _logs.TryRemove(pair);
                }
            }
        }
    }

    /// <summary>The calls of one key still in the window, oldest first, in a ring buffer. Guarded by its own lock.</summary>
    private sealed class SlidingLog
    {
        private Entry[] _entries = new Entry[4];
        private int _head;
        private int _size;
        private int _refunded;
        private long _total;
        private long _lastTime = long.MinValue;
        private long _period;

        public bool Removed { get; set; }

        public RateLimitDecision Acquire(string key, long now, RateLimitRule rule, int count, ref long lastId)
        {
            _period = rule.PeriodMilliseconds;
            // Wall clocks may step back; keep the log in time order so pruning from the head stays right.
            now = Math.Max(now, _lastTime);
            Prune(now);
            var limit = rule.Calls;
            if (_total + count > limit)
            {
                var remaining = (int)Math.Max(0, limit - _total);
                return new RateLimitDecision(false, remaining, RetryAfterSeconds(now, count, limit), default);
            }

            var id = Interlocked.Increment(ref lastId);
            Append(new Entry(now, id, count));
            _total += count;
            _lastTime = now;
            return new RateLimitDecision(true, (int)(limit - _total), 0, new RateLimitLease(key, id, count, now));
        }

        /// <summary>Calls in the window ending at <paramref name="now"/> (drops those that have left it).</summary>
        public long Counted(long now, RateLimitRule rule)
        {
            _period = rule.PeriodMilliseconds;
            Prune(Math.Max(now, _lastTime));
            return _total;
        }

        public void Refund(long id)
        {
            // Ids grow in append order: binary search over the ring.
            int low = 0, high = _size - 1;
            while (low <= high)
            {
                var middle = (low + high) >>> 1;
                ref var entry = ref _entries[(_head + middle) % _entries.Length];
                if (entry.Id == id)
                {
                    if (entry.Count > 0)
                    {
                        _total -= entry.Count;
                        entry = entry with { Count = 0 };
                        _refunded++;
                    }

                    return;
                }

                if (entry.Id < id)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle - 1;
                }
            }
        }

        public bool IsEmptyAt(long now)
        {
            Prune(Math.Max(now, _lastTime));
            return _size == 0;
        }

        private void Prune(long now)
        {
            // A call made at t counts while now < t + period.
            var cutoff = now - _period;
            while (_size > 0)
            {
                ref var oldest = ref _entries[_head];
                if (oldest.Time > cutoff)
                {
                    break;
                }

                if (oldest.Count == 0)
                {
                    _refunded--;
                }

                _total -= oldest.Count;
                oldest = default;
                _head = (_head + 1) % _entries.Length;
                _size--;
            }
        }

        private int RetryAfterSeconds(long now, int count, int limit)
        {
            if (count > limit)
            {
                return (int)(_period / 1000);
            }

            // The call fits once the oldest calls worth (total + count - limit) have left the window.
            var needed = _total + count - limit;
            long freed = 0;
            for (var i = 0; i < _size; i++)
            {
                var entry = _entries[(_head + i) % _entries.Length];
                freed += entry.Count;
                if (freed >= needed)
                {
                    return RoundUpToSeconds(entry.Time + _period - now);
                }
            }

            return (int)(_period / 1000);
        }

        private void Append(Entry entry)
        {
            if (_size == _entries.Length)
            {
                // Full: drop refunded entries first; grow only when every entry still counts.
                Resize(_refunded > 0 ? _entries.Length : _entries.Length * 2);
            }

            _entries[(_head + _size) % _entries.Length] = entry;
            _size++;
        }

        private void Resize(int capacity)
        {
            var entries = new Entry[capacity];
            var kept = 0;
            for (var i = 0; i < _size; i++)
            {
                var entry = _entries[(_head + i) % _entries.Length];
                if (entry.Count > 0)
                {
                    entries[kept++] = entry;
                }
            }

            _entries = entries;
            _head = 0;
            _size = kept;
            _refunded = 0;
        }

        private static int RoundUpToSeconds(long milliseconds) => (int)Math.Max(1, (milliseconds + 999) / 1000);
    }

    private readonly record struct Entry(long Time, long Id, int Count);
}
