using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Tollgate.Gateway.Policies.Counters;

namespace Tollgate.FunctionalTests.Counters;

/// <summary>One suite, run against every <see cref="IQuotaStore"/> (in-process, real Redis).</summary>
public abstract class QuotaStoreTests : IAsyncLifetime
{
    /// <summary>A Monday, midnight UTC.</summary>
    protected static readonly DateTimeOffset Start = new(2025, 1, 6, 0, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(Start);

    protected IQuotaStore Store { get; private set; } = null!;

    /// <summary><paramref name="count"/> stores sharing their counters, on <paramref name="time"/>.</summary>
    protected abstract Task<IQuotaStore[]> CreateStoresAsync(TimeProvider time, int count);

    public virtual async Task InitializeAsync() => Store = (await CreateStoresAsync(Time, 1))[0];

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected void At(double seconds) => Time.SetUtcNow(Start.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond)));

    protected static QuotaRule Calls(long calls, int period = 3600) => new(calls, null, period, Start);

    [Fact]
    public async Task Calls_AdmittedUpToTheLimit_ThenCallsLimitWithTimeUntilRenewal()
    {
        var rule = Calls(3);
        At(600);

        var decisions = new List<QuotaDecision>();
        for (var i = 0; i < 4; i++)
        {
            decisions.Add(await Store.AcquireAsync("k", rule));
        }

        Assert.Equal([true, true, true, false], decisions.Select(d => d.Admitted));
        Assert.Equal([1L, 2, 3, 3], decisions.Select(d => d.CallsUsed));
        var rejected = decisions[3];
        Assert.Equal(QuotaLimit.Calls, rejected.ExceededLimit);
        Assert.Equal(TimeSpan.FromMinutes(50), rejected.RenewsIn);
        Assert.Equal(3000, rejected.RetryAfterSeconds);
        Assert.Equal("00:50:00", rejected.RenewsInText);
        Assert.True(rejected.Lease.IsEmpty);
        Assert.Equal(QuotaLimit.None, decisions[0].ExceededLimit);
        Assert.Equal(Start, decisions[0].Lease.Window.Start);
        Assert.Equal(Start.AddHours(1), decisions[0].Lease.Window.End);
    }

    [Fact]
    public async Task FixedWindow_RenewsAtExactlyStartPlusPeriod()
    {
        var rule = Calls(1, period: 300);
        At(299.999);
        var last = await Store.AcquireAsync("k", rule);
        var rejected = await Store.AcquireAsync("k", rule);
        At(300);
        var renewed = await Store.AcquireAsync("k", rule);
        var rejectedAgain = await Store.AcquireAsync("k", rule);

        Assert.True(last.Admitted);
        Assert.False(rejected.Admitted);
        Assert.Equal(TimeSpan.FromMilliseconds(1), rejected.RenewsIn);
        Assert.Equal(1, rejected.RetryAfterSeconds);
        Assert.True(renewed.Admitted);
        Assert.Equal(1, renewed.CallsUsed);
        Assert.Equal(Start.AddSeconds(300), renewed.Lease.Window.Start);
        Assert.Equal(300, rejectedAgain.RetryAfterSeconds);
    }

    [Fact]
    public async Task FirstPeriodStart_AnchorsTheWindows()
    {
        // 2024-01-01 is a Monday: weekly windows start on Mondays at midnight.
        var rule = new QuotaRule(1, null, 7 * 86400, new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Time.SetUtcNow(new DateTimeOffset(2025, 1, 8, 12, 0, 0, TimeSpan.Zero));

        var admitted = await Store.AcquireAsync("k", rule);
        var rejected = await Store.AcquireAsync("k", rule);

        Assert.Equal(new DateTimeOffset(2025, 1, 6, 0, 0, 0, TimeSpan.Zero), admitted.Lease.Window.Start);
        Assert.Equal(new DateTimeOffset(2025, 1, 13, 0, 0, 0, TimeSpan.Zero), admitted.Lease.Window.End);
        Assert.Equal(TimeSpan.FromHours(108), rejected.RenewsIn);
        Assert.Equal("4.12:00:00", rejected.RenewsInText);
    }

    [Fact]
    public async Task DefaultPeriodStart_AlignsDailyWindowsOnMidnight_AndAFutureAnchorEndsAWindowThere()
    {
        var daily = new QuotaRule(10, null, 86400, DateTimeOffset.MinValue);
        var future = new QuotaRule(10, null, 3600, Start.AddMinutes(690));
        At(5 * 3600);

        var day = await Store.AcquireAsync("daily", daily);
        var beforeAnchor = await Store.AcquireAsync("future", future);

        Assert.Equal(Start, day.Lease.Window.Start);
        Assert.Equal(TimeSpan.FromHours(19), day.RenewsIn);
        // 05:00 falls in [04:30, 05:30), counted back from the 11:30 anchor.
        Assert.Equal(Start.AddHours(4.5), beforeAnchor.Lease.Window.Start);
        Assert.Equal(TimeSpan.FromMinutes(30), beforeAnchor.RenewsIn);
    }

    [Fact]
    public async Task ZeroRenewalPeriod_NeverRenews()
    {
        var rule = new QuotaRule(2, null, 0, Start);
        await Store.AcquireAsync("k", rule);
        await Store.AcquireAsync("k", rule);
        Time.Advance(TimeSpan.FromDays(3650));

        var rejected = await Store.AcquireAsync("k", rule);

        Assert.False(rejected.Admitted);
        Assert.Equal(QuotaLimit.Calls, rejected.ExceededLimit);
        Assert.Null(rejected.RenewsIn);
        Assert.Null(rejected.RetryAfterSeconds);
        Assert.Null(rejected.RenewsInText);
        Assert.Equal(2, (await Store.GetUsageAsync("k", rule)).CallsUsed);
    }

    [Fact]
    public async Task Bandwidth_IsCountedInKilobytesOf1024Bytes_AddedAfterTheResponse()
    {
        var rule = new QuotaRule(null, 2, 3600, Start);

        var first = await Store.AcquireAsync("k", rule);
        await Store.AddBandwidthAsync(first.Lease, 2047);
        var second = await Store.AcquireAsync("k", rule);
        await Store.AddBandwidthAsync(second.Lease, 1);
        var third = await Store.AcquireAsync("k", rule);

        Assert.True(second.Admitted);
        Assert.Equal(2047, second.BandwidthUsedBytes);
        Assert.False(third.Admitted);
        Assert.Equal(QuotaLimit.Bandwidth, third.ExceededLimit);
        Assert.Equal(2048, third.BandwidthUsedBytes);
        Assert.Equal(2, third.CallsUsed);
    }

    [Fact]
    public async Task BothLimits_CallsAreCheckedFirst()
    {
        var rule = new QuotaRule(1, 1, 3600, Start);
        var first = await Store.AcquireAsync("k", rule);
        await Store.AddBandwidthAsync(first.Lease, 5000);

        var second = await Store.AcquireAsync("k", rule);

        Assert.Equal(QuotaLimit.Calls, second.ExceededLimit);
    }

    [Fact]
    public async Task RejectedCalls_AreNotCounted()
    {
        var rule = Calls(2);
        await Store.AcquireAsync("k", rule);
        await Store.AcquireAsync("k", rule);
        for (var i = 0; i < 5; i++)
        {
            Assert.False((await Store.AcquireAsync("k", rule)).Admitted);
        }

        var usage = await Store.GetUsageAsync("k", rule);

        Assert.Equal(2, usage.CallsUsed);
        Assert.Equal(Start, usage.Window.Start);
    }

    [Fact]
    public async Task Refund_TakesTheCallBack_InItsWindowOnly()
    {
        var rule = Calls(2, period: 300);
        var a = await Store.AcquireAsync("k", rule);
        var b = await Store.AcquireAsync("k", rule);

        await Store.RefundAsync(a.Lease);
        var afterRefund = await Store.GetUsageAsync("k", rule);
        At(300);
        await Store.AcquireAsync("k", rule);
        await Store.RefundAsync(b.Lease);
        await Store.RefundAsync(default);
        var nextWindow = await Store.GetUsageAsync("k", rule);

        Assert.Equal(1, afterRefund.CallsUsed);
        Assert.Equal(1, nextWindow.CallsUsed);
    }

    [Fact]
    public async Task Bandwidth_OfACallFromARenewedWindow_IsNotAddedToTheNewOne()
    {
        var rule = new QuotaRule(null, 10, 300, Start);
        var old = await Store.AcquireAsync("k", rule);
        At(300);
        await Store.AcquireAsync("k", rule);

        await Store.AddBandwidthAsync(old.Lease, 4000);
        var usage = await Store.GetUsageAsync("k", rule);

        Assert.Equal(0, usage.BandwidthUsedBytes);
        Assert.Equal(1, usage.CallsUsed);
    }

    [Fact]
    public async Task ZeroCalls_ChecksWithoutCounting_ForAKeyTheRequestAlreadyCounted()
    {
        var rule = Calls(1);

        var firstPolicy = await Store.AcquireAsync("k", rule, calls: 1);
        var samePolicyKeyAgain = await Store.AcquireAsync("k", rule, calls: 0);
        var nextRequest = await Store.AcquireAsync("k", rule, calls: 1);

        Assert.True(firstPolicy.Admitted);
        Assert.True(samePolicyKeyAgain.Admitted);
        Assert.Equal(1, samePolicyKeyAgain.CallsUsed);
        Assert.False(nextRequest.Admitted);
    }

    [Fact]
    public async Task UnknownKey_HasNoUsage()
    {
        var usage = await Store.GetUsageAsync("nobody", Calls(5));

        Assert.Equal(new QuotaUsage(0, 0, new QuotaWindow(Start.ToUnixTimeMilliseconds(), 3_600_000)), usage);
    }

    [Fact]
    public async Task ConcurrentAcquirers_OnSeparateConnections_AdmitExactlyTheLimit()
    {
        const int limit = 100;
        var rule = Calls(limit);
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
        Assert.Equal(limit, (await Store.GetUsageAsync("shared", rule)).CallsUsed);
    }

    // Call limits above 1,000 without a bandwidth limit: Redis leases up to limit/1,000 calls to each gateway for at
    // most a second (README.md in the stores' folder). What both implementations guarantee is tested here.

    [Fact]
    public async Task LargeLimit_AcrossGateways_NeverAdmitsMoreThanTheLimit_AndAtMostOneLeasePerGatewayLess()
    {
        const long limit = 5000;
        var rule = Calls(limit);
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
        var rejected = await Store.AcquireAsync("big", rule);
        Assert.False(rejected.Admitted);
        Assert.Equal(QuotaLimit.Calls, rejected.ExceededLimit);
    }

    [Fact]
    public async Task LargeLimit_CallsUsed_Refund_AndUsage()
    {
        var rule = Calls(2000);
        var decisions = new List<QuotaDecision>();
        for (var i = 0; i < 2000; i++)
        {
            decisions.Add(await Store.AcquireAsync("k", rule));
        }

        var usage = await Store.GetUsageAsync("k", rule);
        await Store.RefundAsync(decisions[7].Lease);
        var again = await Store.AcquireAsync("k", rule);
        var then = await Store.AcquireAsync("k", rule);

        Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i), decisions.Select(d => d.CallsUsed));
        Assert.Equal(2000, usage.CallsUsed);
        Assert.True(again.Admitted);
        Assert.False(then.Admitted);
    }
}

