using System.Net;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// Rate-limit and quota policies through the gateway with Redis counters: adjacent policies are decided in one batch
/// (one script), with the same answers as the policies one after the other.
/// </summary>
public sealed class RedisLimitPoliciesTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private PolicyHost _host = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _host = await PolicyHost.StartAsync(new Dictionary<string, string?>
        {
            ["Tollgate:Gateway:Counters:Provider"] = "redis",
            ["Tollgate:Gateway:Counters:RedisConfiguration"] = _redis.Configuration,
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task StarterShape_RateLimitThenQuota_RejectedCallsAreNotCountedByTheQuota()
    {
        await _host.SetApiPolicyAsync(inbound: """
            <rate-limit calls="5" renewal-period="60" remaining-calls-header-name="X-Remaining" />
            <quota calls="7" renewal-period="604800" />
            """);

        var statuses = new List<HttpStatusCode>();
        var remaining = new List<string>();
        var scriptsBefore = await ScriptCallsAsync();
        for (var i = 0; i < 5; i++)
        {
            using var response = await _host.GetAsync();
            statuses.Add(response.StatusCode);
            remaining.Add(response.Headers.GetValues("X-Remaining").Single());
        }

        // One script per call for both policies.
        Assert.Equal(5, await ScriptCallsAsync() - scriptsBefore);
        for (var i = 5; i < 6; i++)
        {
            using var response = await _host.GetAsync();
            statuses.Add(response.StatusCode);
            if (response.Headers.TryGetValues("X-Remaining", out var values))
            {
                remaining.Add(values.Single());
            }

            if (i == 5)
            {
                Assert.Equal("60", response.Headers.GetValues("Retry-After").Single());
            }
        }

        _host.Time.Advance(TimeSpan.FromSeconds(60));
        for (var i = 0; i < 3; i++)
        {
            using var response = await _host.GetAsync();
            statuses.Add(response.StatusCode);
            if (i == 2)
            {
                var body = await PolicyHost.JsonAsync(response);
                Assert.StartsWith("Out of call volume quota.", (string?)body["message"]);
            }
        }

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests,
             HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Forbidden],
            statuses);
        Assert.Equal(["4", "3", "2", "1", "0", "0"], remaining);
    }

    private async Task<long> ScriptCallsAsync()
    {
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.Configuration + ",allowAdmin=true");
        var info = await connection.GetServer(connection.GetEndPoints()[0]).InfoAsync("commandstats");
        return info.SelectMany(g => g)
            .Where(p => p.Key is "cmdstat_eval" or "cmdstat_evalsha")
            .Sum(p => long.Parse(p.Value.Split(',')[0]["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task RedisDown_FailsTheCall_NamingThePolicyWhoseCounterWasNotDecided()
    {
        await _host.SetApiPolicyAsync(
            inbound: """
                <rate-limit calls="5" renewal-period="60" />
                <quota calls="7" renewal-period="604800" />
                """,
            onError: """
                <set-header name="X-Error" exists-action="override"><value>@(context.LastError.Source + "|" + context.LastError.Reason + "|" + context.LastError.Path)</value></set-header>
                """);
        await _redis.DisposeAsync();

        using var response = await _host.GetAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("rate-limit|CounterStoreUnavailable|rate-limit[1]", response.Headers.GetValues("X-Error").Single());
    }
}
