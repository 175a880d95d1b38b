using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tollgate.Gateway.Policies.Caching;

namespace Tollgate.FunctionalTests.Counters;

/// <summary>One suite, run against every <see cref="ICacheStore"/> (in-process, real Redis).</summary>
public abstract class CacheStoreTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2025, 1, 6, 0, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Time { get; } = new(Start);

    protected ICacheStore Store { get; private set; } = null!;

    protected abstract Task<ICacheStore> CreateStoreAsync(TimeProvider time);

    public virtual async Task InitializeAsync() => Store = await CreateStoreAsync(Time);

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Set_ThenGet_RoundTrips_MissingKeyIsNull()
    {
        await Store.SetAsync("k", Bytes("value"), TimeSpan.FromMinutes(1));

        Assert.Equal(Bytes("value"), await Store.GetAsync("k"));
        Assert.Null(await Store.GetAsync("other"));
    }

    [Fact]
    public async Task Value_ExpiresAtExactlyItsTimeToLive_OnTheCallersClock()
    {
        await Store.SetAsync("k", Bytes("v"), TimeSpan.FromSeconds(10));

        Time.Advance(TimeSpan.FromMilliseconds(9999));
        var before = await Store.GetAsync("k");
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var at = await Store.GetAsync("k");

        Assert.NotNull(before);
        Assert.Null(at);
    }

    [Fact]
    public async Task Set_ReplacesValueAndTimeToLive()
    {
        await Store.SetAsync("k", Bytes("old"), TimeSpan.FromSeconds(10));
        Time.Advance(TimeSpan.FromSeconds(5));
        await Store.SetAsync("k", Bytes("new"), TimeSpan.FromSeconds(10));
        Time.Advance(TimeSpan.FromSeconds(9));

        Assert.Equal(Bytes("new"), await Store.GetAsync("k"));
    }

    [Fact]
    public async Task Remove_ReportsWhetherAValueWasThere()
    {
        await Store.SetAsync("k", Bytes("v"), TimeSpan.FromMinutes(1));

        Assert.True(await Store.RemoveAsync("k"));
        Assert.False(await Store.RemoveAsync("k"));
        Assert.Null(await Store.GetAsync("k"));
    }

    [Fact]
    public async Task NonPositiveTimeToLive_RemovesTheKey()
    {
        await Store.SetAsync("k", Bytes("v"), TimeSpan.FromMinutes(1));

        await Store.SetAsync("k", Bytes("w"), TimeSpan.Zero);

        Assert.Null(await Store.GetAsync("k"));
    }

    [Fact]
    public async Task EmptyValue_IsAValue()
    {
        await Store.SetAsync("k", ReadOnlyMemory<byte>.Empty, TimeSpan.FromMinutes(1));

        var value = await Store.GetAsync("k");

        Assert.NotNull(value);
        Assert.Empty(value);
    }

    [Fact]
    public async Task Responses_RoundTripStatusHeadersAndBody()
    {
        var body = new byte[] { 0, 1, 2, 255, 13, 10 };
        var response = new CachedResponse(
            201,
            [new("Content-Type", ["application/json; charset=utf-8"]), new("Set-Cookie", ["a=1", "b=ü"]), new("X-Empty", [])],
            body);

        await Store.SetResponseAsync("GET|/x?a=1|Accept:json", response, TimeSpan.FromMinutes(1));
        var cached = await Store.GetResponseAsync("GET|/x?a=1|Accept:json");

        Assert.NotNull(cached);
        Assert.Equal(201, cached.StatusCode);
        Assert.Equal(["Content-Type", "Set-Cookie", "X-Empty"], cached.Headers.Select(h => h.Key));
        Assert.Equal(["a=1", "b=ü"], cached.Headers[1].Value);
        Assert.Empty(cached.Headers[2].Value);
        Assert.Equal(body, cached.Body.ToArray());
    }

    [Fact]
    public async Task AValueThatIsNotAResponse_IsNoResponse()
    {
        await Store.SetAsync("k", Bytes("TGCR plain text"), TimeSpan.FromMinutes(1));
        var serialized = new CachedResponse(200, [new("A", ["b"])], Bytes("body")).Serialize();
        await Store.SetAsync("truncated", serialized.AsMemory(0, serialized.Length - 1), TimeSpan.FromMinutes(1));

        Assert.Null(await Store.GetResponseAsync("k"));
        Assert.Null(await Store.GetResponseAsync("truncated"));
        Assert.Null(await Store.GetResponseAsync("missing"));
    }
}

