using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Tollgate.Gateway.Policies.Counters;

namespace Tollgate.FunctionalTests.Counters;

/// <summary>One suite, run against every <see cref="IRateLimitStore"/> (in-process, real Redis).</summary>
public abstract class RateLimitStoreTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2025, 1, 6, 0, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(Start);

    protected IRateLimitStore Store { get; private set; } = null!;

    /// <summary><paramref name="count"/> stores sharing their counters (as gateways sharing one Redis would), on <paramref name="time"/>.</summary>
    protected abstract Task<IRateLimitStore[]> CreateStoresAsync(TimeProvider time, int count);

    public virtual async Task InitializeAsync() => Store = (await CreateStoresAsync(Time, 1))[0];

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private void At(double seconds) => Time.SetUtcNow(Start.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond)));

    [Fact]
    public async Task GetUsage_ReadsTheWindowWithoutCounting_AndFollowsItAsItSlides()
    {
        var rule = new RateLimitRule(5, 60);
        Assert.Equal(new RateLimitUsage(0, 5), await Store.GetUsageAsync("u", rule));

        At(0);
        await Store.AcquireAsync("u", rule);
        At(10);
        await Store.AcquireAsync("u", rule, count: 2);
        Assert.Equal(new RateLimitUsage(3, 2), await Store.GetUsageAsync("u", rule));
        Assert.Equal(new RateLimitUsage(3, 2), await Store.GetUsageAsync("u", rule));

        // The call at 0 s leaves the window at 60 s; the one at 10 s at 70 s.
        At(60);
        Assert.Equal(new RateLimitUsage(2, 3), await Store.GetUsageAsync("u", rule));
        At(70);
        Assert.Equal(new RateLimitUsage(0, 5), await Store.GetUsageAsync("u", rule));
        Assert.True((await Store.AcquireAsync("u", new RateLimitRule(1, 60))).Admitted);
    }

    [Fact]
    public async Task Acquire_AdmitsUpToTheLimit_CountingRemainingDown_ThenRejects()
    {
        var rule = new RateLimitRule(3, 60);

        var decisions = new List<RateLimitDecision>();
        for (var i = 0; i < 4; i++)
        {
            decisions.Add(await Store.AcquireAsync("k", rule));
        }

        Assert.Equal([true, true, true, false], decisions.Select(d => d.Admitted));
        Assert.Equal([2, 1, 0, 0], decisions.Select(d => d.Remaining));
        Assert.Equal([0, 0, 0, 60], decisions.Select(d => d.RetryAfterSeconds));
        Assert.False(decisions[0].Lease.IsEmpty);
        Assert.True(decisions[3].Lease.IsEmpty);
    }

    [Fact]
    public async Task SlidingWindow_ACallCountsForExactlyThePeriod()
    {
        var rule = new RateLimitRule(2, 60);

        At(0);
        Assert.True((await Store.AcquireAsync("k", rule)).Admitted);
        At(30);
        Assert.True((await Store.AcquireAsync("k", rule)).Admitted);
        At(45);
        var at45 = await Store.AcquireAsync("k", rule);
        At(59.999);
        var justBefore = await Store.AcquireAsync("k", rule);
        At(60);
        var atEdge = await Store.AcquireAsync("k", rule);
        var afterEdge = await Store.AcquireAsync("k", rule);

        Assert.False(at45.Admitted);
        Assert.Equal(15, at45.RetryAfterSeconds);
        Assert.False(justBefore.Admitted);
        Assert.Equal(1, justBefore.RetryAfterSeconds);
        Assert.True(atEdge.Admitted);
        Assert.Equal(0, atEdge.Remaining);
        // The call of t=30 is now the oldest: it leaves at t=90.
        Assert.False(afterEdge.Admitted);
        Assert.Equal(30, afterEdge.RetryAfterSeconds);
    }

    [Fact]
    public async Task RetryAfter_IsRoundedUp_AndAtLeastOneSecond()
    {
        var rule = new RateLimitRule(1, 10);
        await Store.AcquireAsync("k", rule);

        var values = new List<int>();
        foreach (var at in new[] { 0.0, 0.001, 0.5, 8.999, 9.0, 9.001, 9.999 })
        {
            At(at);
            values.Add((await Store.AcquireAsync("k", rule)).RetryAfterSeconds);
        }

        Assert.Equal([10, 10, 10, 2, 1, 1, 1], values);
    }

    [Fact]
    public async Task RejectedCalls_AreNotCounted()
    {
        var rule = new RateLimitRule(2, 60);
        await Store.AcquireAsync("k", rule);
        await Store.AcquireAsync("k", rule);
        for (var second = 1; second < 60; second++)
        {
            At(second);
            Assert.False((await Store.AcquireAsync("k", rule)).Admitted);
        }

        At(60);
        var first = await Store.AcquireAsync("k", rule);
        var second2 = await Store.AcquireAsync("k", rule);

        Assert.True(first.Admitted);
        Assert.Equal(1, first.Remaining);
        Assert.True(second2.Admitted);
    }

    [Fact]
    public async Task Refund_GivesTheSlotBack_Once()
    {
        var rule = new RateLimitRule(2, 60);
        var a = await Store.AcquireAsync("k", rule);
        await Store.AcquireAsync("k", rule);

        await Store.RefundAsync(a.Lease);
        await Store.RefundAsync(a.Lease);
        await Store.RefundAsync(default);
        var c = await Store.AcquireAsync("k", rule);
        var d = await Store.AcquireAsync("k", rule);

        Assert.True(c.Admitted);
        Assert.Equal(0, c.Remaining);
        Assert.False(d.Admitted);
    }

    [Fact]
    public async Task Refund_OfACallThatLeftTheWindow_ChangesNothing()
    {
        var rule = new RateLimitRule(2, 60);
        var a = await Store.AcquireAsync("k", rule);
        At(60);
        await Store.AcquireAsync("k", rule);

        await Store.RefundAsync(a.Lease);
        var c = await Store.AcquireAsync("k", rule);
        var d = await Store.AcquireAsync("k", rule);

        Assert.True(c.Admitted);
        Assert.False(d.Admitted);
    }

    [Fact]
    public async Task Refund_OfTheOldestCall_MovesRetryAfterToTheNextOne()
    {
        var rule = new RateLimitRule(2, 60);
        var a = await Store.AcquireAsync("k", rule);
        At(20);
        await Store.AcquireAsync("k", rule);
        At(25);
        await Store.AcquireAsync("k", rule);

        await Store.RefundAsync(a.Lease);
        At(30);
        var admitted = await Store.AcquireAsync("k", rule);
        var rejected = await Store.AcquireAsync("k", rule);

        Assert.True(admitted.Admitted);
        Assert.False(rejected.Admitted);
        Assert.Equal(50, rejected.RetryAfterSeconds);
    }

    [Fact]
    public async Task IncrementCount_WeighsCalls_AndRetryAfterWaitsForEnoughToLeave()
    {
        var rule = new RateLimitRule(5, 60);
        var first = await Store.AcquireAsync("k", rule, count: 2);
        At(10);
        var second = await Store.AcquireAsync("k", rule, count: 2);
        At(20);
        var three = await Store.AcquireAsync("k", rule, count: 3);
        var five = await Store.AcquireAsync("k", rule, count: 5);
        var tooBig = await Store.AcquireAsync("k", rule, count: 6);
        var one = await Store.AcquireAsync("k", rule, count: 1);

        Assert.Equal(3, first.Remaining);
        Assert.Equal(1, second.Remaining);
        Assert.False(three.Admitted);
        Assert.Equal(1, three.Remaining);
        Assert.Equal(40, three.RetryAfterSeconds); // the t=0 call (2) must leave
        Assert.False(five.Admitted);
        Assert.Equal(50, five.RetryAfterSeconds); // both must leave
        Assert.False(tooBig.Admitted);
        Assert.Equal(60, tooBig.RetryAfterSeconds); // never fits: the window length
        Assert.True(one.Admitted);
        Assert.Equal(0, one.Remaining);
    }

    [Fact]
    public async Task ZeroCalls_RejectsEverything()
    {
        var decision = await Store.AcquireAsync("k", new RateLimitRule(0, 30));

        Assert.False(decision.Admitted);
        Assert.Equal(0, decision.Remaining);
        Assert.Equal(30, decision.RetryAfterSeconds);
    }

    [Fact]
    public async Task Keys_AreCountedApart()
    {
        var rule = new RateLimitRule(1, 60);

        Assert.True((await Store.AcquireAsync("a", rule)).Admitted);
        Assert.True((await Store.AcquireAsync("b", rule)).Admitted);
        Assert.True((await Store.AcquireAsync("a:b", rule)).Admitted);
        Assert.True((await Store.AcquireAsync("{a}", rule)).Admitted);
        Assert.False((await Store.AcquireAsync("a", rule)).Admitted);
    }

    [Fact]
    public async Task ManyRefunds_KeepTheCountExact()
    {
        var rule = new RateLimitRule(3, 60);
        for (var i = 0; i < 500; i++)
        {
            Time.Advance(TimeSpan.FromMilliseconds(7));
            var decision = await Store.AcquireAsync("k", rule);
            Assert.True(decision.Admitted);
            await Store.RefundAsync(decision.Lease);
        }

        var results = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            results.Add((await Store.AcquireAsync("k", rule)).Admitted);
        }

        Assert.Equal([true, true, true, false], results);
    }

    [Fact]
    public async Task ConcurrentAcquirers_OnSeparateConnections_AdmitExactlyTheLimit()
    {
        const int limit = 100;
        var rule = new RateLimitRule(limit, 300);
        var stores = await CreateStoresAsync(Time, 3);

        var admitted = await Task.WhenAll(stores.SelectMany(store => Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            var count = 0;
            for (var i = 0; i < 3; i++)
            {
                if ((await store.AcquireAsync("shared", rule)).Admitted)
                {
                    count++;
                }
            }

            return count;
        }))));

        Assert.Equal(limit, admitted.Sum());
        Assert.False((await Store.AcquireAsync("shared", rule)).Admitted);
    }

    // Large limits (above 1,000 calls): Redis counts them in buckets of period/60 and leases up to limit/1,000 calls
    // to each gateway (README.md in the stores' folder). What both implementations guarantee is tested here.

    [Fact]
    public async Task LargeLimit_AcrossGateways_NeverAdmitsMoreThanTheLimit_AndAtMostOneLeasePerGatewayLess()
    {
        const int limit = 5000;
        var rule = new RateLimitRule(limit, 60);
        var stores = await CreateStoresAsync(Time, 3);

        var admitted = await Task.WhenAll(stores.Select(store => Task.Run(async () =>
        {
            var n = 0;
            for (var i = 0; i < 2000; i++)
            {
                n += (await store.AcquireAsync("big", rule)).Admitted ? 1 : 0;
            }

            return n;
        })));

        Assert.InRange(admitted.Sum(), limit - (3 * ((limit / 1000) - 1)), limit);
        Assert.False((await Store.AcquireAsync("big", rule)).Admitted);
    }

    [Fact]
    public async Task LargeLimit_ACallLeavesTheWindowAtMostOneSixtiethOfThePeriodLate()
    {
        var rule = new RateLimitRule(2000, 60);
        At(0.2);
        for (var i = 0; i < 2000; i++)
        {
            Assert.True((await Store.AcquireAsync("k", rule)).Admitted);
        }

        var rejected = await Store.AcquireAsync("k", rule);
        At(61);
        var after = await Store.AcquireAsync("k", rule);

        Assert.False(rejected.Admitted);
        Assert.Equal(0, rejected.Remaining);
        Assert.InRange(rejected.RetryAfterSeconds, 60, 61);
        Assert.True(after.Admitted);
    }

    [Fact]
    public async Task LargeLimit_Refund_GivesTheSlotBack_AndUsageCountsTheCalls()
    {
        var rule = new RateLimitRule(2000, 60);
        var leases = new List<RateLimitLease>();
        for (var i = 0; i < 2000; i++)
        {
            leases.Add((await Store.AcquireAsync("k", rule)).Lease);
        }

        var full = await Store.GetUsageAsync("k", rule);
        await Store.RefundAsync(leases[1234]);
        var again = await Store.AcquireAsync("k", rule);
        var then = await Store.AcquireAsync("k", rule);

        Assert.Equal(new RateLimitUsage(2000, 0), full);
        Assert.True(again.Admitted);
        Assert.False(then.Admitted);
    }
}

