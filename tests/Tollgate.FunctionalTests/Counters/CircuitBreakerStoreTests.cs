using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Handlers;

namespace Tollgate.FunctionalTests.Counters;

/// <summary>
/// The backends' circuit breakers in a real Redis, each "gateway" with a multiplexer of its own: a trip counted by
/// several gateways opens the circuit on every one, for the trip duration; a changed rule starts closed; with Redis
/// gone each gateway counts on its own instead of failing calls.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class CircuitBreakerStoreTests(RedisFixture redis) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly Connections _connections = new(redis);
    private readonly string _prefix = RedisFixture.NewPrefix();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _connections.DisposeAsync();

    private static GatewayBackend Backend(int count = 3, bool acceptRetryAfter = false) => new()
    {
        Id = "scoring",
        Url = "http://backend.example",
        CircuitBreaker = new GatewayCircuitBreaker
        {
            Count = count,
            Interval = TimeSpan.FromMinutes(1),
            TripDuration = TimeSpan.FromSeconds(30),
            AcceptRetryAfter = acceptRetryAfter,
            StatusCodeRanges = [new GatewayStatusRange(500, 599)],
        },
    };

    private async Task<IBackendCircuitBreakers> GatewayAsync() =>
        new RedisBackendCircuitBreakers(await _connections.OpenAsync(), _prefix, NullLogger.Instance);

    [Fact]
    public async Task FailuresSeenByTwoGateways_OpenTheCircuitOnBoth_ForTheTripDuration()
    {
        var first = await GatewayAsync();
        var second = await GatewayAsync();
        var backend = Backend(count: 3);

        // Successes and statuses outside the ranges are not failures; three failures within the minute, on two gateways.
        Assert.False(await first.RecordAsync("svc", backend, 200, null, Start));
        Assert.False(await first.RecordAsync("svc", backend, 404, null, Start));
        Assert.False(await first.RecordAsync("svc", backend, 500, null, Start));
        Assert.False(await second.RecordAsync("svc", backend, null, null, Start.AddSeconds(1)));
        Assert.False(await first.IsOpenAsync("svc", backend, Start.AddSeconds(1)));
        Assert.True(await second.RecordAsync("svc", backend, 503, null, Start.AddSeconds(2)));

        Assert.True(await first.IsOpenAsync("svc", backend, Start.AddSeconds(3)));
        Assert.True(await second.IsOpenAsync("svc", backend, Start.AddSeconds(31)));
        Assert.False(await first.IsOpenAsync("svc", backend, Start.AddSeconds(32)));
        Assert.False(await first.IsOpenAsync("other-instance", backend, Start.AddSeconds(3)));

        // A failure out of the interval does not count with the new ones.
        Assert.False(await first.RecordAsync("svc", backend, 500, null, Start.AddSeconds(40)));
        Assert.False(await second.RecordAsync("svc", backend, 500, null, Start.AddSeconds(90)));
        Assert.False(await first.RecordAsync("svc", backend, 500, null, Start.AddSeconds(101)));
        Assert.False(await second.IsOpenAsync("svc", backend, Start.AddSeconds(101)));
    }

    [Fact]
    public async Task RetryAfter_SetsTheTrip_AndAChangedRuleStartsClosed()
    {
        var first = await GatewayAsync();
        var second = await GatewayAsync();
        var backend = Backend(count: 1, acceptRetryAfter: true);
        Assert.True(await first.RecordAsync("svc", backend, 503, TimeSpan.FromSeconds(120), Start));
        Assert.True(await second.IsOpenAsync("svc", backend, Start.AddSeconds(119)));
        Assert.False(await second.IsOpenAsync("svc", backend, Start.AddSeconds(120)));

        var changed = backend with { CircuitBreaker = backend.CircuitBreaker! with { Count = 2 } };
        Assert.True(await first.RecordAsync("svc", backend, 503, null, Start.AddSeconds(200)));
        Assert.False(await second.IsOpenAsync("svc", changed, Start.AddSeconds(201)));
        Assert.False(await second.RecordAsync("svc", changed, 500, null, Start.AddSeconds(202)));
        Assert.True(await first.RecordAsync("svc", changed, 500, null, Start.AddSeconds(203)));
        Assert.True(await second.IsOpenAsync("svc", changed, Start.AddSeconds(204)));
    }

    [Fact]
    public async Task WithRedisUnreachable_EachGatewayCountsOnItsOwn()
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{Tollgate.Tests.Common.FreePort.Next()}");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 200;
        options.SyncTimeout = 200;
        options.AsyncTimeout = 200;
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(options);
        var alone = new RedisBackendCircuitBreakers(unreachable, _prefix, NullLogger.Instance);
        var backend = Backend(count: 2);

        Assert.False(await alone.RecordAsync("svc", backend, 500, null, Start));
        Assert.True(await alone.RecordAsync("svc", backend, 500, null, Start.AddSeconds(1)));
        Assert.True(await alone.IsOpenAsync("svc", backend, Start.AddSeconds(2)));
    }
}
