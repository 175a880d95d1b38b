using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Tollgate.BrowserTests.Infrastructure;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Tests.Common;

namespace Tollgate.BrowserTests;

/// <summary>
/// The dashboard and the analytics pages count the calls that were made: calls through the gateway (successful and
/// blocked), then the totals, the top lists, a report with a filter and its CSV download in the browser.
/// </summary>
public sealed class AnalyticsPagesTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task DashboardAndReports_CountTheCallsMade_AndTheReportDownloadsAsCsv()
    {
        var host = portal.Host;
        var options = host.Server.Settings.Portal;
        const string Instance = "analytics";
        var svc = $"/subscriptions/{options.SubscriptionId}/resourceGroups/{options.ResourceGroup}/providers/Microsoft.ApiManagement/service/{Instance}";
        await using var backend = await RecordingBackend.StartAsync();
        await host.PutAsync(svc, new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } });
        await host.PutAsync($"{svc}/apis/scoring", new { properties = new { displayName = "Scoring", path = "scoring", serviceUrl = backend.Url, protocols = new[] { "http" } } });
        await host.PutAsync($"{svc}/apis/scoring/operations/score", new { properties = new { displayName = "Score", method = "GET", urlTemplate = "/score" } });
        await host.PutAsync($"{svc}/subscriptions/reader", new { properties = new { scope = "/apis/scoring", displayName = "Reader", state = "active" } });
        var key = (string)(await host.OkAsync(HttpMethod.Post, $"{svc}/subscriptions/reader/listSecrets"))["primaryKey"]!;

        // Seven calls with the key (successful) and two without (blocked: 401).
        var before = ((AnalyticsWriter)host.Server.Services!.GetService(typeof(AnalyticsWriter))!).Written;
        for (var i = 0; i < 7; i++)
        {
            using var ok = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/scoring/score", key));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        for (var i = 0; i < 2; i++)
        {
            using var blocked = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/scoring/score"));
            Assert.Equal(HttpStatusCode.Unauthorized, blocked.StatusCode);
        }

        var writer = (AnalyticsWriter)host.Server.Services!.GetService(typeof(AnalyticsWriter))!;
        await writer.WaitForWrittenAsync(before + 9, TimeSpan.FromSeconds(30));

        await using var p = await portal.NewPageAsync(nameof(DashboardAndReports_CountTheCallsMade_AndTheReportDownloadsAsCsv));
        var page = p.Page;
        await page.GotoAsync($"/admin/{Instance}/dashboard?range=hour");
        await p.SignInAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("calls")).ToHaveTextAsync("9");
        await Assertions.Expect(page.GetByTestId("success")).ToHaveTextAsync("7");
        await Assertions.Expect(page.GetByTestId("blocked")).ToHaveTextAsync("2");
        await Assertions.Expect(page.GetByTestId("failed")).ToHaveTextAsync("0");
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Top APIs" }).GetByRole(AriaRole.Row).Filter(new() { HasText = "scoring" }))
            .ToContainTextAsync("9");
        await Assertions.Expect(page.GetByRole(AriaRole.Img).First).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("Calls, last hour: .* bars, highest 9"));
        await p.CheckAsync("dashboard");

        // The reports: by API over the range, then over time, then by request filtered to the subscription.
        await page.GetByRole(AriaRole.Link, new() { Name = "Open the reports for this range" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Analytics" })).ToBeVisibleAsync();
        var scoring = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "scoring" });
        await Assertions.Expect(scoring).ToContainTextAsync("9");
        await p.CheckAsync("by-api");

        await page.GetByRole(AriaRole.Link, new() { Name = "Over time" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Interval")).ToBeVisibleAsync();
        await p.CheckAsync("by-time");

        await page.GetByRole(AriaRole.Link, new() { Name = "Requests" }).ClickAsync();
        // Links are followed by Blazor's enhanced navigation (fetch, then the page is patched): wait for the new
        // page's own content before typing, or the patch resets the field.
        await Assertions.Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "Method" })).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.GetByLabel("Subscription").FillAsync("reader");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.Contains("subscriptionId=reader", page.Url);
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "/scoring/score" })).ToHaveCountAsync(7);
        await p.CheckAsync("by-request-filtered");

        // The CSV download, through the portal with the browser's session.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).ClickAsync());
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length); // the header and the seven calls of the subscription
        Assert.Contains("/scoring/score", lines[1]);

        // Bad input is shown next to its field.
        await page.GotoAsync($"/admin/{Instance}/analytics?report=byApi&from=2026-12-02T10:00&to=2026-12-01T10:00");
        await Assertions.Expect(page.Locator("#from-error")).ToContainTextAsync("'From' must be before 'To'.");
        await p.CheckAsync("bad-range");
    }
}