public sealed class InMemoryQuotaStoreTests : QuotaStoreTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tollgate-quota-").FullName;
    private readonly List<InMemoryQuotaStore> _stores = [];
    private InMemoryQuotaStore? _shared;

    private string FilePath => Path.Combine(_directory, "quota-counters.json");

    protected override Task<IQuotaStore[]> CreateStoresAsync(TimeProvider time, int count)
    {
        _shared ??= Open();
        return Task.FromResult(Enumerable.Repeat<IQuotaStore>(_shared, count).ToArray());
    }

    public override Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private InMemoryQuotaStore Open(TimeSpan? persistInterval = null)
    {
        var store = new InMemoryQuotaStore(Time, new InMemoryQuotaStoreOptions
        {
            FilePath = FilePath,
            PersistInterval = persistInterval ?? TimeSpan.FromSeconds(10),
        });
        _stores.Add(store);
        return store;
    }

    [Fact]
    public async Task Counts_SurviveARestart()
    {
        var weekly = new QuotaRule(100, 1000, 7 * 86400, Start);
        var lifetime = new QuotaRule(5, null, 0, Start);
        var before = Open();
        for (var i = 0; i < 7; i++)
        {
            var decision = await before.AcquireAsync("sub:1", weekly);
            await before.AddBandwidthAsync(decision.Lease, 100);
        }

        await before.AcquireAsync("lifetime", lifetime);
        await before.DisposeAsync();
        Time.Advance(TimeSpan.FromDays(2));

        var after = Open();
        var weeklyUsage = await after.GetUsageAsync("sub:1", weekly);
        var lifetimeUsage = await after.GetUsageAsync("lifetime", lifetime);
        var next = await after.AcquireAsync("sub:1", weekly);

        Assert.Equal(new QuotaUsage(7, 700, weekly.WindowAt(Start)), weeklyUsage);
        Assert.Equal(1, lifetimeUsage.CallsUsed);
        Assert.Equal(8, next.CallsUsed);
    }

    [Fact]
    public async Task Counts_AreWrittenPeriodically_InTheDocumentedFormat()
    {
        var store = Open(TimeSpan.FromSeconds(5));
        await store.AcquireAsync("sub:1", Calls(10, period: 604800));
        await store.AcquireAsync("forever", new QuotaRule(10, null, 0, Start));
        Assert.False(File.Exists(FilePath));

        Time.Advance(TimeSpan.FromSeconds(5));

        using var document = JsonDocument.Parse(File.ReadAllText(FilePath));
        var root = document.RootElement;
        Assert.Equal("tollgate-quota-counters", root.GetProperty("format").GetString());
        Assert.Equal(1, root.GetProperty("version").GetInt32());
        var counters = root.GetProperty("counters").EnumerateArray().OrderBy(c => c.GetProperty("key").GetString()).ToList();
        Assert.Equal(2, counters.Count);
        Assert.Equal(JsonValueKind.Null, counters[0].GetProperty("windowStart").ValueKind);
        Assert.Equal(0, counters[0].GetProperty("periodSeconds").GetInt64());
        Assert.Equal("2025-01-06T00:00:00.000+00:00", counters[1].GetProperty("windowStart").GetString());
        Assert.Equal(604800, counters[1].GetProperty("periodSeconds").GetInt64());
        Assert.Equal(1, counters[1].GetProperty("calls").GetInt64());
        Assert.Equal(0, counters[1].GetProperty("bandwidthBytes").GetInt64());
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));

        // A crash now (no dispose) loses nothing written: a second store reads the same counts.
        var afterCrash = new InMemoryQuotaStore(Time, new InMemoryQuotaStoreOptions { FilePath = FilePath });
        _stores.Add(afterCrash);
        Assert.Equal(1, (await afterCrash.GetUsageAsync("sub:1", Calls(10, period: 604800))).CallsUsed);
    }

    [Fact]
    public async Task WindowsThatEndedWhileStopped_StartFromZero()
    {
        var rule = Calls(10, period: 3600);
        var before = Open();
        await before.AcquireAsync("k", rule);
        await before.DisposeAsync();
        Time.Advance(TimeSpan.FromHours(1));

        var after = Open();

        Assert.Equal(0, (await after.GetUsageAsync("k", rule)).CallsUsed);
        Assert.Equal(0, after.KeyCount);
    }

    [Fact]
    public async Task UnreadableFile_IsKeptAside_AndQuotasStartFromZero()
    {
        await File.WriteAllTextAsync(FilePath, "{ not json");

        var store = Open();
        var decision = await store.AcquireAsync("k", Calls(1));

        Assert.True(decision.Admitted);
        Assert.Single(Directory.GetFiles(_directory, "quota-counters.json.unreadable-*"));
    }

    [Fact]
    public async Task Sweep_DropsKeysWhoseWindowRenewed()
    {
        var store = Open();
        await store.AcquireAsync("hourly", Calls(10, period: 3600));
        await store.AcquireAsync("forever", new QuotaRule(10, null, 0, Start));

        Time.Advance(TimeSpan.FromMinutes(59));
        var before = store.KeyCount;
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(2, before);
        Assert.Equal(1, store.KeyCount);
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisQuotaStoreTests(RedisFixture redis) : QuotaStoreTests
{
    private readonly Connections _connections = new(redis);
    private readonly string _prefix = RedisFixture.NewPrefix();

    protected override async Task<IQuotaStore[]> CreateStoresAsync(TimeProvider time, int count)
    {
        var stores = new IQuotaStore[count];
        for (var i = 0; i < count; i++)
        {
            stores[i] = new RedisQuotaStore(await _connections.OpenAsync(), time, _prefix);
        }

        return stores;
    }

    public override async Task DisposeAsync() => await _connections.DisposeAsync();

    [Fact]
    public async Task LargeLimit_CallsLeasedButNotUsed_GoBackToRedisAfterALease()
    {
        var rule = Calls(10_000);
        var stores = await CreateStoresAsync(Time, 2);
        Assert.True((await stores[0].AcquireAsync("k", rule)).Admitted);
        var leased = await stores[1].GetUsageAsync("k", rule);

        Time.Advance(TimeSpan.FromSeconds(5));
        QuotaUsage returned = default;
        for (var i = 0; i < 50 && returned.CallsUsed != 1; i++)
        {
            await Task.Delay(20);
            returned = await stores[1].GetUsageAsync("k", rule);
        }

        Assert.Equal(10, leased.CallsUsed);
        Assert.Equal(1, returned.CallsUsed);
    }

    [Fact]
    public async Task RenewingWindows_ExpireWithTheWindow_NeverRenewingOnesNever()
    {
        At(600);
        await Store.AcquireAsync("hourly", Calls(10, period: 3600));
        await Store.AcquireAsync("forever", new QuotaRule(10, null, 0, Start));
        var db = (await _connections.OpenAsync()).GetDatabase();

        var hourly = await db.KeyTimeToLiveAsync($"{_prefix}q:{{hourly}}");
        var forever = await db.KeyTimeToLiveAsync($"{_prefix}q:{{forever}}");

        Assert.InRange(hourly!.Value, TimeSpan.FromMinutes(50.5), TimeSpan.FromMinutes(51));
        Assert.Null(forever);
        Assert.True(await db.KeyExistsAsync($"{_prefix}q:{{forever}}"));
    }

    [Fact]
    public async Task AGatewayWhoseClockIsBehind_CountsInTheWindowAnotherAlreadyStarted()
    {
        var rule = Calls(10, period: 300);
        var behind = new FakeTimeProvider(Start.AddSeconds(299.5));
        At(300.2);
        var ahead = await Store.AcquireAsync("k", rule);
        var lagging = new RedisQuotaStore(await _connections.OpenAsync(), behind, _prefix);

        var decision = await lagging.AcquireAsync("k", rule);

        Assert.Equal(Start.AddSeconds(300), ahead.Lease.Window.Start);
        Assert.Equal(Start.AddSeconds(300), decision.Lease.Window.Start);
        Assert.Equal(2, decision.CallsUsed);
        Assert.Equal(TimeSpan.FromSeconds(300.5), decision.RenewsIn);
    }
}
