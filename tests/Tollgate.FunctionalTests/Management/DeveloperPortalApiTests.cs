using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// What the developer portal reads and the publisher portal writes for it: a user's own subscription usage
/// (<c>…/users/{uid}/subscriptions/{sid}/usage</c>, another user's subscription is not found) and the branding
/// (<c>…/portalsettings/branding</c>: validation naming the field, the logo sanitized and served so it cannot run).
/// </summary>
public sealed class DeveloperPortalApiTests
{
    private const string Service = "devapi";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    [Fact]
    public async Task UserSubscriptionUsage_CountsTheOwnersCalls_AndAnotherUsersSubscriptionIsNotFound()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{Svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
        await host.PutAsync($"{Svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/" } });
        await host.PutAsync($"{Svc}/products/starter/apis/echo", new { });
        foreach (var user in new[] { "u1", "u2" })
        {
            await host.PutAsync($"{Svc}/users/{user}", new { properties = new { email = $"{user}@example.com", firstName = user, lastName = "T" } });
        }

        var k1 = await host.CreateSubscriptionAsync(Service, "s1", "/products/starter", "/users/u1");
        var k2 = await host.CreateSubscriptionAsync(Service, "s2", "/products/starter", "/users/u2");
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        foreach (var (key, calls) in new[] { (k1, 3), (k2, 2) })
        {
            for (var i = 0; i < calls; i++)
            {
                using var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/", key));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        var writer = (AnalyticsWriter)host.Server.Services!.GetService(typeof(AnalyticsWriter))!;
        await writer.WaitForWrittenAsync(5, TimeSpan.FromSeconds(30));

        var own = (await host.OkAsync(HttpMethod.Get, $"{Svc}/users/u1/subscriptions/s1/usage"))["properties"]!;
        Assert.Equal("/subscriptions/s1", (string?)own["subscriptionId"]);
        Assert.Equal(3, own["history"]!["value"]!.AsArray().Sum(r => (int)r!["callCountTotal"]!));
        var rate = Assert.Single(own["rateLimits"]!.AsArray())!;
        Assert.Equal((5, 3), ((int)rate["calls"]!, (int)rate["callsInWindow"]!));
        Assert.Equal(3, (int)Assert.Single(own["quotas"]!.AsArray())!["callsInWindow"]!);

        // Another user's subscription, a user that does not exist, a subscription that does not exist: all not found alike.
        foreach (var path in new[] { "users/u1/subscriptions/s2/usage", "users/u2/subscriptions/s1/usage", "users/nobody/subscriptions/s1/usage", "users/u1/subscriptions/none/usage", "users/u%2Fx/subscriptions/s1/usage" })
        {
            using var response = await host.SendAsync(HttpMethod.Get, $"{Svc}/{path}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("callCount", body, StringComparison.Ordinal);
        }

        // The reports the Usage page reads, filtered by the user: only that user's subscription and calls.
        var range = $"timestamp ge datetime'{from:yyyy-MM-ddTHH:mm:ss}' and timestamp le datetime'{DateTimeOffset.UtcNow.AddMinutes(1):yyyy-MM-ddTHH:mm:ss}'";
        var bySubscription = await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/bySubscription?$filter={Uri.EscapeDataString(range + " and userId eq 'u2'")}");
        var row = Assert.Single(bySubscription["value"]!.AsArray())!;
        Assert.Equal(("s2", 2), ((string?)row["name"], (int)row["callCountTotal"]!));
        var foreign = await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byTime?interval=PT15M&$filter={Uri.EscapeDataString(range + " and userId eq 'u2' and subscriptionId eq 's1'")}");
        Assert.Equal(0, foreign["value"]!.AsArray().Sum(r => (int)r!["callCountTotal"]!));
    }

    [Fact]
    public async Task Branding_IsValidatedFieldByField_PatchedInParts_AndTheLogoIsSanitizedAndServedInert()
    {
        await using var host = await TollgateHost.StartAsync();
        await host.CreateServiceAsync(Service);
        var branding = $"{Svc}/portalsettings/branding";

        var initial = await host.OkAsync(HttpMethod.Get, branding);
        Assert.Equal("Microsoft.ApiManagement/service/portalsettings", (string?)initial["type"]);
        Assert.Null(initial["properties"]!["primaryColor"]);
        Assert.Equal("light", (string?)initial["properties"]!["defaultTheme"]);
        Assert.Null(initial["properties"]!["logo"]);
        using (var none = await host.SendAsync(HttpMethod.Get, branding + "/logo"))
        {
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }

        // Every problem at once, each naming its field; nothing is stored.
        using (var bad = await host.SendAsync(HttpMethod.Put, branding, new
        {
            properties = new { primaryColor = "#12345g", defaultTheme = "blue", logo = new { contentType = "text/html", value = "PGh0bWw+" } },
        }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var details = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"]!["details"]!.AsArray();
            Assert.Equal(["primaryColor", "defaultTheme", "logo.contentType"], details.Select(d => (string?)d!["target"]));
        }

        using (var fake = await host.SendAsync(HttpMethod.Patch, branding, new { properties = new { logo = new { contentType = "image/png", value = Convert.ToBase64String("GIF89a"u8.ToArray()) } } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, fake.StatusCode);
            Assert.Contains("\"target\":\"logo.value\"", await fake.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Null((await host.OkAsync(HttpMethod.Get, branding))["properties"]!["primaryColor"]);

        const string Svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"80\" height=\"20\" onload=\"alert(1)\"><script>alert(2)</script><rect width=\"80\" height=\"20\" fill=\"#5c2d91\"/></svg>";
        var saved = await host.OkAsync(HttpMethod.Patch, branding, new
        {
            properties = new { primaryColor = "#5C2D91", defaultTheme = "dark", logo = new { contentType = "image/svg+xml", value = Convert.ToBase64String(Encoding.UTF8.GetBytes(Svg)) } },
        });
        Assert.Equal("#5c2d91", (string?)saved["properties"]!["primaryColor"]);
        var logo = saved["properties"]!["logo"]!;
        Assert.Equal("image/svg+xml", (string?)logo["contentType"]);

        using (var served = await host.SendAsync(HttpMethod.Get, branding + "/logo"))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal("image/svg+xml", served.Content.Headers.ContentType!.MediaType);
            Assert.Contains("sandbox", served.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            var text = await served.Content.ReadAsStringAsync();
            Assert.Contains("<rect", text, StringComparison.Ordinal);
            Assert.DoesNotContain("alert", text, StringComparison.Ordinal);
            Assert.Equal((int)logo["size"]!, Encoding.UTF8.GetByteCount(text));
        }

        // A PATCH changes what it sends and keeps the rest; logo null removes the logo.
        var themed = await host.OkAsync(HttpMethod.Patch, branding, new { properties = new { defaultTheme = "light" } });
        Assert.Equal(("#5c2d91", "light", (string?)logo["hash"]),
            ((string?)themed["properties"]!["primaryColor"], (string?)themed["properties"]!["defaultTheme"], (string?)themed["properties"]!["logo"]!["hash"]));
        var removed = await host.OkAsync(HttpMethod.Patch, branding, new JsonObject { ["properties"] = new JsonObject { ["logo"] = null } });
        Assert.Null(removed["properties"]!["logo"]);
        using (var gone = await host.SendAsync(HttpMethod.Get, branding + "/logo"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // It belongs to the instance: another instance has its own, and a deleted instance takes its branding along.
        using (var missing = await host.SendAsync(HttpMethod.Get, TollgateHost.ServicePath("nosuch") + "/portalsettings/branding"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using (var deleted = await host.SendAsync(HttpMethod.Delete, Svc))
        {
            Assert.True(deleted.IsSuccessStatusCode);
        }

        await host.CreateServiceAsync(Service);
        Assert.Null((await host.OkAsync(HttpMethod.Get, branding))["properties"]!["primaryColor"]);
    }
}