public sealed class MemoryCacheStoreTests : CacheStoreTests
{
    private readonly List<MemoryCacheStore> _stores = [];

    protected override Task<ICacheStore> CreateStoreAsync(TimeProvider time) => Task.FromResult<ICacheStore>(Open(time, new MemoryCacheStoreOptions()));

    public override Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        return Task.CompletedTask;
    }

    private MemoryCacheStore Open(TimeProvider time, MemoryCacheStoreOptions options)
    {
        var store = new MemoryCacheStore(time, options);
        _stores.Add(store);
        return store;
    }

    [Fact]
    public async Task Size_NeverExceedsTheLimit_TheNewestValueIsKept_OldOnesEvicted()
    {
        const long limit = 20_000;
        var store = Open(Time, new MemoryCacheStoreOptions { SizeLimitBytes = limit });
        var value = new byte[1000];

        for (var i = 0; i < 200; i++)
        {
            Time.Advance(TimeSpan.FromMilliseconds(10));
            await store.SetAsync($"k{i}", value, TimeSpan.FromHours(1));
            Assert.InRange(store.CurrentSize, 0, limit);
            Assert.NotNull(await store.GetAsync($"k{i}"));
        }

        Assert.Null(await store.GetAsync("k0"));
        Assert.InRange(store.Count, 1, limit / 1000);
    }

    [Fact]
    public async Task ValuesLargerThanAllowed_AreNotCached()
    {
        var store = Open(Time, new MemoryCacheStoreOptions { SizeLimitBytes = 80_000 });

        await store.SetAsync("small", new byte[10_000], TimeSpan.FromHours(1));
        await store.SetAsync("large", new byte[10_001], TimeSpan.FromHours(1));

        Assert.NotNull(await store.GetAsync("small"));
        Assert.Null(await store.GetAsync("large"));
    }

    [Fact]
    public async Task ExpiredEntries_AreEvictedBeforeLiveOnes()
    {
        var store = Open(Time, new MemoryCacheStoreOptions { SizeLimitBytes = 5_000, MaxValueBytes = 2_000 });
        await store.SetAsync("short", new byte[1000], TimeSpan.FromSeconds(1));
        await store.SetAsync("long1", new byte[1000], TimeSpan.FromHours(1));
        await store.SetAsync("long2", new byte[1000], TimeSpan.FromHours(1));
        await store.SetAsync("long3", new byte[1000], TimeSpan.FromHours(1));
        Time.Advance(TimeSpan.FromSeconds(2));

        await store.SetAsync("new", new byte[1000], TimeSpan.FromHours(1));

        Assert.NotNull(await store.GetAsync("long1"));
        Assert.NotNull(await store.GetAsync("new"));
        Assert.Null(await store.GetAsync("short"));
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisCacheStoreTests(RedisFixture redis) : CacheStoreTests
{
    private readonly Connections _connections = new(redis);
    private readonly string _prefix = RedisFixture.NewPrefix();

    protected override async Task<ICacheStore> CreateStoreAsync(TimeProvider time) =>
        new RedisCacheStore(await _connections.OpenAsync(), time, _prefix);

    public override async Task DisposeAsync() => await _connections.DisposeAsync();

    [Fact]
    public async Task Keys_CarryTheTimeToLiveInRedis()
    {
        await Store.SetAsync("k", Bytes("v"), TimeSpan.FromSeconds(90));
        var db = (await _connections.OpenAsync()).GetDatabase();

        var ttl = await db.KeyTimeToLiveAsync($"{_prefix}c:k");

        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(80), TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task AValueIsSharedByGatewaysOnOneRedis()
    {
        var other = new RedisCacheStore(await _connections.OpenAsync(), Time, _prefix);

        await Store.SetAsync("k", Bytes("v"), TimeSpan.FromMinutes(1));

        Assert.Equal(Bytes("v"), await other.GetAsync("k"));
    }
}
