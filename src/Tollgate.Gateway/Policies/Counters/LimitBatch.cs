using StackExchange.Redis;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// The rate-limit and quota counters one request asks for together (adjacent rate-limit and quota policies), decided
/// by <see cref="ILimitBatchStore.AcquireManyAsync"/> as the policies would be one after the other, in one round trip
/// on Redis. Reusable: <see cref="Clear"/> keeps its storage.
/// </summary>
public sealed class LimitBatch
{
    private Entry[] _entries = new Entry[4];

    /// <summary>Entries added.</summary>
    public int Count { get; private set; }

    /// <summary>Empties the batch (the storage is kept for the next request).</summary>
    public void Clear()
    {
        Array.Clear(_entries, 0, Count);
        Count = 0;
    }

    /// <summary>Adds a rate-limit decision (see <see cref="IRateLimitStore.AcquireAsync"/>); returns its index.</summary>
    public int AddRateLimit(string key, RateLimitRule rule, int count = 1)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ref var entry = ref Add();
        entry.IsQuota = false;
        entry.Key = key;
        entry.RateRule = rule;
        entry.Count = count;
        return Count - 1;
    }

    /// <summary>Adds a quota decision (see <see cref="IQuotaStore.AcquireAsync"/>); returns its index.</summary>
    public int AddQuota(string key, QuotaRule rule, int calls = 1)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(calls);
        ref var entry = ref Add();
        entry.IsQuota = true;
        entry.Key = key;
        entry.QuotaRule = rule;
        entry.Count = calls;
        return Count - 1;
    }

    /// <summary>False for an entry after a rejected one: it was not decided (nor counted).</summary>
    public bool Ran(int index) => Get(index).Ran;

    /// <summary>The decision of a rate-limit entry that ran.</summary>
    public RateLimitDecision RateLimitDecision(int index) => Get(index).Rate;

    /// <summary>The decision of a quota entry that ran.</summary>
    public QuotaDecision QuotaDecision(int index) => Get(index).Quota;

    internal ref Entry this[int index] => ref _entries[index];

    private ref Entry Get(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return ref _entries[index];
    }

    private ref Entry Add()
    {
        if (Count == _entries.Length)
        {
            Array.Resize(ref _entries, Count * 2);
        }

        return ref _entries[Count++];
    }

    internal struct Entry
    {
        public bool IsQuota;
        public string Key;
        public RateLimitRule RateRule;
        public QuotaRule QuotaRule;
        public int Count;
        public bool Ran;
        public RateLimitDecision Rate;
        public QuotaDecision Quota;

        /// <summary>True when admitted (false also when it did not run).</summary>
        public readonly bool Admitted => Ran && (IsQuota ? Quota.Admitted : Rate.Admitted);
    }
}

/// <summary>Decides a request's rate-limit and quota counters together.</summary>
public interface ILimitBatchStore
{
    /// <summary>
    /// Decides the entries in order, as the stores' AcquireAsync one after the other: an admitted entry is counted, the
    /// first rejected one stops the batch (entries before it stay counted, entries after it are not decided:
    /// <see cref="LimitBatch.Ran"/> is false). Each entry is atomic on its own, as with AcquireAsync.
    /// </summary>
    /// <exception cref="CounterStoreException">The store cannot be reached (entries may have been counted).</exception>
    ValueTask AcquireManyAsync(LimitBatch batch, CancellationToken cancellationToken = default);
}

/// <summary>The batch store for a pair of counter stores.</summary>
public static class LimitBatchStore
{
    /// <summary>
    /// One Lua script per batch when both stores are Redis stores on the same connection and database (and Redis is
    /// not a cluster: a request's counters live in different hash slots); otherwise the stores' AcquireAsync in turn.
    /// </summary>
    public static ILimitBatchStore For(IRateLimitStore rateLimits, IQuotaStore quotas) =>
        rateLimits is RedisRateLimitStore r && quotas is RedisQuotaStore q && ReferenceEquals(r.Redis, q.Redis) && r.Database == q.Database
            ? new RedisLimitBatchStore(r, q)
            : rateLimits is InMemoryRateLimitStore memoryRates && quotas is InMemoryQuotaStore memoryQuotas && ReferenceEquals(memoryRates.Time, memoryQuotas.Time)
                ? new InMemoryLimitBatchStore(memoryRates, memoryQuotas)
                : new SequentialLimitBatchStore(rateLimits, quotas);
}

