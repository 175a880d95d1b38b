using Microsoft.Extensions.Time.Testing;
using Tollgate.Gateway.Policies.Counters;

namespace Tollgate.FunctionalTests.Counters;

/// <summary>One suite for <see cref="ILimitBatchStore"/> over both store pairs (in-process, real Redis).</summary>
public abstract class LimitBatchStoreTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2025, 1, 6, 0, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(Start);

    /// <summary><paramref name="count"/> gateways' stores sharing their counters.</summary>
    protected abstract Task<(IRateLimitStore RateLimits, IQuotaStore Quotas)[]> CreateStoresAsync(TimeProvider time, int count);

    private (IRateLimitStore RateLimits, IQuotaStore Quotas) _stores;

    private ILimitBatchStore Batches => LimitBatchStore.For(_stores.RateLimits, _stores.Quotas);

    public virtual async Task InitializeAsync() => _stores = (await CreateStoresAsync(Time, 1))[0];

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private static QuotaRule Weekly(long calls) => new(calls, null, 604800, Start);

    [Fact]
    public async Task StarterShape_BothCounted_UntilTheRateLimitRefusesAndTheQuotaIsNotTouched()
    {
        var rate = new RateLimitRule(5, 60);
        var batch = new LimitBatch();
        var results = new List<(bool RateAdmitted, int Remaining, bool QuotaRan, long QuotaCalls)>();
        for (var i = 0; i < 6; i++)
        {
            batch.Clear();
            var r = batch.AddRateLimit("rl", rate);
            var q = batch.AddQuota("q", Weekly(100));
            await Batches.AcquireManyAsync(batch);
            results.Add((batch.RateLimitDecision(r).Admitted, batch.RateLimitDecision(r).Remaining, batch.Ran(q), batch.Ran(q) ? batch.QuotaDecision(q).CallsUsed : -1));
        }

        Assert.Equal([(true, 4, true, 1L), (true, 3, true, 2), (true, 2, true, 3), (true, 1, true, 4), (true, 0, true, 5), (false, 0, false, -1)], results);
        Assert.Equal(60, batch.RateLimitDecision(0).RetryAfterSeconds);
        Assert.Equal(5, (await _stores.Quotas.GetUsageAsync("q", Weekly(100))).CallsUsed);
    }

    [Fact]
    public async Task ALaterRejection_LeavesEarlierEntriesCounted_AsPoliciesOneAfterTheOther()
    {
        var rate = new RateLimitRule(5, 60);
        var batch = new LimitBatch();
        batch.AddRateLimit("rl", rate);
        batch.AddQuota("q", Weekly(0));
        batch.AddRateLimit("after", rate);

        await Batches.AcquireManyAsync(batch);

        Assert.True(batch.Ran(0) && batch.RateLimitDecision(0).Admitted);
        Assert.True(batch.Ran(1));
        Assert.False(batch.QuotaDecision(1).Admitted);
        Assert.Equal(QuotaLimit.Calls, batch.QuotaDecision(1).ExceededLimit);
        Assert.False(batch.Ran(2));
        Assert.Equal(1, (await _stores.RateLimits.GetUsageAsync("rl", rate)).CallsInWindow);
        Assert.Equal(0, (await _stores.RateLimits.GetUsageAsync("after", rate)).CallsInWindow);
    }

    [Fact]
    public async Task Leases_AreRefundableAndBandwidthIsAdded_AsWithSingleDecisions()
    {
        var rate = new RateLimitRule(2, 60);
        var quota = new QuotaRule(10, 1, 3600, Start);
        var batch = new LimitBatch();
        batch.AddRateLimit("rl", rate);
        batch.AddQuota("q", quota);
        await Batches.AcquireManyAsync(batch);

        await _stores.RateLimits.RefundAsync(batch.RateLimitDecision(0).Lease);
        await _stores.Quotas.AddBandwidthAsync(batch.QuotaDecision(1).Lease, 1024);
        batch.Clear();
        batch.AddRateLimit("rl", rate);
        batch.AddQuota("q", quota);
        await Batches.AcquireManyAsync(batch);

        Assert.True(batch.RateLimitDecision(0).Admitted);
        Assert.Equal(1, batch.RateLimitDecision(0).Remaining);
        Assert.False(batch.QuotaDecision(1).Admitted);
        Assert.Equal(QuotaLimit.Bandwidth, batch.QuotaDecision(1).ExceededLimit);
    }

    [Fact]
    public async Task LargeLimits_AcrossGateways_NeverAdmitMoreThanTheLimits()
    {
        const long quotaLimit = 2000;
        var rate = new RateLimitRule(5000, 60);
        var stores = await CreateStoresAsync(Time, 3);

        var admitted = await Task.WhenAll(stores.Select(pair => Task.Run(async () =>
        {
            var batches = LimitBatchStore.For(pair.RateLimits, pair.Quotas);
            var batch = new LimitBatch();
            var n = 0;
            for (var i = 0; i < 1000; i++)
            {
                batch.Clear();
                batch.AddRateLimit("rl-big", rate);
                batch.AddQuota("q-big", Weekly(quotaLimit));
                await batches.AcquireManyAsync(batch);
                n += batch.Ran(1) && batch.QuotaDecision(1).Admitted ? 1 : 0;
            }

            return n;
        })));

        Assert.InRange(admitted.Sum(), quotaLimit - (3 * ((quotaLimit / 1000) - 1)), quotaLimit);
        var counted = (await _stores.RateLimits.GetUsageAsync("rl-big", rate)).CallsInWindow;
        Assert.InRange(counted, 3000, 3000 + (3 * 4));
    }
}

public sealed class InMemoryLimitBatchStoreTests : LimitBatchStoreTests
{
    private InMemoryRateLimitStore? _rateLimits;
    private InMemoryQuotaStore? _quotas;

    protected override Task<(IRateLimitStore RateLimits, IQuotaStore Quotas)[]> CreateStoresAsync(TimeProvider time, int count)
    {
        _rateLimits ??= new InMemoryRateLimitStore(time);
        _quotas ??= new InMemoryQuotaStore(time);
        return Task.FromResult(Enumerable.Repeat<(IRateLimitStore, IQuotaStore)>((_rateLimits, _quotas), count).ToArray());
    }

    public override Task DisposeAsync()
    {
        _rateLimits?.Dispose();
        _quotas?.Dispose();
        return Task.CompletedTask;
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisLimitBatchStoreTests(RedisFixture redis) : LimitBatchStoreTests
{
    private readonly Connections _connections = new(redis);
    private readonly string _prefix = RedisFixture.NewPrefix();

    protected override async Task<(IRateLimitStore RateLimits, IQuotaStore Quotas)[]> CreateStoresAsync(TimeProvider time, int count)
    {
        var stores = new (IRateLimitStore, IQuotaStore)[count];
        for (var i = 0; i < count; i++)
        {
            var connection = await _connections.OpenAsync();
            stores[i] = (new RedisRateLimitStore(connection, time, _prefix), new RedisQuotaStore(connection, time, _prefix));
        }

        return stores;
    }

    public override async Task DisposeAsync() => await _connections.DisposeAsync();

    [Fact]
    public async Task RedisStoresOnOneConnection_AreBatchedInOneScript()
    {
        var (rateLimits, quotas) = (await CreateStoresAsync(Time, 1))[0];

        Assert.Equal("RedisLimitBatchStore", LimitBatchStore.For(rateLimits, quotas).GetType().Name);
    }
}
