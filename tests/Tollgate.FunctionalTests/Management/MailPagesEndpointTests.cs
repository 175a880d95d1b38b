using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Mail;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// The Tollgate extensions behind the publisher portal's e-mail pages: a template's preview and test message
/// (<c>POST …/templates/{name}/preview</c>, <c>…/sendTest</c>, delivered to a real smtp4dev) and the demo's mail
/// folder (<c>GET /tollgate/mail</c>, <c>GET /tollgate/mail/{id}</c>): ids checked, e-mails checked, the field named,
/// anonymous callers refused.
/// </summary>
public sealed class MailPagesEndpointTests
{
    private static string Svc => TollgateHost.ServicePath("mail");

    [Fact]
    public async Task SendTest_DeliversTheSavedTemplate_WithSampleValues_ToTheSmtpServer()
    {
        await using var smtp = await Smtp4devServer.StartAsync();
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "management",
            ["Tollgate:Mail:Smtp:Host"] = "127.0.0.1",
            ["Tollgate:Mail:Smtp:Port"] = smtp.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tollgate:Mail:Smtp:Security"] = "none",
            ["Tollgate:Management:PortalUrl"] = "http://{name}.portal.example:5083",
        });
        await host.CreateServiceAsync("mail");
        await host.OkAsync(HttpMethod.Patch, $"{Svc}/templates/passwordResetByAdminNotificationMessage",
            new { properties = new { subject = "Hello $DevFirstName from $OrganizationName", body = "<p>Open <a href=\"$ConfirmUrl\">$ConfirmUrl</a>, $DevFirstName $DevLastName.</p>" } });

        using (var sent = await host.SendAsync(HttpMethod.Post, $"{Svc}/templates/passwordResetByAdminNotificationMessage/sendTest", new { email = "tester@contoso.example" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
            var body = JsonNode.Parse(await sent.Content.ReadAsStringAsync())!;
            Assert.Equal("tester@contoso.example", (string?)body["email"]);
            Assert.Matches("^[0-9]{8}T[0-9]{9}-[0-9a-f]{32}$", (string?)body["id"]);
        }

        var mail = await smtp.WaitForAsync("tester@contoso.example", m => m.Subject == "Hello Ada from Contoso ML");
        var html = await smtp.HtmlAsync(mail);
        Assert.Contains("<a href=\"http://mail.portal.example:5083/reset-password?token=sample-token\">", html, StringComparison.Ordinal);
        Assert.Contains("Ada Lovelace.", html, StringComparison.Ordinal);
        Assert.Contains(await smtp.HeadersAsync(mail), h => h.Name == "X-Tollgate-Test" && h.Value == "passwordResetByAdminNotificationMessage");

        // Bad e-mails are refused naming the field; nothing is queued for them.
        foreach (var bad in new object[] { new { email = "not an e-mail" }, new { email = "" }, new { other = "x" } })
        {
            using var refused = await host.SendAsync(HttpMethod.Post, $"{Svc}/templates/passwordResetByAdminNotificationMessage/sendTest", bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("email", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        using (var unknown = await host.SendAsync(HttpMethod.Post, $"{Svc}/templates/noSuchTemplate/sendTest", new { email = "tester@contoso.example" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(host.DataDirectory, "mail"), "*.eml", SearchOption.AllDirectories), f => File.ReadAllText(f).Contains("not an e-mail", StringComparison.Ordinal));

        // With an SMTP server the mail folder is not where mail goes: it says so and lists nothing.
        var folder = await host.OkAsync(HttpMethod.Get, "/tollgate/mail");
        Assert.Equal("smtp", (string?)folder["delivery"]);
        Assert.Empty(folder["value"]!.AsArray());
    }

    [Fact]
    public async Task Preview_RendersWhatIsGiven_WithSampleValues_HtmlEncodedInTheBody_SavingNothing()
    {
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        await host.CreateServiceAsync("mail");
        var preview = await host.OkAsync(HttpMethod.Post, $"{Svc}/templates/rejectDeveloperNotificationMessage/preview",
            new { subject = "About $ProdName", body = "<p>$DevFirstName: $RejectReason $Unknown</p>" });
        Assert.Equal("About Starter", (string?)preview["subject"]);
        Assert.Equal("<p>Ada: The product is reserved for partners. $Unknown</p>", (string?)preview["body"]);
        Assert.Equal("Ada: The product is reserved for partners. $Unknown\n", (string?)preview["text"]);
        Assert.Equal("Contoso ML", (string?)preview["values"]!["OrganizationName"]);
        Assert.Equal("Ada", (string?)preview["values"]!["DevFirstName"]);

        // Without a subject or body: the template's own.
        var own = await host.OkAsync(HttpMethod.Post, $"{Svc}/templates/rejectDeveloperNotificationMessage/preview", new { });
        Assert.Equal("Your subscription request for the Starter product", (string?)own["subject"]);
        Assert.True((bool)(await host.OkAsync(HttpMethod.Get, $"{Svc}/templates/rejectDeveloperNotificationMessage"))["properties"]!["isDefault"]!);

        using var refused = await host.SendAsync(HttpMethod.Post, $"{Svc}/templates/rejectDeveloperNotificationMessage/preview", new { subject = "" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("subject", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
    }

    [Fact]
    public async Task MailFolder_ListsTheDeliveredMessagesNewestFirst_AndReadsOne_ByCheckedId_ForTheAdministratorOnly()
    {
        var now = DateTimeOffset.UtcNow;
        var time = new FakeTimeProvider(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero));
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" }, time: time);
        await host.CreateServiceAsync("mail");
        await host.PutAsync($"{Svc}/users/fay", new { properties = new { email = "fay@contoso.example", firstName = "Fay", lastName = "Wray", password = "correct horse battery", state = "pending", confirmation = "signup" } });
        time.Advance(TimeSpan.FromSeconds(2));
        await host.OkAsync(HttpMethod.Post, $"{Svc}/templates/newDeveloperNotificationMessage/sendTest", new { email = "tester@contoso.example" });
        // Delivered now (the folder transport moves the files; the background round and this one take turns).
        await host.Server.Services!.GetRequiredService<MailDelivery>().DeliverDueAsync(CancellationToken.None);

        var list = await host.OkAsync(HttpMethod.Get, "/tollgate/mail");
        Assert.Equal("folder", (string?)list["delivery"]);
        var messages = list["value"]!.AsArray().Select(m => m!.AsObject()).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Equal("tester@contoso.example", (string?)messages[0]["to"]);
        Assert.Equal("Welcome to the Contoso ML API!", (string?)messages[0]["subject"]);
        Assert.Equal(time.GetUtcNow().UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture), (string?)messages[0]["date"]);
        Assert.Contains("<fay@contoso.example>", (string?)messages[1]["to"], StringComparison.Ordinal);
        Assert.Equal("Please confirm your new Contoso ML API account", (string?)messages[1]["subject"]);

        var id = (string)messages[1]["id"]!;
        var message = await host.OkAsync(HttpMethod.Get, $"/tollgate/mail/{id}");
        Assert.Contains("/confirm?token=", (string?)message["html"], StringComparison.Ordinal);
        Assert.Contains("/confirm?token=", (string?)message["text"], StringComparison.Ordinal);
        Assert.Contains(message["headers"]!.AsArray(), h => (string?)h!["name"] == "Subject" && (string?)h["value"] == "Please confirm your new Contoso ML API account");

        // Ids are checked before they name a file: the field is named; a well-formed unknown id is a 404.
        foreach (var bad in new[] { "not-an-id", "..%2F..%2Fsecrets", "20260301T093000000-0123456789ABCDEF0123456789ABCDEF", id + ".eml" })
        {
            using var refused = await host.SendAsync(HttpMethod.Get, $"/tollgate/mail/{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("id", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        using (var missing = await host.SendAsync(HttpMethod.Get, "/tollgate/mail/20260301T093000000-0123456789abcdef0123456789abcdef"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        // Anonymous callers get nothing.
        using var anonymous = new HttpClient { BaseAddress = host.Management.BaseAddress };
        foreach (var path in new[] { "/tollgate/mail", $"/tollgate/mail/{id}", $"{Svc}/templates/newDeveloperNotificationMessage/preview?api-version=2022-08-01" })
        {
            using var response = path.Contains("preview", StringComparison.Ordinal)
                ? await anonymous.PostAsync(path, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))
                : await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }
}
