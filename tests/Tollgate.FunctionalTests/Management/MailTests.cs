using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// E-mail notifications delivered for real: management sends to smtp4dev (a real SMTP server, started on free
/// loopback ports) and the tests read what it received through smtp4dev's REST API. Sign-up confirmation with a
/// single-use link, password reset, subscription approval mails, templates customised through the ARM API, an
/// SMTP server that is down (the action succeeds, the message waits in the outbox and goes once the server is up),
/// and no SMTP server at all (the demo: <c>.eml</c> files in <c>{data}/mail</c>).
/// </summary>
public sealed partial class MailTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private Smtp4devServer _smtp = null!;
    private TollgateHost _host = null!;
    private static string Svc => TollgateHost.ServicePath("mail");

    public async Task InitializeAsync()
    {
        _smtp = await Smtp4devServer.StartAsync();
        _host = await TollgateHost.StartAsync(SmtpSettings(_smtp.SmtpPort));
        await _host.CreateServiceAsync("mail");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private static Dictionary<string, string?> SmtpSettings(int port) => new()
    {
        ["Tollgate:Roles"] = "management",
        ["Tollgate:Mail:Smtp:Host"] = "127.0.0.1",
        ["Tollgate:Mail:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Tollgate:Mail:Smtp:Security"] = "none",
        ["Tollgate:Management:PortalUrl"] = "http://{name}.portal.example:5083",
    };

    [Fact]
    public async Task SignUp_SendsTheConfirmation_WhoseLinkWorksOnce_ThenTheDeveloperSignsIn()
    {
        // What the developer portal's sign-up does: a pending user with the sign-up confirmation.
        await _host.PutAsync($"{Svc}/users/ada", new { properties = new { email = "ada@contoso.example", firstName = "Ada", lastName = "Lovelace <b>", password = Password, state = "pending", confirmation = "signup" } });
        using (var pending = await SignInAsync(_host, "ada@contoso.example", Password))
        {
            Assert.Equal(HttpStatusCode.Forbidden, pending.StatusCode);
        }

        var mail = await _smtp.WaitForAsync("ada@contoso.example", m => m.Subject == "Please confirm your new Contoso ML API account");
        var html = await _smtp.HtmlAsync(mail);
        // The user's own data is HTML-encoded in the body.
        Assert.Contains("Dear Ada Lovelace &lt;b&gt;", html, StringComparison.Ordinal);
        var token = Token(html, "http://mail.portal.example:5083/confirm");
        Assert.True(token.Length >= 43, token);

        using (var confirmed = await PostAsync(_host, "/internal/developer/confirm", new { instance = Svc, token }))
        {
            Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
            Assert.Equal("ada", (string?)JsonNode.Parse(await confirmed.Content.ReadAsStringAsync())!["userId"]);
        }

        using (var again = await PostAsync(_host, "/internal/developer/confirm", new { instance = Svc, token }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
            Assert.Equal("token", (string?)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        using (var signedIn = await SignInAsync(_host, "ada@contoso.example", Password))
        {
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        }

        Assert.Equal("active", (string?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/users/ada"))["properties"]!["state"]);
        await _smtp.WaitForAsync("ada@contoso.example", m => m.Subject == "Welcome to the Contoso ML API!");
        // The token is never shown by the management API.
        using var users = await _host.SendAsync(HttpMethod.Get, $"{Svc}/users");
        Assert.DoesNotContain(token, await users.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PasswordReset_MailsASingleUseLink_ThatSetsTheNewPassword()
    {
        await _host.PutAsync($"{Svc}/users/bob", new { properties = new { email = "bob@contoso.example", firstName = "Bob", lastName = "Builder", password = Password } });
        using (var unknown = await PostAsync(_host, "/internal/developer/password-reset", new { instance = Svc, email = "nobody@contoso.example" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        }

        using (var requested = await PostAsync(_host, "/internal/developer/password-reset", new { instance = Svc, email = "BOB@contoso.example" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        }

        var mail = await _smtp.WaitForAsync("bob@contoso.example", m => m.Subject == "Your password change request");
        var token = Token(await _smtp.HtmlAsync(mail), "http://mail.portal.example:5083/reset-password");

        // A refused new password does not use the link up.
        using (var tooShort = await PostAsync(_host, "/internal/developer/password-reset/confirm", new { instance = Svc, token, newPassword = "short" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
            Assert.Equal("newPassword", (string?)JsonNode.Parse(await tooShort.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        using (var reset = await PostAsync(_host, "/internal/developer/password-reset/confirm", new { instance = Svc, token, newPassword = "a brand new password" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }

        using (var reused = await PostAsync(_host, "/internal/developer/password-reset/confirm", new { instance = Svc, token, newPassword = "yet another password" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
            Assert.Equal("token", (string?)JsonNode.Parse(await reused.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        using (var old = await SignInAsync(_host, "bob@contoso.example", Password))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        using var signedIn = await SignInAsync(_host, "bob@contoso.example", "a brand new password");
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.DoesNotContain((await _smtp.MessagesAsync()), m => m.To.Contains("nobody@contoso.example"));

        // The administrator's "reset password by e-mail" (APIM's User Confirmation Password - Send).
        using var byAdmin = await _host.SendAsync(HttpMethod.Post, $"{Svc}/users/bob/confirmations/password/send");
        Assert.Equal(HttpStatusCode.NoContent, byAdmin.StatusCode);
        var adminMail = await _smtp.WaitForAsync("bob@contoso.example", m => m.Subject == "Your password was reset");
        Assert.Contains("/reset-password?token=", await _smtp.HtmlAsync(adminMail), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInvitedUserWithoutAPassword_GetsALinkToChooseOne()
    {
        // What the publisher portal's Add user does without a password.
        await _host.PutAsync($"{Svc}/users/ivy", new { properties = new { email = "ivy@contoso.example", firstName = "Ivy", lastName = "League", state = "active", confirmation = "invite" } });
        // With a password, no invitation is needed.
        await _host.PutAsync($"{Svc}/users/joe", new { properties = new { email = "joe@contoso.example", firstName = "Joe", lastName = "Bloggs", password = Password, state = "active", confirmation = "invite" } });
        var mail = await _smtp.WaitForAsync("ivy@contoso.example", m => m.Subject == "You are invited to join the Contoso ML developer network");
        var token = Token(await _smtp.HtmlAsync(mail), "http://mail.portal.example:5083/reset-password");
        using (var set = await PostAsync(_host, "/internal/developer/password-reset/confirm", new { instance = Svc, token, newPassword = Password }))
        {
            Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        }

        using var signedIn = await SignInAsync(_host, "ivy@contoso.example", Password);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.DoesNotContain(await _smtp.MessagesAsync(), m => m.To.Contains("joe@contoso.example"));
    }

    [Fact]
    public async Task ASubscriptionRequest_MailsTheApprovers_AndTheDecisionMailsTheDeveloper()
    {
        await _host.PutAsync($"{Svc}/users/cy", new { properties = new { email = "cy@contoso.example", firstName = "Cy", lastName = "Young", password = Password } });
        // The built-in Unlimited product requires approval; without recipients the request goes to the publisher e-mail.
        await _host.PutAsync($"{Svc}/subscriptions/cy-unlimited", new { properties = new { scope = "/products/unlimited", ownerId = "/users/cy", displayName = "Cy's unlimited", state = "submitted" } });
        var request = await _smtp.WaitForAsync("admin@contoso.example", m => m.Subject == "Subscription request for the Unlimited product");
        Assert.Contains("Cy Young (cy@contoso.example)", await _smtp.HtmlAsync(request), StringComparison.Ordinal);
        await _smtp.WaitForAsync("cy@contoso.example", m => m.Subject == "Your subscription request for the Unlimited product");

        await _host.OkAsync(HttpMethod.Patch, $"{Svc}/subscriptions/cy-unlimited", new { properties = new { state = "active" } });
        var approved = await _smtp.WaitForAsync("cy@contoso.example", m => m.Subject == "Your subscription to the Unlimited");
        Assert.Contains("http://mail.portal.example:5083/subscriptions", await _smtp.HtmlAsync(approved), StringComparison.Ordinal);

        // Recipients of their own replace the default; a rejection tells the developer why.
        using (var badEmail = await _host.SendAsync(HttpMethod.Put, $"{Svc}/notifications/RequestPublisherNotificationMessage/recipientEmails/not-an-email"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badEmail.StatusCode);
            Assert.Equal("email", (string?)JsonNode.Parse(await badEmail.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        using (var added = await _host.SendAsync(HttpMethod.Put, $"{Svc}/notifications/RequestPublisherNotificationMessage/recipientEmails/ops@contoso.example"))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        var notification = await _host.OkAsync(HttpMethod.Get, $"{Svc}/notifications/RequestPublisherNotificationMessage");
        Assert.EndsWith("/recipientEmails/ops@contoso.example", (string)notification["properties"]!["recipients"]!["emails"]![0]!, StringComparison.Ordinal);
        // The product allows one subscription per developer: the second request is Dan's.
        await _host.PutAsync($"{Svc}/users/dan", new { properties = new { email = "dan@contoso.example", firstName = "Dan", lastName = "Brown", password = Password } });
        await _host.PutAsync($"{Svc}/subscriptions/dan-unlimited", new { properties = new { scope = "/products/unlimited", ownerId = "/users/dan", displayName = "Dan's unlimited", state = "submitted" } });
        await _smtp.WaitForAsync("ops@contoso.example", m => m.Subject == "Subscription request for the Unlimited product");
        await _host.OkAsync(HttpMethod.Patch, $"{Svc}/subscriptions/dan-unlimited", new { properties = new { state = "rejected", stateComment = "One subscription <per> team." } });
        // Dan gets two mails with that subject (APIM's templates share it): the request received, then declined.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<ReceivedMail> dans;
        while ((dans = (await _smtp.MessagesAsync()).Where(m => m.To.Contains("dan@contoso.example") && m.Subject == "Your subscription request for the Unlimited product").ToList()).Count < 2
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var bodies = await Task.WhenAll(dans.Select(_smtp.HtmlAsync));
        Assert.Equal(2, bodies.Length);
        Assert.Single(bodies, b => b.Contains("decided to decline", StringComparison.Ordinal) && b.Contains("One subscription &lt;per&gt; team.", StringComparison.Ordinal));
        Assert.Single(await _smtp.MessagesAsync(), m => m.To.Contains("admin@contoso.example"));
    }

    [Fact]
    public async Task ClosingAnAccount_SaysFarewell_AndTellsTheRecipientUsers_WithTheBccCopied()
    {
        await _host.PutAsync($"{Svc}/users/kim", new { properties = new { email = "kim@contoso.example", firstName = "Kim", lastName = "Possible", password = Password } });
        await _host.PutAsync($"{Svc}/users/ops", new { properties = new { email = "ops-team@contoso.example", firstName = "Ops", lastName = "Team", password = Password } });
        using (var unknownUser = await _host.SendAsync(HttpMethod.Put, $"{Svc}/notifications/AccountClosedPublisher/recipientUsers/nobody"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknownUser.StatusCode);
        }

        using (var unknownNotification = await _host.SendAsync(HttpMethod.Get, $"{Svc}/notifications/NoSuchNotification"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknownNotification.StatusCode);
        }

        await _host.PutAsync($"{Svc}/notifications/AccountClosedPublisher/recipientUsers/ops", new { });
        await _host.PutAsync($"{Svc}/notifications/BCC/recipientEmails/audit@contoso.example", new { });
        using (var exists = await _host.SendAsync(HttpMethod.Head, $"{Svc}/notifications/BCC/recipientEmails/audit@contoso.example"))
        {
            Assert.Equal(HttpStatusCode.NoContent, exists.StatusCode);
        }

        var users = await _host.OkAsync(HttpMethod.Get, $"{Svc}/notifications/AccountClosedPublisher/recipientUsers");
        Assert.EndsWith("/users/ops", (string)users["value"]![0]!["properties"]!["userId"]!, StringComparison.Ordinal);

        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/users/kim");
        await _smtp.WaitForAsync("kim@contoso.example", m => m.Subject == "Thank you for using the Contoso ML API!");
        var publisher = await _smtp.WaitForAsync("ops-team@contoso.example", m => m.Subject == "Developer account closed: Kim Possible");
        Assert.Contains("kim@contoso.example", await _smtp.HtmlAsync(publisher), StringComparison.Ordinal);
        // The blind copy: smtp4dev records a delivery per envelope recipient.
        await _smtp.WaitForAsync("audit@contoso.example", m => m.Subject == "Thank you for using the Contoso ML API!");

        using (var removed = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/notifications/BCC/recipientEmails/audit@contoso.example"))
        {
            Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        }

        using var gone = await _host.SendAsync(HttpMethod.Head, $"{Svc}/notifications/BCC/recipientEmails/audit@contoso.example");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Templates_AreAPIMs_CustomisedThroughTheArmApi_AndUsedForTheNextMail()
    {
        var list = await _host.OkAsync(HttpMethod.Get, $"{Svc}/templates");
        var names = list["value"]!.AsArray().Select(t => (string)t!["name"]!).ToList();
        foreach (var name in new[] { "confirmSignUpIdentityDefault", "passwordResetIdentityDefault", "passwordResetByAdminNotificationMessage", "inviteUserNotificationMessage",
            "newDeveloperNotificationMessage", "accountClosedDeveloper", "applicationApprovedNotificationMessage", "requestDeveloperNotificationMessage",
            "purchaseDeveloperNotificationMessage", "rejectDeveloperNotificationMessage", "quotaLimitApproachingDeveloperNotificationMessage" })
        {
            Assert.Contains(name, names);
        }

        var template = await _host.OkAsync(HttpMethod.Get, $"{Svc}/templates/confirmSignUpIdentityDefault");
        Assert.True((bool)template["properties"]!["isDefault"]!);
        Assert.Contains(template["properties"]!["parameters"]!.AsArray(), p => (string?)p!["name"] == "ConfirmUrl");

        using (var empty = await _host.SendAsync(HttpMethod.Put, $"{Svc}/templates/confirmSignUpIdentityDefault", new { properties = new { subject = "" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
            Assert.Equal("subject", (string?)JsonNode.Parse(await empty.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        using (var unknown = await _host.SendAsync(HttpMethod.Get, $"{Svc}/templates/noSuchTemplate"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        using (var created = await _host.SendAsync(HttpMethod.Put, $"{Svc}/templates/confirmSignUpIdentityDefault",
            new { properties = new { subject = "Confirm your $OrganizationName account, $DevFirstName", body = "<p>Hi $DevFirstName, open <a href=\"$ConfirmUrl\">this link</a>.</p>" } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.False((bool)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["properties"]!["isDefault"]!);
        }

        await _host.PutAsync($"{Svc}/users/dee", new { properties = new { email = "dee@contoso.example", firstName = "Dee", lastName = "Dee", password = Password, state = "pending", confirmation = "signup" } });
        var mail = await _smtp.WaitForAsync("dee@contoso.example", m => m.Subject == "Confirm your Contoso ML account, Dee");
        Token(await _smtp.HtmlAsync(mail), "http://mail.portal.example:5083/confirm");

        using (var reset = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/templates/confirmSignUpIdentityDefault"))
        {
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        }

        Assert.True((bool)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/templates/confirmSignUpIdentityDefault"))["properties"]!["isDefault"]!);
    }

    [Fact]
    public async Task WithTheSmtpServerDown_TheActionSucceeds_AndTheMailGoesOnceItIsUp()
    {
        var port = FreePort.Next();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await TollgateHost.StartAsync(SmtpSettings(port), time: time);
        await host.CreateServiceAsync("mail");
        await host.PutAsync($"{Svc}/users/eve", new { properties = new { email = "eve@contoso.example", firstName = "Eve", lastName = "Online", password = Password, state = "pending", confirmation = "signup" } });
        var outbox = Path.Combine(host.DataDirectory, "mail", "outbox");
        Assert.Single(Directory.GetFiles(outbox, "*.eml"));

        await using var smtp = await Smtp4devServer.StartAsync(port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Directory.GetFiles(outbox, "*.eml").Length > 0 && DateTime.UtcNow < deadline)
        {
            // The retry waits on the TimeProvider: move it past the longest back-off.
            time.Advance(TimeSpan.FromMinutes(15));
            await Task.Delay(200);
        }

        var mail = await smtp.WaitForAsync("eve@contoso.example", m => m.Subject == "Please confirm your new Contoso ML API account");
        Assert.Empty(Directory.GetFiles(outbox, "*.eml"));
        Assert.Single(Directory.GetFiles(Path.Combine(host.DataDirectory, "mail", "sent"), "*.eml"));
        var token = Token(await smtp.HtmlAsync(mail), "http://mail.portal.example:5083/confirm");
        using var confirmed = await PostAsync(host, "/internal/developer/confirm", new { instance = Svc, token });
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        await Task.Delay(500);
        Assert.Single(await smtp.MessagesAsync(), m => m.Subject == "Please confirm your new Contoso ML API account");
    }

    [Fact]
    public async Task WithoutSmtp_EachMessageIsAnEmlFileInTheMailFolder()
    {
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        await host.CreateServiceAsync("mail");
        await host.PutAsync($"{Svc}/users/fay", new { properties = new { email = "fay@contoso.example", firstName = "Fay", lastName = "Wray", password = Password, state = "pending", confirmation = "signup" } });
        var folder = Path.Combine(host.DataDirectory, "mail");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Directory.GetFiles(folder, "*.eml").Length == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var file = Assert.Single(Directory.GetFiles(folder, "*.eml"));
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "outbox"), "*.eml"));
        var message = await MimeMessage.LoadAsync(file);
        Assert.Equal("fay@contoso.example", ((MailboxAddress)message.To.Single()).Address);
        Assert.Equal("Please confirm your new Contoso ML API account", message.Subject);
        Assert.Contains("/confirm?token=", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("/confirm?token=", message.TextBody, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    private static string Token(string html, string page)
    {
        var match = Regex.Match(html, Regex.Escape(page) + @"\?token=([A-Za-z0-9_\-]+)");
        Assert.True(match.Success, $"No {page}?token= link in: {html}");
        return match.Groups[1].Value;
    }

    private static Task<HttpResponseMessage> SignInAsync(TollgateHost host, string email, string password) =>
        PostAsync(host, "/internal/developer/signin", new { instance = Svc, email, password });

    private static Task<HttpResponseMessage> PostAsync(TollgateHost host, string path, object body) =>
        host.Management.PostAsync(path, new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
}