/// <summary>
/// In-process stores on one clock: the entries decided in place, synchronously, at one reading of the clock for the
/// batch (what the stores' AcquireAsync one after the other decide, without an async state machine per batch and a
/// clock reading per entry).
/// </summary>
internal sealed class InMemoryLimitBatchStore(InMemoryRateLimitStore rateLimits, InMemoryQuotaStore quotas) : ILimitBatchStore
{
    public ValueTask AcquireManyAsync(LimitBatch batch, CancellationToken cancellationToken = default)
    {
        var now = rateLimits.Time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < batch.Count; i++)
        {
            ref var entry = ref batch[i];
            if (entry.IsQuota)
            {
                entry.Quota = quotas.Acquire(entry.Key, entry.QuotaRule, entry.Count, now);
            }
            else
            {
                entry.Rate = rateLimits.Acquire(entry.Key, entry.RateRule, entry.Count, now);
            }

            entry.Ran = true;
            if (!entry.Admitted)
            {
                break;
            }
        }

        return default;
    }
}

/// <summary>The stores' AcquireAsync one after the other (in-process stores: synchronous, allocation-free).</summary>
internal sealed class SequentialLimitBatchStore(IRateLimitStore rateLimits, IQuotaStore quotas) : ILimitBatchStore
{
    public ValueTask AcquireManyAsync(LimitBatch batch, CancellationToken cancellationToken = default) => RunAsync(rateLimits, quotas, batch, 0, cancellationToken);

    internal static async ValueTask RunAsync(IRateLimitStore rateLimits, IQuotaStore quotas, LimitBatch batch, int from, CancellationToken cancellationToken)
    {
        for (var i = from; i < batch.Count; i++)
        {
            // No ref to an entry across an await: read it, await, then write the decision back.
            var entry = batch[i];
            if (entry.IsQuota)
            {
                entry.Quota = await quotas.AcquireAsync(entry.Key, entry.QuotaRule, entry.Count, cancellationToken);
            }
            else
            {
                entry.Rate = await rateLimits.AcquireAsync(entry.Key, entry.RateRule, entry.Count, cancellationToken);
            }

            entry.Ran = true;
            batch[i] = entry;
            if (!entry.Admitted)
            {
                return;
            }
        }
    }
}

/// <summary>
/// Redis: entries this gateway can decide from its leases first (no round trip), then every remaining entry in one
/// <see cref="RedisScripts.LimitBatch"/> script.
/// </summary>
internal sealed class RedisLimitBatchStore(RedisRateLimitStore rateLimits, RedisQuotaStore quotas) : ILimitBatchStore
{
    private bool? _cluster;

    public ValueTask AcquireManyAsync(LimitBatch batch, CancellationToken cancellationToken = default)
    {
        var now = rateLimits.Now();
        var i = 0;
        for (; i < batch.Count; i++)
        {
            ref var entry = ref batch[i];
            var local = entry.IsQuota
                ? quotas.TryAcquireLocal(entry.Key, entry.QuotaRule, entry.Count, now, out entry.Quota)
                : rateLimits.TryAcquireLocal(entry.Key, entry.RateRule, entry.Count, now, out entry.Rate);
            if (!local)
            {
                break;
            }

            entry.Ran = true;
        }

        if (i == batch.Count)
        {
            return default;
        }

        return i == batch.Count - 1 || IsCluster()
            ? SequentialLimitBatchStore.RunAsync(rateLimits, quotas, batch, i, cancellationToken)
            : RunScriptAsync(batch, i, now);
    }

    private async ValueTask RunScriptAsync(LimitBatch batch, int from, long now)
    {
        var keys = new List<RedisKey>(2 * (batch.Count - from));
        var args = new List<RedisValue>(1 + (10 * (batch.Count - from))) { batch.Count - from };
        for (var i = from; i < batch.Count; i++)
        {
            var entry = batch[i];
            if (entry.IsQuota)
            {
                quotas.AddRemote(entry.Key, entry.QuotaRule, entry.Count, now, keys, args);
            }
            else
            {
                rateLimits.AddRemote(entry.Key, entry.RateRule, entry.Count, now, keys, args);
            }
        }

        var result = await RedisStores.EvaluateAsync(rateLimits.Redis.GetDatabase(rateLimits.Database), RedisScripts.LimitBatch, [.. keys], [.. args]);
        var values = (RedisResult[])result!;
        for (var i = from; i < batch.Count && (i - from + 1) * 6 <= values.Length; i++)
        {
            ref var entry = ref batch[i];
            var decided = values.AsSpan((i - from) * 6, 6);
            if (entry.IsQuota)
            {
                entry.Quota = quotas.Read(entry.Key, entry.QuotaRule, entry.Count, now, decided);
            }
            else
            {
                entry.Rate = rateLimits.Read(entry.Key, entry.RateRule, entry.Count, now, decided);
            }

            entry.Ran = true;
        }
    }

    private bool IsCluster() => _cluster ??= rateLimits.Redis.GetServers().Any(s => s.ServerType == ServerType.Cluster);
}
