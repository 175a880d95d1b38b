using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.SetBackendService;

namespace Tollgate.UnitTests.Policies;

/// <summary>The backends' circuit breakers and a pool's choice of member.</summary>
public sealed class BackendCircuitBreakersTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static GatewayBackend Backend(string id, int count = 3, bool acceptRetryAfter = false) => new()
    {
        Id = id,
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

    [Fact]
    public void Breaker_OpensOnCountFailuresWithinTheInterval_ForTheTripDuration()
    {
        // Arrange
        var breakers = new BackendCircuitBreakers();
        var backend = Backend("b");

        // Act: 200s and 404s are not failures; two 500s, then one that fell out of the interval.
        breakers.Record("svc", backend, 200, null, Start);
        breakers.Record("svc", backend, 404, null, Start);
        breakers.Record("svc", backend, 500, null, Start);
        breakers.Record("svc", backend, 503, null, Start.AddSeconds(10));
        var opened = breakers.Record("svc", backend, null, null, Start.AddSeconds(61));

        // Assert
        Assert.False(opened);
        Assert.False(breakers.IsOpen("svc", backend, Start.AddSeconds(61)));
        Assert.True(breakers.Record("svc", backend, 502, null, Start.AddSeconds(62)));
        Assert.True(breakers.IsOpen("svc", backend, Start.AddSeconds(91)));
        Assert.False(breakers.IsOpen("svc", backend, Start.AddSeconds(92)));
        Assert.False(breakers.IsOpen("other", backend, Start.AddSeconds(70)));
    }

    [Fact]
    public void Breaker_TakesTheBackendsRetryAfter_WhenTheRuleAcceptsIt_AndStartsClosedWhenTheRuleChanges()
    {
        var breakers = new BackendCircuitBreakers();
        var backend = Backend("b", count: 1, acceptRetryAfter: true);
        Assert.True(breakers.Record("svc", backend, 503, TimeSpan.FromSeconds(120), Start));
        Assert.True(breakers.IsOpen("svc", backend, Start.AddSeconds(119)));

        var changed = backend with { CircuitBreaker = backend.CircuitBreaker! with { Count = 5 } };
        Assert.False(breakers.IsOpen("svc", changed, Start.AddSeconds(1)));
    }

    [Fact]
    public void Pick_TakesTheLowestPriorityWithAClosedCircuit_ByWeight()
    {
        var breakers = new BackendCircuitBreakers();
        var backends = new Dictionary<string, GatewayBackend>(StringComparer.OrdinalIgnoreCase)
        {
            ["a"] = Backend("a", count: 1),
            ["b"] = Backend("b", count: 1),
            ["c"] = Backend("c", count: 1),
        };
        var pool = new GatewayBackend { Id = "pool", Pool = [new("a", 0, 1), new("b", 0, 0), new("c", 1, 1), new("missing", 0, 5)] };

        // Weight 0 is never picked while another member of its priority has weight.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("a", SetBackendHandler.Pick(pool, backends, breakers, "svc", Start)!.Id);
        }

        breakers.Record("svc", backends["a"], 500, null, Start);
        Assert.Equal("b", SetBackendHandler.Pick(pool, backends, breakers, "svc", Start)!.Id);
        breakers.Record("svc", backends["b"], 500, null, Start);
        Assert.Equal("c", SetBackendHandler.Pick(pool, backends, breakers, "svc", Start)!.Id);
        breakers.Record("svc", backends["c"], 500, null, Start);
        Assert.Null(SetBackendHandler.Pick(pool, backends, breakers, "svc", Start));
    }
}
