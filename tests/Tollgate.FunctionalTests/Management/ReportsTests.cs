using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// A scripted mix of calls through the gateway gives reports whose counts match it exactly; filters, CSV and
/// retention. Run on SQLite and on a real PostgreSQL.
/// </summary>
public abstract class ReportsTests
{
    private const string Service = "rep";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    /// <summary>Store settings for the host (empty: SQLite in the host's data directory).</summary>
    protected abstract Task<Dictionary<string, string?>> StoreSettingsAsync();

    private async Task<TollgateHost> StartHostAsync() => await TollgateHost.StartAsync(await StoreSettingsAsync());

    [Fact]
    public async Task ScriptedMix_ReportsMatchExactly()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await StartHostAsync();
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

        // The Starter product's rate limit (5 calls in 60 s) refuses s1's sixth call.
        await CallAsync("/alpha/a", k1, (HttpStatusCode)429);
        await CallAsync("/alpha/a", null, HttpStatusCode.Unauthorized);
        await CallAsync("/alpha/a", null, HttpStatusCode.Unauthorized);
        await CallAsync("/alpha/a", "not-a-key", HttpStatusCode.Unauthorized);
        await CallAsync("/alpha/nothing", k1, HttpStatusCode.NotFound);
        await CallAsync("/nowhere", k1, HttpStatusCode.NotFound);
        backend.StatusCode = 500;
        await CallAsync("/beta/b", k2, HttpStatusCode.InternalServerError);
        await CallAsync("/beta/b", k2, HttpStatusCode.InternalServerError);
        const int Total = 16;

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
        Counts(byApi["alpha"], 5, 4, 0, 9);
        Counts(byApi["beta"], 3, 0, 2, 5);
        Assert.Equal("/apis/alpha", (string?)byApi["alpha"]["apiId"]);

        var byOperation = await ReportAsync("byOperation");
        Counts(byOperation["get-a"], 5, 4, 0, 9);
        Counts(byOperation["get-b"], 3, 0, 2, 5);

        var byProduct = await ReportAsync("byProduct");
        Assert.Equal(["starter"], byProduct.Keys);
        Counts(byProduct["starter"], 5, 1, 0, 6);

        // The two 404s match no operation, so no key is checked: they count only in byTime and byRequest.
        var bySubscription = await ReportAsync("bySubscription");
        Counts(bySubscription["s1"], 5, 1, 0, 6);
        Counts(bySubscription["s2"], 3, 0, 2, 5);
        Assert.Equal("/users/u2", (string?)bySubscription["s2"]["userId"]);

        var byUser = await ReportAsync("byUser");
        Counts(byUser["u1"], 5, 1, 0, 6);
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