public sealed class InMemoryRateLimitStoreTests : RateLimitStoreTests
{
    private InMemoryRateLimitStore? _store;

    protected override Task<IRateLimitStore[]> CreateStoresAsync(TimeProvider time, int count)
    {
        // Several gateways in one process share one store.
        _store ??= new InMemoryRateLimitStore(time);
        return Task.FromResult(Enumerable.Repeat<IRateLimitStore>(_store, count).ToArray());
    }

    public override Task DisposeAsync()
    {
        _store?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Sweep_DropsKeysWhoseWindowEmptied_AndTheyStartAfresh()
    {
        var store = (InMemoryRateLimitStore)Store;
        var rule = new RateLimitRule(1, 60);
        for (var i = 0; i < 10; i++)
        {
            await store.AcquireAsync($"k{i}", rule);
        }

        Time.Advance(TimeSpan.FromSeconds(30));
        var halfway = store.KeyCount;
        Time.Advance(TimeSpan.FromSeconds(30));
        var after = store.KeyCount;

        Assert.Equal(10, halfway);
        Assert.Equal(0, after);
        Assert.True((await store.AcquireAsync("k0", rule)).Admitted);
        Assert.False((await store.AcquireAsync("k0", rule)).Admitted);
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisRateLimitStoreTests(RedisFixture redis) : RateLimitStoreTests
{
    private readonly Connections _connections = new(redis);
    private readonly string _prefix = RedisFixture.NewPrefix();

    protected override async Task<IRateLimitStore[]> CreateStoresAsync(TimeProvider time, int count)
    {
        var stores = new IRateLimitStore[count];
        for (var i = 0; i < count; i++)
        {
            stores[i] = new RedisRateLimitStore(await _connections.OpenAsync(), time, _prefix);
        }

        return stores;
    }

    public override async Task DisposeAsync() => await _connections.DisposeAsync();

    [Fact]
    public async Task LargeLimit_HoldsAtMostSixtyOneBuckets_WhateverTheTraffic()
    {
        var rule = new RateLimitRule(100_000, 60);
        for (var ms = 0; ms < 180_000; ms += 250)
        {
            Time.SetUtcNow(Start.AddMilliseconds(ms));
            Assert.True((await Store.AcquireAsync("k", rule, 100)).Admitted);
        }

        var db = (await _connections.OpenAsync()).GetDatabase();
        var fields = await db.HashLengthAsync($"{_prefix}rl:{{k}}:b");
        var ttl = await db.KeyTimeToLiveAsync($"{_prefix}rl:{{k}}:b");

        Assert.InRange(fields, 60, 61 + 3);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(115), TimeSpan.FromSeconds(121));
        Assert.Equal(new RateLimitUsage(24_400, 75_600), await Store.GetUsageAsync("k", rule));
    }

    [Fact]
    public async Task LargeLimit_CallsLeasedButNotUsed_GoBackToRedisAfterTheirBucket()
    {
        var rule = new RateLimitRule(10_000, 60);
        var stores = await CreateStoresAsync(Time, 2);
        Assert.True((await stores[0].AcquireAsync("k", rule)).Admitted);
        var leased = await stores[1].GetUsageAsync("k", rule);

        Time.Advance(TimeSpan.FromSeconds(10));
        RateLimitUsage returned = default;
        for (var i = 0; i < 50 && returned.CallsInWindow != 1; i++)
        {
            await Task.Delay(20);
            returned = await stores[1].GetUsageAsync("k", rule);
        }

        Assert.Equal(10, leased.CallsInWindow);
        Assert.Equal(1, returned.CallsInWindow);
    }

    [Fact]
    public async Task Keys_ExpireOneWindowAndTheSlackAfterTheLastCall()
    {
        await Store.AcquireAsync("k", new RateLimitRule(5, 90));
        var db = (await _connections.OpenAsync()).GetDatabase();

        var logTtl = await db.KeyTimeToLiveAsync($"{_prefix}rl:{{k}}");
        var metaTtl = await db.KeyTimeToLiveAsync($"{_prefix}rl:{{k}}:m");

        Assert.InRange(logTtl!.Value, TimeSpan.FromSeconds(140), TimeSpan.FromSeconds(150));
        Assert.InRange(metaTtl!.Value, TimeSpan.FromSeconds(140), TimeSpan.FromSeconds(150));
    }

    [Fact]
    public async Task UnreachableRedis_ThrowsCounterStoreException()
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{Tests.Common.FreePort.Next()}");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 200;
        options.AsyncTimeout = 500;
        await using var dead = await ConnectionMultiplexer.ConnectAsync(options);
        var store = new RedisRateLimitStore(dead, Time, _prefix);

        await Assert.ThrowsAsync<CounterStoreException>(async () => await store.AcquireAsync("k", new RateLimitRule(1, 1)));
    }
}
