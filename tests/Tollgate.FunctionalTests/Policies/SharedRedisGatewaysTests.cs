using System.Globalization;
using System.Net;
using Tollgate.FunctionalTests.Cluster;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>The cluster of scripts/cluster.sh, started once for the rate-limit cases.</summary>
public sealed class LoopbackClusterFixture : IAsyncLifetime
{
    public LoopbackCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await LoopbackCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Three separate <c>tollgate run --roles gateway</c> processes behind nginx, configured by two management nodes and
/// sharing one real redis-server for their counters, enforce one rate limit together: never more calls admitted than
/// the limit, and at most 0.5% fewer (limits above 1,000 calls are leased to each gateway in small parts).
/// </summary>
public sealed class SharedRedisGatewaysTests(LoopbackClusterFixture fixture) : IClassFixture<LoopbackClusterFixture>
{
    [Theory]
    [InlineData(100)]
    [InlineData(1_000)]
    [InlineData(10_000)]
    public async Task ThreeGatewayProcesses_OneRedis_BehindNginx_EnforceOneRateLimit(int limit)
    {
        // Arrange: an API of its own (its own counter) in front of the backend at /rl{limit}, and a subscription to it
        // made last; the sliding window (300 s, the longest APIM allows) outlasts the calls.
        var cluster = fixture.Cluster;
        var name = "rl" + limit.ToString(CultureInfo.InvariantCulture);
        string key;
        using (var management = cluster.ManagementClient(cluster.Nginx.ManagementUrl))
        {
            var api = $"{LoopbackCluster.Svc}/apis/{name}";
            await LoopbackCluster.OkAsync(management, HttpMethod.Put, api, new { properties = new { displayName = name, path = name, serviceUrl = $"{cluster.Backend.Url}/{name}", protocols = new[] { "http" } } });
            await LoopbackCluster.OkAsync(management, HttpMethod.Put, $"{api}/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
            await LoopbackCluster.OkAsync(management, HttpMethod.Put, $"{api}/policies/policy", new
            {
                properties = new { format = "rawxml", value = PolicyHost.Document(inbound: $"""<rate-limit calls="{limit}" renewal-period="300" />""") },
            });
            var subscription = $"{LoopbackCluster.Svc}/subscriptions/{name}";
            await LoopbackCluster.OkAsync(management, HttpMethod.Put, subscription, new { properties = new { scope = $"/apis/{name}", displayName = name, state = "active" } });
            key = (string)(await LoopbackCluster.OkAsync(management, HttpMethod.Post, $"{subscription}/listSecrets"))["primaryKey"]!;
        }

        // Every gateway has the policy before the count starts: its first 200 with the new key (written after the
        // policy) is one admitted call each, counted below.
        foreach (var gateway in cluster.Gateways)
        {
            using var probe = new HttpClient { BaseAddress = new Uri(gateway.Url) };
            await LoopbackCluster.WaitForStatusAsync(probe, $"/{name}/hello", key, HttpStatusCode.OK);
        }

        var admitted = cluster.Gateways.Count;
        var calls = limit + Math.Max(limit / 10, 50);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 24 };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(cluster.Nginx.GatewayUrl) };
        var rejected = 0;
        var other = 0;

        // Act: through nginx, which spreads the calls over the three gateways, 24 at a time.
        await Parallel.ForAsync(0, calls, new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (_, ct) =>
        {
            using var response = await client.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, $"/{name}/hello", key), ct);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    Interlocked.Increment(ref admitted);
                    break;
                case HttpStatusCode.TooManyRequests:
                    Interlocked.Increment(ref rejected);
                    break;
                default:
                    Interlocked.Increment(ref other);
                    break;
            }
        });

        // Assert
        Assert.Equal(0, other);
        Assert.Equal(calls + cluster.Gateways.Count, admitted + rejected);
        Assert.InRange(admitted, limit - (limit * 5 / 1000), limit);
        Assert.Equal(admitted, cluster.Backend.Requests.Count(r => r.Path.StartsWith($"/{name}/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ACircuitTrippedThroughOneGatewayProcess_IsOpenOnTheOthers_UntilItsTripDurationEnds()
    {
        // Arrange: a backend whose circuit opens on two server errors within a minute, for five seconds (real time:
        // separate processes), routed to by an API of its own; every gateway serves it before the count starts.
        var cluster = fixture.Cluster;
        string key;
        using (var management = cluster.ManagementClient(cluster.Nginx.ManagementUrl))
        {
            await LoopbackCluster.OkAsync(management, HttpMethod.Put, $"{LoopbackCluster.Svc}/backends/breaker", new
            {
                properties = new
                {
                    url = $"{cluster.Backend.Url}/cb",
                    circuitBreaker = new
                    {
                        rules = new[]
                        {
                            new { name = "errors", failureCondition = new { count = 2, interval = "PT1M", statusCodeRanges = new[] { new { min = 500, max = 599 } } }, tripDuration = "PT5S" },
                        },
                    },
                },
            });
            var api = $"{LoopbackCluster.Svc}/apis/cb";
            await LoopbackCluster.OkAsync(management, HttpMethod.Put, api, new { properties = new { displayName = "cb", path = "cb", serviceUrl = $"{cluster.Backend.Url}/unused", protocols = new[] { "http" } } });
            await LoopbackCluster.OkAsync(management, HttpMethod.Put, $"{api}/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
            await LoopbackCluster.OkAsync(management, HttpMethod.Put, $"{api}/policies/policy", new
            {
                properties = new { format = "rawxml", value = PolicyHost.Document(inbound: """<set-backend-service backend-id="breaker" />""") },
            });
            var subscription = $"{LoopbackCluster.Svc}/subscriptions/cb";
            await LoopbackCluster.OkAsync(management, HttpMethod.Put, subscription, new { properties = new { scope = "/apis/cb", displayName = "cb", state = "active" } });
            key = (string)(await LoopbackCluster.OkAsync(management, HttpMethod.Post, $"{subscription}/listSecrets"))["primaryKey"]!;
        }

        var gateways = cluster.Gateways.Select(g => new HttpClient { BaseAddress = new Uri(g.Url) }).ToList();
        try
        {
            foreach (var gateway in gateways)
            {
                await LoopbackCluster.WaitForStatusAsync(gateway, "/cb/hello", key, HttpStatusCode.OK);
            }

            // Act: two server errors through the first gateway process trip the circuit.
            cluster.Backend.StatusCode = 500;
            for (var i = 0; i < 2; i++)
            {
                using var failed = await gateways[0].SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/cb/hello", key));
                Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            }

            cluster.Backend.StatusCode = 200;
            var sent = cluster.Backend.Requests.Count(r => r.Path.StartsWith("/cb/", StringComparison.Ordinal));

            // Assert: the other processes answer 503 without calling the backend.
            foreach (var other in gateways.Skip(1))
            {
                using var open = await other.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/cb/hello", key));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, open.StatusCode);
                Assert.Equal("Backend 'breaker' is unavailable: its circuit breaker is open.", (string?)System.Text.Json.Nodes.JsonNode.Parse(await open.Content.ReadAsStringAsync())!["message"]);
            }

            Assert.Equal(sent, cluster.Backend.Requests.Count(r => r.Path.StartsWith("/cb/", StringComparison.Ordinal)));

            // Once the trip duration has passed, the backend is called again, through any of them.
            await Task.Delay(TimeSpan.FromSeconds(5.5));
            using var closed = await gateways[^1].SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/cb/hello", key));
            Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        }
        finally
        {
            cluster.Backend.StatusCode = 200;
            foreach (var gateway in gateways)
            {
                gateway.Dispose();
            }
        }
    }
}
