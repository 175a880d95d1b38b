using System.Net;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// The tutorial API under the built-in Starter product, whose default policy is APIM's: 5 calls per 60 s and 100 calls
/// per week, through the real gateway on a fake clock.
/// </summary>
public sealed class StarterProductTests : IAsyncLifetime
{
    private const string Service = "demoazureml";
    private const string Execute = "/azureml-demo/workspaces/ws1/services/svc1/execute?api-version=2.0&details=true";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private TollgateHost _host = null!;
    private RecordingBackend _backend = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _backend = await RecordingBackend.StartAsync();
        _host = await TollgateHost.StartAsync(time: _time);
        var svc = TollgateHost.ServicePath(Service);
        await _host.CreateServiceAsync(Service);
        await _host.PutAsync($"{svc}/apis/azureml-demo", new { properties = new { displayName = "AzureML Demo API", serviceUrl = _backend.Url, path = "azureml-demo", protocols = new[] { "http" } } });
        await _host.PutAsync($"{svc}/apis/azureml-demo/operations/rrs-execute", new
        {
            properties = new
            {
                displayName = "RRS Execute",
                method = "POST",
                urlTemplate = "/workspaces/{workspace}/services/{service}/execute?api-version={apiversion}&details={details}",
                templateParameters = new[] { "workspace", "service", "apiversion", "details" }.Select(n => new { name = n, type = "string", required = true }),
            },
        });
        await _host.PutAsync($"{svc}/products/starter/apis/azureml-demo", new { });
        await _host.PutAsync($"{svc}/users/alice", new { properties = new { email = "alice@example.com", firstName = "Alice", lastName = "Ng" } });
        _key = await _host.CreateSubscriptionAsync(Service, "alice-starter", "/products/starter", "/users/alice");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task SixthCallInAMinute_Gets429WithApimBodyAndRetryAfter()
    {
        for (var i = 1; i <= 5; i++)
        {
            using var ok = await CallAsync();
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        using var sixth = await CallAsync();

        // The first call leaves the 60 s window at t0 + 60 s; it is t0 + 5 s now: 55 s to wait.
        Assert.Equal(HttpStatusCode.TooManyRequests, sixth.StatusCode);
        Assert.Equal("""{"statusCode":429,"message":"Rate limit is exceeded. Try again in 55 seconds."}""", await sixth.Content.ReadAsStringAsync());
        Assert.Equal("application/json; charset=utf-8", sixth.Content.Headers.ContentType?.ToString());
        Assert.Equal("55", sixth.Headers.GetValues("Retry-After").Single());
        Assert.Equal(5, _backend.Requests.Count);

        // Rejected calls are not counted: once the first call has left the window, one more fits.
        _time.Advance(TimeSpan.FromSeconds(55));
        using var again = await CallAsync();
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task HundredAndFirstCallInAWeek_Gets403WithApimBody()
    {
        for (var i = 1; i <= 100; i++)
        {
            using var ok = await CallAsync();
            Assert.True(ok.StatusCode == HttpStatusCode.OK, $"call {i}: {(int)ok.StatusCode} {await ok.Content.ReadAsStringAsync()}");

            // Five calls a minute keep under the rate limit.
            if (i % 5 == 0)
            {
                _time.Advance(TimeSpan.FromSeconds(61));
            }
        }

        using var rejected = await CallAsync();

        Assert.Equal(HttpStatusCode.Forbidden, rejected.StatusCode);
        var body = await rejected.Content.ReadAsStringAsync();
        Assert.Matches("""^\{"statusCode":403,"message":"Out of call volume quota\. Quota will be replenished in 6\.\d\d:\d\d:\d\d\."\}$""", body);
        var retryAfter = int.Parse(rejected.Headers.GetValues("Retry-After").Single());

        // 20 minutes and 20 s of the week are used: 7 days minus that, to the second.
        Assert.Equal((int)(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(20 * 61)).TotalSeconds, retryAfter);
        Assert.Equal(100, _backend.Requests.Count);

        // The quota renews a week after the subscription was created.
        _time.Advance(TimeSpan.FromSeconds(retryAfter));
        using var renewed = await CallAsync();
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
    }

    [Fact]
    public async Task Usage_ShowsTheSubscriptionsCurrentWindowsAndHistory()
    {
        for (var i = 0; i < 3; i++)
        {
            using var ok = await CallAsync();
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // The request log gathers for 250 ms of the (fake) clock before it writes.
        _time.Advance(TimeSpan.FromSeconds(1));
        var writer = (Tollgate.Management.Analytics.AnalyticsWriter)_host.Server.Services!.GetService(typeof(Tollgate.Management.Analytics.AnalyticsWriter))!;
        await writer.WaitForWrittenAsync(3, TimeSpan.FromSeconds(30));

        var svc = TollgateHost.ServicePath(Service);
        var usage = (await _host.OkAsync(HttpMethod.Get, $"{svc}/subscriptions/alice-starter/usage"))["properties"]!;
        Assert.Equal("/subscriptions/alice-starter", (string?)usage["subscriptionId"]);
        var rate = Assert.Single(usage["rateLimits"]!.AsArray())!;
        Assert.Equal(("/products/starter", 5, 60, 3, 2), ((string?)rate["scope"], (int)rate["calls"]!, (int)rate["renewalPeriod"]!, (int)rate["callsInWindow"]!, (int)rate["remainingCalls"]!));
        var quota = Assert.Single(usage["quotas"]!.AsArray())!;
        Assert.Equal((100, 604800, 3), ((int)quota["calls"]!, (int)quota["renewalPeriod"]!, (int)quota["callsInWindow"]!));
        Assert.NotNull((string?)quota["windowEnd"]);
        Assert.Equal(3, usage["history"]!["value"]!.AsArray().Sum(r => (int)r!["callCountTotal"]!));

        // A minute later the rate-limit window is empty again; the week's quota still counts the calls.
        _time.Advance(TimeSpan.FromMinutes(1));
        usage = (await _host.OkAsync(HttpMethod.Get, $"{svc}/subscriptions/alice-starter/usage"))["properties"]!;
        Assert.Equal(0, (int)usage["rateLimits"]![0]!["callsInWindow"]!);
        Assert.Equal(3, (int)usage["quotas"]![0]!["callsInWindow"]!);

        using var missing = await _host.SendAsync(HttpMethod.Get, $"{svc}/subscriptions/nobody/usage");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task UnlimitedProduct_HasNoPolicy()
    {
        var svc = TollgateHost.ServicePath(Service);
        await _host.PutAsync($"{svc}/products/unlimited/apis/azureml-demo", new { });
        var key = await _host.CreateSubscriptionAsync(Service, "alice-unlimited", "/products/unlimited", "/users/alice");
        for (var i = 0; i < 8; i++)
        {
            using var response = await CallAsync(key);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private async Task<HttpResponseMessage> CallAsync(string? key = null)
    {
        using var request = TollgateHost.GatewayRequest(HttpMethod.Post, Execute, key ?? _key, """{"Inputs":{}}""");
        return await _host.Gateway.SendAsync(request);
    }
}
