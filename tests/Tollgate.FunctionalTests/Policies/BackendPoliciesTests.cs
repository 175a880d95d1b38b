using System.Net;
using System.Text.Json.Nodes;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// The <c>backends</c> resource (URL, credentials, circuit breaker, pools) through the management API, and
/// <c>set-backend-service backend-id</c> routing to it through the gateway, on the host's fake clock.
/// </summary>
public sealed class BackendPoliciesTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    private static string Backends => $"{PolicyHost.Svc}/backends";

    private const string LastErrorHeader = """<set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Source + " " + context.LastError.Reason)</value></set-header>""";

    private static object Breaker(int count) => new
    {
        rules = new[]
        {
            new
            {
                name = "server-errors",
                failureCondition = new { count, interval = "PT1M", statusCodeRanges = new[] { new { min = 500, max = 599 } } },
                tripDuration = "PT30S",
            },
        },
    };

    [Fact]
    public async Task SetBackendServiceBackendId_SendsTheBackendsCredentials_AndItsCircuitBreakerAnswers503WhileOpen()
    {
        await using var other = await RecordingBackend.StartAsync();
        var created = await H.Host.PutAsync($"{Backends}/scoring", new
        {
            properties = new
            {
                url = other.Url,
                protocol = "http",
                credentials = new
                {
                    header = new Dictionary<string, string[]> { ["x-functions-key"] = ["k1"] },
                    query = new Dictionary<string, string[]> { ["code"] = ["c1"] },
                    authorization = new { scheme = "Basic", parameter = "dXNlcjpwYXNz" },
                },
                circuitBreaker = Breaker(count: 2),
            },
        });
        Assert.Equal("Microsoft.ApiManagement/service/backends", (string)created["type"]!);
        await H.SetApiPolicyAsync(inbound: """<set-backend-service backend-id="scoring" />""", onError: LastErrorHeader);

        using (var routed = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
            Assert.Equal("k1", other.Last.Header("x-functions-key"));
            Assert.Equal("Basic dXNlcjpwYXNz", other.Last.Header("Authorization"));
            Assert.Equal("?code=c1", other.Last.QueryString);
        }

        // Two server errors within the minute open the circuit: the third call is not sent.
        other.StatusCode = 500;
        for (var i = 0; i < 2; i++)
        {
            using var failed = await H.GetAsync();
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        var sent = other.Requests.Count;
        using (var open = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, open.StatusCode);
            Assert.Equal("Backend 'scoring' is unavailable: its circuit breaker is open.", (string)(await PolicyHost.JsonAsync(open))["message"]!);
            Assert.Equal("set-backend-service BackendUnavailable", open.Headers.GetValues("X-Reason").Single());
        }

        Assert.Equal(sent, other.Requests.Count);

        // After the trip duration the backend is called again.
        other.StatusCode = 200;
        H.Time.Advance(TimeSpan.FromSeconds(31));
        using var closed = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        Assert.Equal(sent + 1, other.Requests.Count);
    }

    [Fact]
    public async Task Pool_SendsToTheLowestPriority_AndFailsOverWhileItsCircuitIsOpen()
    {
        await using var secondary = await RecordingBackend.StartAsync();
        await H.Host.PutAsync($"{Backends}/primary", new { properties = new { url = H.Backend.Url, circuitBreaker = Breaker(count: 1) } });
        await H.Host.PutAsync($"{Backends}/secondary", new { properties = new { url = secondary.Url } });
        var pool = await H.Host.PutAsync($"{Backends}/scoring-pool", new
        {
            properties = new
            {
                type = "Pool",
                pool = new { services = new object[] { new { id = "/backends/primary", priority = 0 }, new { id = $"{PolicyHost.Svc}/backends/secondary", priority = 1, weight = 1 } } },
            },
        });
        Assert.Equal("/backends/secondary", (string)pool["properties"]!["pool"]!["services"]![1]!["id"]!);
        await H.SetApiPolicyAsync(inbound: """<set-backend-service backend-id="scoring-pool" />""");

        try
        {
            var primaryCalls = H.Backend.Requests.Count;
            using (var first = await H.GetAsync())
            {
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
                Assert.Equal(primaryCalls + 1, H.Backend.Requests.Count);
            }

            H.Backend.StatusCode = 503;
            using (var failing = await H.GetAsync())
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, failing.StatusCode);
            }

            using (var failedOver = await H.GetAsync())
            {
                Assert.Equal(HttpStatusCode.OK, failedOver.StatusCode);
                Assert.Single(secondary.Requests);
            }

            H.Backend.StatusCode = 200;
            H.Time.Advance(TimeSpan.FromSeconds(31));
            using var back = await H.GetAsync();
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
            Assert.Single(secondary.Requests);
        }
        finally
        {
            H.Backend.StatusCode = 200;
        }
    }

    [Fact]
    public async Task BadBackends_AreRefusedNamingTheField_AndAPoolsMemberCannotBeDeleted()
    {
        await H.Host.PutAsync($"{Backends}/member", new { properties = new { url = H.Backend.Url } });
        await H.Host.PutAsync($"{Backends}/members", new { properties = new { type = "Pool", pool = new { services = new[] { new { id = "/backends/member" } } } } });

        foreach (var (body, target, message) in new (object Body, string Target, string Message)[]
        {
            (new { protocol = "http" }, "url", "'url' is required for a backend of type Single."),
            (new { type = "Pool", pool = new { services = new[] { new { id = "/backends/nowhere" } } } }, "pool.services[0].id", "Backend 'nowhere' does not exist (a pool cannot contain itself)."),
            (new { type = "Pool", pool = new { services = new[] { new { id = "/backends/members" } } } }, "pool.services[0].id", "Backend 'members' is a pool: a pool's members must be single backends."),
            (new { url = H.Backend.Url, circuitBreaker = new { rules = new[] { new { failureCondition = new { count = 1, interval = "a minute" }, tripDuration = "PT1M" } } } }, "circuitBreaker.rules[0].failureCondition.interval", "'a minute' is not an ISO-8601 duration in days, hours, minutes or seconds (such as P90D or PT12H)."),
        })
        {
            using var refused = await H.Host.SendAsync(HttpMethod.Put, $"{Backends}/bad", new { properties = body });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var details = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["details"]!.AsArray();
            Assert.Contains(details, d => (string)d!["target"]! == target && (string)d["message"]! == message);
        }

        using var conflict = await H.Host.SendAsync(HttpMethod.Delete, $"{Backends}/member");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        var refusedPolicy = await H.RefusedAsync(inbound: """<set-backend-service base-url="http://a" backend-id="member" />""");
        Assert.Contains("Policy 'set-backend-service' needs exactly one of 'base-url' and 'backend-id'.", refusedPolicy);
        Assert.Contains("policies/inbound/set-backend-service (line 1): backend 'nowhere' does not exist.", await H.RefusedAsync(inbound: """<set-backend-service backend-id="nowhere" />"""));
    }
}
