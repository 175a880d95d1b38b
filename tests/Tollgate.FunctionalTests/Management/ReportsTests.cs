using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>A scripted mix of calls through the gateway gives reports whose counts match it exactly.</summary>
public sealed class ReportsTests
{
    private const string Service = "rep";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    [Fact]
    public async Task ScriptedMix_ReportsMatchExactly()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        await host.CreateServiceAsync(Service);
        foreach (var (api, op, template) in new[] { ("alpha", "get-a", "/a"), ("beta", "get-b", "/b") })
        {
            await host.PutAsync($"{Svc}/apis/{api}", new { properties = new { displayName = api, path = api, serviceUrl = backend.Url, protocols = new[] { "http" } } });
            await host.PutAsync($"{Svc}/apis/{api}/operations/{op}", new { properties = new { displayName = op, method = "GET", urlTemplate = template } });
        }

        await host.PutAsync($"{Svc}/products/starter/apis/alpha", new { });
        foreach (var user in new[] { "u1", "u2" })
        {
            await host.PutAsync($"{Svc}/users/{user}", new { properties = new { email = $"{user}@example.com", firstName = user, lastName = "T" } });
        }

        var k1 = await host.CreateSubscriptionAsync(Service, "s1", "/products/starter", "/users/u1");
        var k2 = await host.CreateSubscriptionAsync(Service, "s2", "/apis/beta", "/users/u2");
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);

        async Task CallAsync(string path, string? key, HttpStatusCode expected)
        {
            using var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, path, key));
            Assert.Equal(expected, response.StatusCode);
        }

        for (var i = 0; i < 4; i++)
        {
            await CallAsync("/alpha/a", k1, HttpStatusCode.OK);
        }

        await CallAsync($"/alpha/a?subscription-key={k1}&x=1", null, HttpStatusCode.OK);
        for (var i = 0; i < 3; i++)
        {
            await CallAsync("/beta/b", k2, HttpStatusCode.OK);
        }

        await CallAsync("/alpha/a", null, HttpStatusCode.Unauthorized);
        await CallAsync("/alpha/a", null, HttpStatusCode.Unauthorized);
        await CallAsync("/alpha/a", "not-a-key", HttpStatusCode.Unauthorized);
        await CallAsync("/alpha/nothing", k1, HttpStatusCode.NotFound);
        await CallAsync("/nowhere", k1, HttpStatusCode.NotFound);
        backend.StatusCode = 500;
        await CallAsync("/beta/b", k2, HttpStatusCode.InternalServerError);
        await CallAsync("/beta/b", k2, HttpStatusCode.InternalServerError);
        const int Total = 15;

        var writer = (AnalyticsWriter)host.Server.Services!.GetService(typeof(AnalyticsWriter))!;
        await writer.WaitForWrittenAsync(Total, TimeSpan.FromSeconds(30));
        var filter = $"$filter=timestamp ge datetime'{from:yyyy-MM-ddTHH:mm:ss}' and timestamp le datetime'{DateTimeOffset.UtcNow.AddMinutes(1):yyyy-MM-ddTHH:mm:ss}'";

        async Task<Dictionary<string, JsonObject>> ReportAsync(string report, string extra = "")
        {
            var json = await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/{report}?{filter}{extra}");
            return json["value"]!.AsArray().Select(v => v!.AsObject()).ToDictionary(v => (string?)v["name"] ?? (string)v["timestamp"]!);
        }

        static void Counts(JsonObject row, int success, int blocked, int failed, int total)
        {
            Assert.Equal(success, (int)row["callCountSuccess"]!);
            Assert.Equal(blocked, (int)row["callCountBlocked"]!);
            Assert.Equal(failed, (int)row["callCountFailed"]!);
            Assert.Equal(total, (int)row["callCountTotal"]!);
        }

        var byApi = await ReportAsync("byApi");
        Counts(byApi["alpha"], 5, 3, 0, 8);
        Counts(byApi["beta"], 3, 0, 2, 5);
        Assert.Equal("/apis/alpha", (string?)byApi["alpha"]["apiId"]);

        var byOperation = await ReportAsync("byOperation");
        Counts(byOperation["get-a"], 5, 3, 0, 8);
        Counts(byOperation["get-b"], 3, 0, 2, 5);

        var byProduct = await ReportAsync("byProduct");
        Assert.Equal(["starter"], byProduct.Keys);
        Counts(byProduct["starter"], 5, 0, 0, 5);

        // The two 404s match no operation, so no key is checked: they count only in byTime and byRequest.
        var bySubscription = await ReportAsync("bySubscription");
        Counts(bySubscription["s1"], 5, 0, 0, 5);
        Counts(bySubscription["s2"], 3, 0, 2, 5);
        Assert.Equal("/users/u2", (string?)bySubscription["s2"]["userId"]);

        var byUser = await ReportAsync("byUser");
        Counts(byUser["u1"], 5, 0, 0, 5);
        Counts(byUser["u2"], 3, 0, 2, 5);

        var byTime = await ReportAsync("byTime", "&interval=PT15M");
        Assert.Equal(Total, byTime.Values.Sum(r => (int)r["callCountTotal"]!));
        Assert.Equal(8, byTime.Values.Sum(r => (int)r["callCountSuccess"]!));
        Assert.All(byTime.Values, r => Assert.Equal("PT15M", (string?)r["interval"]));

        var byRequest = await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byRequest?{filter}");
        var requests = byRequest["value"]!.AsArray();
        Assert.Equal(Total, requests.Count);
        Assert.DoesNotContain(requests, r => ((string)r!["url"]!).Contains(k1, StringComparison.Ordinal));
        Assert.Contains(requests, r => (string?)r!["url"] == "/alpha/a?x=1");
        Assert.Equal(2, requests.Count(r => (string?)r!["backendResponseCode"] == "500"));
        Assert.Equal(0, host.Server.RequestRecords!.Dropped);

        using var badInterval = await host.SendAsync(HttpMethod.Get, $"{Svc}/reports/byTime?{filter}&interval=PT7M");
        Assert.Equal(HttpStatusCode.BadRequest, badInterval.StatusCode);
        using var badFilter = await host.SendAsync(HttpMethod.Get, $"{Svc}/reports/byApi?$filter=colour eq 'red'");
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.StatusCode);
    }
}
