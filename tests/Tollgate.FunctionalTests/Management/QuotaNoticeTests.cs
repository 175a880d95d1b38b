using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Management.Mail;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// APIM's "quota limit approaching" notification, from calls through the real gateway to mails at a real SMTP server
/// (smtp4dev): sent once when a subscription has used 80% of its quota's calls, to the developer and the
/// notification's recipients, and not again in the same quota window.
/// </summary>
public sealed class QuotaNoticeTests
{
    private const string Service = "quotanotice";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    [Fact]
    public async Task AtEightyPercentOfAQuota_TheDeveloperAndTheRecipientsAreMailedOnce()
    {
        await using var smtp = await Smtp4devServer.StartAsync();
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "gateway,management",
            ["Tollgate:Mail:Smtp:Host"] = "127.0.0.1",
            ["Tollgate:Mail:Smtp:Port"] = smtp.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tollgate:Mail:Smtp:Security"] = "none",
            // The periodic pass stays out of the way: the test runs the passes itself.
            ["Tollgate:Mail:QuotaCheckInterval"] = "01:00:00",
        });
        await host.CreateServiceAsync(Service);
        await host.PutAsync(Svc, new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } });
        await host.PutAsync($"{Svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
        await host.PutAsync($"{Svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/" } });
        await host.PutAsync($"{Svc}/products/gold", new { properties = new { displayName = "Gold", state = "published", subscriptionRequired = true, approvalRequired = false } });
        await host.PutAsync($"{Svc}/products/gold/apis/echo", new { });
        await host.PutAsync($"{Svc}/products/gold/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><quota calls=\"5\" renewal-period=\"3600\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });
        await host.PutAsync($"{Svc}/users/quinn", new { properties = new { email = "quinn@contoso.example", firstName = "Quinn", lastName = "Hughes", password = "a long enough password" } });
        var key = await host.CreateSubscriptionAsync(Service, "quinn-gold", "/products/gold", "/users/quinn");
        using (var added = await host.SendAsync(HttpMethod.Put, $"{Svc}/notifications/QuotaLimitApproachingPublisherNotificationMessage/recipientEmails/ops@contoso.example"))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        var watch = host.Server.Services!.GetRequiredService<QuotaWatch>();
        var usage = host.Server.Services!.GetRequiredService<ICurrentUsageSource>();
        async Task CallAsync(int times)
        {
            for (var i = 0; i < times; i++)
            {
                using var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/", key));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        // 3 of 5 calls (60%): nothing yet.
        await CallAsync(3);
        Assert.Equal(0, await watch.CheckAsync(usage, CancellationToken.None));

        // 4 of 5 (80%): the developer and the recipients are told, once.
        await CallAsync(1);
        Assert.Equal(1, await watch.CheckAsync(usage, CancellationToken.None));
        var developerMail = await smtp.WaitForAsync("quinn@contoso.example", m => m.Subject == "You are approaching an API quota limit");
        var html = await smtp.HtmlAsync(developerMail);
        Assert.Contains("Dear Quinn Hughes", html, StringComparison.Ordinal);
        Assert.Contains("Your subscription quinn-gold to the Gold product is close to its quota: 5 calls, 4 used so far.", html, StringComparison.Ordinal);
        var publisherMail = await smtp.WaitForAsync("ops@contoso.example", m => m.Subject == "Quota limit approaching: quinn-gold");
        Assert.Contains("has used 4 of its quota of 5", await smtp.HtmlAsync(publisherMail), StringComparison.Ordinal);

        await CallAsync(1);
        Assert.Equal(0, await watch.CheckAsync(usage, CancellationToken.None));
        Assert.Single(await smtp.MessagesAsync(), m => m.Subject == "You are approaching an API quota limit");
    }
}