    [Fact]
    public async Task Filters_Csv_AndRetention()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await StartHostAsync();
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{Svc}/apis/gamma", new { properties = new { displayName = "Gamma, \"the third\"", path = "gamma", serviceUrl = backend.Url, protocols = new[] { "http" } } });
        await host.PutAsync($"{Svc}/apis/gamma/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/g" } });
        var k1 = await host.CreateSubscriptionAsync(Service, "f1", "/apis/gamma");
        var k2 = await host.CreateSubscriptionAsync(Service, "f2", "/apis/gamma");
        for (var i = 0; i < 3; i++)
        {
            (await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/gamma/g", k1))).Dispose();
        }

        (await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/gamma/g", k2))).Dispose();
        var writer = (AnalyticsWriter)host.Server.Services!.GetService(typeof(AnalyticsWriter))!;
        await writer.WaitForWrittenAsync(4, TimeSpan.FromSeconds(30));
        var range = $"timestamp ge datetime'{DateTimeOffset.UtcNow.AddHours(-1):yyyy-MM-ddTHH:mm:ss}' and timestamp le datetime'{DateTimeOffset.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm:ss}'";

        // Usage history of one subscription: byTime filtered to it; prefixed and bare ids are the same filter.
        var usage = await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byTime?$filter={range} and subscriptionId eq '/subscriptions/f1'&interval=PT1H");
        Assert.Equal(3, usage["value"]!.AsArray().Sum(r => (int)r!["callCountTotal"]!));
        var byRequest = await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byRequest?$filter={range} and subscriptionId eq 'f2'");
        Assert.Equal("/subscriptions/f2", (string?)Assert.Single(byRequest["value"]!.AsArray())!["subscriptionId"]);
        var none = await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byApi?$filter={range} and userId eq 'nobody'");
        Assert.Empty(none["value"]!.AsArray());

        // CSV: by query parameter or Accept header; a header row and one row per report row.
        using var csvResponse = await host.SendAsync(HttpMethod.Get, $"{Svc}/reports/bySubscription?$filter={range}&format=csv");
        Assert.Equal(HttpStatusCode.OK, csvResponse.StatusCode);
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", csvResponse.Content.Headers.ContentDisposition?.ToString() ?? csvResponse.Headers.ToString(), StringComparison.Ordinal);
        var lines = (await csvResponse.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        var header = lines[0].Split(',');
        Assert.Contains("callCountTotal", header);
        Assert.Equal(3, lines.Count);
        var total = Array.IndexOf(header, "callCountTotal");
        var name = Array.IndexOf(header, "name");
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[name], f => int.Parse(f[total], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, rows["f1"]);
        Assert.Equal(1, rows["f2"]);
        var request = new HttpRequestMessage(HttpMethod.Get, $"{Svc}/reports/byRequest?api-version=2022-08-01&$filter={range}");
        request.Headers.Accept.ParseAdd("text/csv");
        using var acceptCsv = await host.Management.SendAsync(request);
        Assert.Equal("text/csv", acceptCsv.Content.Headers.ContentType?.MediaType);
        Assert.Equal(5, (await acceptCsv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // Retention: raw records older than their age go, aggregates stay until theirs; calls keep working meanwhile.
        var store = (IAnalyticsStore)host.Server.Store!;
        var old = DateTimeOffset.UtcNow.AddDays(-30);
        await store.InsertRequestRecordsAsync([new Core.Analytics.RequestRecord
        {
            Timestamp = old, RequestId = "old-1", ServiceName = Service, ApiId = "gamma", OperationId = "get", Method = "GET", Url = "/gamma/g", ResponseCode = 200,
        }]);
        var oldRange = $"timestamp ge datetime'{old.AddHours(-1):yyyy-MM-ddTHH:mm:ss}' and timestamp le datetime'{old.AddHours(1):yyyy-MM-ddTHH:mm:ss}'";
        Assert.Single((await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byRequest?$filter={oldRange}"))["value"]!.AsArray());

        var retention = new AnalyticsRetention(store, new AnalyticsOptions { RawRetention = TimeSpan.FromDays(7), AggregateRetention = TimeSpan.FromDays(60) },
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<AnalyticsRetention>.Instance);
        var calls = Enumerable.Range(0, 20).Select(async _ =>
        {
            using var r = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/gamma/g", k1));
            return r.StatusCode;
        }).ToList();
        var result = await retention.RunOnceAsync();
        Assert.All(await Task.WhenAll(calls), status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(1, result.RawBlocks);
        Assert.Empty((await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byRequest?$filter={oldRange}"))["value"]!.AsArray());
        var kept = await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byApi?$filter={oldRange}");
        Assert.Equal(1, (int)Assert.Single(kept["value"]!.AsArray())!["callCountTotal"]!);
        Assert.Single((await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byRequest?$filter={range} and subscriptionId eq 'f2'"))["value"]!.AsArray());

        var shorter = new AnalyticsRetention(store, new AnalyticsOptions { RawRetention = TimeSpan.FromDays(7), AggregateRetention = TimeSpan.FromDays(20) },
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<AnalyticsRetention>.Instance);
        Assert.Equal(1, (await shorter.RunOnceAsync()).AggregateRows);
        Assert.Empty((await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byApi?$filter={oldRange}"))["value"]!.AsArray());

        // The 20 calls made while retention ran were all recorded.
        await writer.WaitForWrittenAsync(24, TimeSpan.FromSeconds(30));
        var f1Total = (await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/bySubscription?$filter={range}"))["value"]!.AsArray()
            .Single(r => (string?)r!["name"] == "f1")!["callCountTotal"];
        Assert.Equal(23, (int)f1Total!);
    }
}

public sealed class SqliteReportsTests : ReportsTests
{
    protected override Task<Dictionary<string, string?>> StoreSettingsAsync() => Task.FromResult(new Dictionary<string, string?>());
}

public sealed class PostgresReportsTests(Store.PostgresFixture postgres) : ReportsTests, IClassFixture<Store.PostgresFixture>
{
    protected override async Task<Dictionary<string, string?>> StoreSettingsAsync() => new()
    {
        ["Tollgate:Store:Provider"] = "postgres",
        ["Tollgate:Store:ConnectionString"] = await postgres.CreateDatabaseAsync(),
    };
}
