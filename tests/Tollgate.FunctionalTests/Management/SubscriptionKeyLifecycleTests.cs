using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Management.Services;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// Keys that rotate (Tollgate extensions of the subscription): a key's expiry refused at the gateway with APIM's 401,
/// a scheduled rotation whose old keys work on through the overlap and not after, the keys' last use on the
/// subscription, and the expiry notice mailed once to a real SMTP server. A fake clock drives the time; the test
/// runs the key passes itself (the periodic pass is set out of the way).
/// </summary>
public sealed class SubscriptionKeyLifecycleTests
{
    private const string Service = "keys";
    private const string InvalidKey = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    private static async Task<(TollgateHost Host, RecordingBackend Backend)> StartAsync(TimeProvider? time, Dictionary<string, string?>? extra = null)
    {
        var backend = await RecordingBackend.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "gateway,management",
            // Longer than any test moves the clock: the periodic pass never runs beside the test's own.
            ["Tollgate:Management:KeyCheckInterval"] = "40.00:00:00",
        };
        foreach (var (k, v) in extra ?? [])
        {
            settings[k] = v;
        }

        var host = await TollgateHost.StartAsync(settings, time: time);
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{Svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
        await host.PutAsync($"{Svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/" } });
        await host.PutAsync($"{Svc}/products/gold", new { properties = new { displayName = "Gold", state = "published", subscriptionRequired = true, approvalRequired = false } });
        await host.PutAsync($"{Svc}/products/gold/apis/echo", new { });
        await host.PutAsync($"{Svc}/users/kim", new { properties = new { email = "kim@contoso.example", firstName = "Kim", lastName = "Lee", password = "a long enough password" } });
        return (host, backend);
    }

    /// <summary>A fresh administrator token: the one made at start expires when the clock moves on by days.</summary>
    private static async Task RenewTokenAsync(TollgateHost host)
    {
        host.Management.DefaultRequestHeaders.Remove("Authorization");
        host.Management.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", await host.Server.TenantAccess!.CreateTokenAsync(TimeSpan.FromHours(2)));
    }

    private static async Task<HttpStatusCode> CallAsync(TollgateHost host, string key, bool expectInvalidBody = false)
    {
        using var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/", key));
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(401, (int)body["statusCode"]!);
            Assert.Equal(InvalidKey, (string?)body["message"]);
        }

        return response.StatusCode;
    }

    private static async Task<(string Primary, string Secondary)> KeysAsync(TollgateHost host, string sid)
    {
        var secrets = await host.OkAsync(HttpMethod.Post, $"{Svc}/subscriptions/{sid}/listSecrets");
        return ((string)secrets["primaryKey"]!, (string)secrets["secondaryKey"]!);
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task AnExpiredKey_IsRefusedWithApimsInvalidKey401_AndTheOtherKeyStillWorks()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        var (host, backend) = await StartAsync(time);
        await using var _ = host;
        await using var __ = backend;
        var expiry = time.GetUtcNow().AddDays(1);
        var created = await host.PutAsync($"{Svc}/subscriptions/kim-gold", new { properties = new { scope = "/products/gold", ownerId = "/users/kim", displayName = "Kim's gold", state = "active", primaryKeyExpiresAt = Iso(expiry) } });
        Assert.Equal(Iso(expiry), (string?)created["properties"]!["primaryKeyExpiresAt"]);
        Assert.Null(created["properties"]!["secondaryKeyExpiresAt"]);
        var (primary, secondary) = await KeysAsync(host, "kim-gold");

        Assert.Equal(HttpStatusCode.OK, await CallAsync(host, primary));
        time.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(host, primary));

        // From the expiry on, the gateway refuses the key by itself (no pass, no write needed).
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(host, primary));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(host, secondary));

        // A new primary key starts without the old one's expiry, and works.
        await RenewTokenAsync(host);
        using (var regenerated = await host.SendAsync(HttpMethod.Post, $"{Svc}/subscriptions/kim-gold/regeneratePrimaryKey"))
        {
            Assert.Equal(HttpStatusCode.NoContent, regenerated.StatusCode);
        }

        var after = await host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/kim-gold");
        Assert.Null(after["properties"]!["primaryKeyExpiresAt"]);
        Assert.Equal(HttpStatusCode.OK, await CallAsync(host, (await KeysAsync(host, "kim-gold")).Primary));
    }

    [Fact]
    public async Task BadExpiryOrRotation_Is400_NamingTheField()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        var (host, backend) = await StartAsync(time);
        await using var _ = host;
        await using var __ = backend;
        await host.PutAsync($"{Svc}/subscriptions/kim-gold", new { properties = new { scope = "/products/gold", ownerId = "/users/kim", displayName = "Kim's gold", state = "active" } });

        async Task<IEnumerable<string>> RefusedAsync(object properties)
        {
            using var response = await host.SendAsync(HttpMethod.Patch, $"{Svc}/subscriptions/kim-gold", new { properties });
            return ArmAssert.Targets(await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest));
        }

        Assert.Equal(["primaryKeyExpiresAt"], await RefusedAsync(new { primaryKeyExpiresAt = "2026-11-30T09:00:00Z" }));
        Assert.Equal(["secondaryKeyExpiresAt"], await RefusedAsync(new { secondaryKeyExpiresAt = "next tuesday" }));
        Assert.Equal(["secondaryKeyExpiresAt"], await RefusedAsync(new { secondaryKeyExpiresAt = "2027-01-01T00:00:00" }));
        Assert.Equal(["keyRotation.interval"], await RefusedAsync(new { keyRotation = new { interval = "P1M" } }));
        Assert.Equal(["keyRotation.interval"], await RefusedAsync(new { keyRotation = new { interval = "PT10M" } }));
        Assert.Equal(["keyRotation.interval"], await RefusedAsync(new { keyRotation = new { overlap = "P1D" } }));
        Assert.Equal(["keyRotation.overlap"], await RefusedAsync(new { keyRotation = new { interval = "P7D", overlap = "P7D" } }));

        // Nothing was stored; a good value is.
        var ok = await host.OkAsync(HttpMethod.Patch, $"{Svc}/subscriptions/kim-gold", new { properties = new { secondaryKeyExpiresAt = "2027-01-01T10:00:00+01:00" } });
        Assert.Equal("2027-01-01T09:00:00Z", (string?)ok["properties"]!["secondaryKeyExpiresAt"]);
        Assert.Null(ok["properties"]!["keyRotation"]);
    }

    [Fact]
    public async Task ScheduledRotation_BothKeysWorkThroughTheOverlap_ThenOnlyTheNewOnes()
    {
        var start = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        var (host, backend) = await StartAsync(time);
        await using var _ = host;
        await using var __ = backend;
        var created = await host.PutAsync($"{Svc}/subscriptions/kim-gold", new
        {
            properties = new { scope = "/products/gold", ownerId = "/users/kim", displayName = "Kim's gold", state = "active", keyRotation = new { interval = "P30D", overlap = "P2D" } },
        });
        var rotation = created["properties"]!["keyRotation"]!;
        Assert.Equal("P30D", (string?)rotation["interval"]);
        Assert.Equal("P2D", (string?)rotation["overlap"]);
        Assert.Equal(Iso(start.AddDays(30)), (string?)rotation["nextRotationAt"]);
        var (oldPrimary, oldSecondary) = await KeysAsync(host, "kim-gold");
        var lifecycle = host.Server.Services!.GetRequiredService<KeyLifecycle>();

        // Not due yet: nothing happens.
        time.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, (await lifecycle.RunAsync(CancellationToken.None)).Rotated);

        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, (await lifecycle.RunAsync(CancellationToken.None)).Rotated);
        await RenewTokenAsync(host);
        var (newPrimary, newSecondary) = await KeysAsync(host, "kim-gold");
        Assert.NotEqual(oldPrimary, newPrimary);
        Assert.NotEqual(oldSecondary, newSecondary);
        Assert.Matches("^[0-9a-f]{32}$", newPrimary);
        var rotated = (await host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/kim-gold"))["properties"]!;
        Assert.Equal(Iso(start.AddDays(60)), (string?)rotated["keyRotation"]!["nextRotationAt"]);
        Assert.Equal(start.AddDays(30), DateTimeOffset.Parse((string)rotated["keyRotation"]!["lastRotatedAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Iso(start.AddDays(32)), (string?)rotated["keyRotation"]!["previousKeysValidUntil"]);
        Assert.Equal(start.AddDays(30), DateTimeOffset.Parse((string)rotated["primaryKeyCreatedAt"]!, System.Globalization.CultureInfo.InvariantCulture));

        // The overlap: old and new keys all work.
        foreach (var key in new[] { oldPrimary, oldSecondary, newPrimary, newSecondary })
        {
            Assert.Equal(HttpStatusCode.OK, await CallAsync(host, key));
        }

        // After it, the old keys are refused (by the gateway's clock), the new ones work.
        time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(host, oldPrimary));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(host, oldSecondary));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(host, newPrimary));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(host, newSecondary));

        // The next pass forgets the old keys.
        Assert.Equal(0, (await lifecycle.RunAsync(CancellationToken.None)).Rotated);
        await RenewTokenAsync(host);
        Assert.Null((await host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/kim-gold"))["properties"]!["keyRotation"]!["previousKeysValidUntil"]);
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(host, oldPrimary));
    }

    [Fact]
    public async Task LastUse_OfEachKey_IsShownOnTheSubscription_FromTheRequestLog()
    {
        // The real clock: the request log's writer gathers records on it.
        var (host, backend) = await StartAsync(null);
        await using var _ = host;
        await using var __ = backend;
        await host.PutAsync($"{Svc}/subscriptions/kim-gold", new { properties = new { scope = "/products/gold", ownerId = "/users/kim", displayName = "Kim's gold", state = "active" } });
        var unused = (await host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/kim-gold"))["properties"]!;
        Assert.Null(unused["primaryKeyLastUsedAt"]);
        Assert.Null(unused["secondaryKeyLastUsedAt"]);

        var (primary, _) = await KeysAsync(host, "kim-gold");
        var before = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, await CallAsync(host, primary));
        var after = DateTimeOffset.UtcNow;
        var writer = host.Server.Services!.GetRequiredService<AnalyticsWriter>();
        await writer.WaitForWrittenAsync(1, TimeSpan.FromSeconds(30));

        void AssertUsed(JsonNode properties)
        {
            var used = DateTimeOffset.Parse((string)properties["primaryKeyLastUsedAt"]!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(used, before.AddMilliseconds(-1), after);
            Assert.Null(properties["secondaryKeyLastUsedAt"]);
        }

        AssertUsed((await host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/kim-gold"))["properties"]!);

        // Written to the store once per pass, not per call; the user's list of subscriptions shows it too.
        var lifecycle = host.Server.Services!.GetRequiredService<KeyLifecycle>();
        Assert.Equal(1, (await lifecycle.RunAsync(CancellationToken.None)).LastUseWritten);
        Assert.Equal(0, (await lifecycle.RunAsync(CancellationToken.None)).LastUseWritten);
        var listed = await host.OkAsync(HttpMethod.Get, $"{Svc}/users/kim/subscriptions");
        AssertUsed(listed["value"]!.AsArray().Single()!["properties"]!);

        // A regenerated primary key has not been used: the old key's use is not shown for it.
        await host.OkAsync(HttpMethod.Post, $"{Svc}/subscriptions/kim-gold/regeneratePrimaryKey");
        Assert.Null((await host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/kim-gold"))["properties"]!["primaryKeyLastUsedAt"]);
    }

    [Fact]
    public async Task SevenDaysBeforeAKeyExpires_ItsOwnerIsMailedOnce()
    {
        await using var smtp = await Smtp4devServer.StartAsync();
        var start = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        var (host, backend) = await StartAsync(time, new Dictionary<string, string?>
        {
            ["Tollgate:Mail:Smtp:Host"] = "127.0.0.1",
            ["Tollgate:Mail:Smtp:Port"] = smtp.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tollgate:Mail:Smtp:Security"] = "none",
        });
        await using var _ = host;
        await using var __ = backend;
        var expiry = start.AddDays(10);
        await host.PutAsync($"{Svc}/subscriptions/kim-gold", new
        {
            properties = new { scope = "/products/gold", ownerId = "/users/kim", displayName = "Gold for Kim", state = "active", secondaryKeyExpiresAt = Iso(expiry) },
        });
        var lifecycle = host.Server.Services!.GetRequiredService<KeyLifecycle>();

        // Ten days before: nothing. Seven days before: one mail, and only one.
        Assert.Equal(0, (await lifecycle.RunAsync(CancellationToken.None)).NoticesSent);
        time.Advance(TimeSpan.FromDays(3));
        Assert.Equal(1, (await lifecycle.RunAsync(CancellationToken.None)).NoticesSent);
        Assert.Equal(0, (await lifecycle.RunAsync(CancellationToken.None)).NoticesSent);
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, (await lifecycle.RunAsync(CancellationToken.None)).NoticesSent);

        const string Subject = "Your secondary key of Gold for Kim expires on 2026-12-11 09:00 UTC";
        var mail = await smtp.WaitForAsync("kim@contoso.example", m => m.Subject == Subject);
        var html = await smtp.HtmlAsync(mail);
        Assert.Contains("Dear Kim Lee", html, StringComparison.Ordinal);
        Assert.Contains("The secondary key of your subscription Gold for Kim to the Gold product expires on 2026-12-11 09:00 UTC.", html, StringComparison.Ordinal);
        Assert.Contains("/subscriptions", html, StringComparison.Ordinal);
        Assert.Single(await smtp.MessagesAsync(), m => m.Subject == Subject);
    }
}
