using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Observability;

/// <summary>/metrics, /health/live, /health/ready and request ids on every role, over real HTTP.</summary>
public sealed class ObservabilityTests
{
    private const string Service = "obs";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    [Fact]
    public async Task Metrics_ParseAsPrometheusText_AndCountEveryGatewayCallByOutcome()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        var key = await CreateApiAsync(host, backend, "metered");

        for (var i = 0; i < 3; i++)
        {
            using var ok = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/metered/hello", key));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var missing = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/metered/hello")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        }

        backend.StatusCode = 500;
        using (var failed = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/metered/hello", key)))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        // Probes and scrapes are not API calls.
        (await host.Gateway.GetAsync("/health/live")).Dispose();

        // The gateway's public listener serves no metrics (they name APIs, operations, products and counts): the
        // management listener serves the whole process's, the gateway's included.
        using (var gatewayMetrics = await host.Gateway.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gatewayMetrics.StatusCode);
        }

        foreach (var client in new[] { host.Management })
        {
            using var response = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            var samples = await PrometheusText.ParseAsync(await response.Content.ReadAsStringAsync());

            double Requests(string outcome) => samples
                .Where(s => s.Name == "tollgate_gateway_requests_total" && s.Has("service", Service) && s.Has("api", "metered") && s.Has("operation", "get") && s.Has("outcome", outcome))
                .Sum(s => s.Value);
            Assert.Equal(3, Requests("success"));
            Assert.Equal(1, Requests("blocked"));
            Assert.Equal(1, Requests("failed"));
            Assert.Equal(5, samples.Where(s => s.Name == "tollgate_gateway_request_duration_seconds_count" && s.Has("api", "metered")).Sum(s => s.Value));
            Assert.Equal(4, samples.Where(s => s.Name == "tollgate_gateway_backend_duration_seconds_count" && s.Has("api", "metered")).Sum(s => s.Value));
            Assert.Contains(samples, s => s.Name == "tollgate_analytics_records_dropped_total");
            Assert.Contains(samples, s => s.Name == "tollgate_analytics_records_written_total");
            Assert.Contains(samples, s => s.Name.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal));
            Assert.Contains(samples, s => s.Name.StartsWith("dotnet_gc_", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Metrics_CountCallsAPolicyRefused_ByInstanceApiAndPolicy()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        var key = await CreateApiAsync(host, backend, "limited");
        await host.PutAsync($"{Svc}/apis/limited/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><rate-limit calls=\"1\" renewal-period=\"60\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });

        using (var first = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/limited/hello", key)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var second = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/limited/hello", key)))
        {
            Assert.Equal((HttpStatusCode)429, second.StatusCode);
        }

        using var response = await host.Management.GetAsync("/metrics");
        var samples = await PrometheusText.ParseAsync(await response.Content.ReadAsStringAsync());
        var refused = Assert.Single(samples, s => s.Name == "tollgate_gateway_rejections_total" && s.Has("api", "limited"));
        Assert.True(refused.Has("service", Service) && refused.Has("policy", "rate-limit"), "the rejection names its instance and policy");
        Assert.Equal(1, refused.Value);
    }

    [Fact]
    public async Task Health_LiveAndReady_AnswerOnEveryRole()
    {
        await using var host = await TollgateHost.StartAsync();
        using var studio = new HttpClient { BaseAddress = new Uri(host.Server.Settings.Studio.Url) };
        foreach (var client in new[] { host.Gateway, host.Management, studio })
        {
            foreach (var path in new[] { "/health/live", "/health/ready" })
            {
                using var response = await client.GetAsync(path);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                Assert.Equal("Healthy", (string?)body["status"]);
            }
        }

        var ready = JsonNode.Parse(await host.Management.GetStringAsync("/health/ready"))!;
        Assert.Equal("Healthy", (string?)ready["checks"]!["store"]!["status"]);
        var studioReady = JsonNode.Parse(await studio.GetStringAsync("/health/ready"))!;
        Assert.Equal("Healthy", (string?)studioReady["checks"]!["store"]!["status"]);

        // Studio's own port serves no metrics; in one process with management, management's listener serves them.
        using (var onStudio = await studio.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.NotFound, onStudio.StatusCode);
        }

        using var metrics = await host.Management.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        var samples = await PrometheusText.ParseAsync(await metrics.Content.ReadAsStringAsync());
        Assert.Contains(samples, s => s.Name.StartsWith("http_server_", StringComparison.Ordinal) || s.Name.StartsWith("dotnet_", StringComparison.Ordinal));
        using var live = await studio.GetAsync("/health/live");
        Assert.True(Guid.TryParse(Assert.Single(live.Headers.GetValues("x-ms-request-id")), out _));
    }

    [Fact]
    public async Task Metrics_OfAGatewayRunningAlone_AreOnTheConfiguredMetricsListenerOnly()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var management = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        var key = await CreateApiAsync(management, backend, "alone");
        var gatewayData = Directory.CreateTempSubdirectory("tollgate-gw-").FullName;
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["Tollgate:Roles"] = "gateway",
                ["Tollgate:DataDirectory"] = gatewayData,
                ["Tollgate:Gateway:HttpUrl"] = "http://127.0.0.1:0",
                ["Tollgate:Gateway:HttpsUrl"] = "",
                ["Tollgate:Gateway:ManagementUrl"] = management.Server.Settings.Management.Url,
                ["Tollgate:Gateway:ManagementToken"] = management.Token,
                ["Tollgate:Metrics:Url"] = "http://127.0.0.1:0",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            await using var gateway = await Tollgate.Hosting.TollgateServer.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
            using var client = new HttpClient { BaseAddress = new Uri(gateway.Settings.Gateway.HttpUrl!) };
            using var metricsClient = new HttpClient { BaseAddress = new Uri(gateway.Settings.Metrics.Url!) };
            Assert.NotEqual(gateway.Settings.Gateway.HttpUrl, gateway.Settings.Metrics.Url);

            // The remote gateway gets the API by long-polling: call until it routes it.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            HttpStatusCode status;
            do
            {
                using var call = await client.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/alone/hello", key));
                status = call.StatusCode;
                if (status != HttpStatusCode.OK)
                {
                    await Task.Delay(50);
                }
            }
            while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
            Assert.Equal(HttpStatusCode.OK, status);

            using (var onGateway = await client.GetAsync("/metrics"))
            {
                Assert.Equal(HttpStatusCode.NotFound, onGateway.StatusCode);
            }

            using var response = await metricsClient.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var samples = await PrometheusText.ParseAsync(await response.Content.ReadAsStringAsync());
            Assert.Contains(samples, s => s.Name == "tollgate_gateway_requests_total" && s.Has("api", "alone") && s.Has("outcome", "success") && s.Value >= 1);

            // The metrics listener serves nothing else; the gateway keeps serving.
            using (var other = await metricsClient.GetAsync("/alone/hello"))
            {
                Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
            }

            using var again = await client.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/alone/hello", key));
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        finally
        {
            Directory.Delete(gatewayData, recursive: true);
        }
    }

    [Fact]
    public async Task Metrics_OfStudioRunningAlone_AreOnTheConfiguredMetricsListenerOnly()
    {
        await using var studio = await StudioHost.StartAsync();
        using (var onStudio = await studio.Client.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.NotFound, onStudio.StatusCode);
        }

        using var metrics = await studio.Metrics.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        var samples = await PrometheusText.ParseAsync(await metrics.Content.ReadAsStringAsync());
        Assert.Contains(samples, s => s.Name.StartsWith("dotnet_", StringComparison.Ordinal));
        using var live = await studio.Client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Health_StatusAndProbePaths_WinOverAnApiAtTheRoot()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{Svc}/apis/root", new { properties = new { displayName = "Root", path = "", serviceUrl = backend.Url, protocols = new[] { "http" }, subscriptionRequired = false } });
        await host.PutAsync($"{Svc}/apis/root/operations/all", new { properties = new { displayName = "All", method = "GET", urlTemplate = "/*" } });

        using var ready = await host.Gateway.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var other = await host.Gateway.GetAsync("/anything");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(["/anything"], backend.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task RequestIds_GatewaySendsItsIdToTheBackendAndTheClient_ManagementAnswersWithOne()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        var key = await CreateApiAsync(host, backend, "traced");

        var request = TollgateHost.GatewayRequest(HttpMethod.Get, "/traced/hello", key);
        request.Headers.Add("x-request-id", "client-chosen");
        using var response = await host.Gateway.SendAsync(request);
        var id = Assert.Single(response.Headers.GetValues("x-request-id"));
        Assert.True(Guid.TryParse(id, out _), $"'{id}' is not a GUID");
        Assert.Equal(id, backend.Last.Header("x-request-id"));

        using var rejected = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/traced/hello"));
        var rejectedId = Assert.Single(rejected.Headers.GetValues("x-request-id"));
        Assert.NotEqual(id, rejectedId);

        using var management = await host.SendAsync(HttpMethod.Get, Svc);
        Assert.True(Guid.TryParse(Assert.Single(management.Headers.GetValues("x-ms-request-id")), out _));
    }

    [Fact]
    public async Task Readiness_TurnsFalseWhilePostgresIsStopped_AndTrueWhenItIsBack()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?>
        {
            ["Tollgate:Store:Provider"] = "postgres",
            ["Tollgate:Store:ConnectionString"] = postgres.ConnectionString,
        });

        Assert.Equal(HttpStatusCode.OK, await ReadyAsync(host.Management));
        await postgres.StopAsync();
        var body = await host.Management.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, body.StatusCode);
        var json = JsonNode.Parse(await body.Content.ReadAsStringAsync())!;
        Assert.Equal("Unhealthy", (string?)json["status"]);
        Assert.Equal("Unhealthy", (string?)json["checks"]!["store"]!["status"]);

        // Liveness is about the process, not its dependencies.
        Assert.Equal(HttpStatusCode.OK, (await host.Management.GetAsync("/health/live")).StatusCode);

        await postgres.StartAgainAsync();
        // Pooled connections broken by the restart each fail one check before they are dropped: readiness is back
        // after at most as many checks as the pool held connections (no waiting between checks).
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20 && (statuses.Count == 0 || statuses[^1] != HttpStatusCode.OK); i++)
        {
            statuses.Add(await ReadyAsync(host.Management));
        }

        Assert.Equal(HttpStatusCode.OK, statuses[^1]);
    }

    [Fact]
    public async Task Readiness_OfAGatewayWithRedisCounters_FollowsRedis()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?>
        {
            ["Tollgate:Gateway:Counters:Provider"] = "redis",
            ["Tollgate:Gateway:Counters:RedisConfiguration"] = redis.Configuration + ",connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000",
        });

        Assert.Equal(HttpStatusCode.OK, await ReadyAsync(host.Gateway));
        await redis.StopAsync();
        using (var down = await host.Gateway.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            var json = JsonNode.Parse(await down.Content.ReadAsStringAsync())!;
            Assert.Equal("Unhealthy", (string?)json["checks"]!["redis"]!["status"]);
        }

        // Management does not use Redis: it stays ready.
        Assert.Equal(HttpStatusCode.OK, await ReadyAsync(host.Management));

        await redis.StartAgainAsync();
        // The client reconnects in the background (its own heartbeat, about a second): poll the observable state,
        // bounded by a deadline, until a PING is answered.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var status = await ReadyAsync(host.Gateway);
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            status = await ReadyAsync(host.Gateway);
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static async Task<HttpStatusCode> ReadyAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health/ready");
        return response.StatusCode;
    }

    private static async Task<string> CreateApiAsync(TollgateHost host, RecordingBackend backend, string api)
    {
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{Svc}/apis/{api}", new { properties = new { displayName = api, path = api, serviceUrl = backend.Url, protocols = new[] { "http" } } });
        await host.PutAsync($"{Svc}/apis/{api}/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
        return await host.CreateSubscriptionAsync(Service, "s-" + api, "/apis/" + api);
    }
}
