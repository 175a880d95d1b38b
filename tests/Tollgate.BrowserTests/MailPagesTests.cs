using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tollgate.BrowserTests.Infrastructure;
using Tollgate.Management.Mail;

namespace Tollgate.BrowserTests;

/// <summary>
/// The publisher portal's e-mail pages in a browser: a notification template edited, previewed (with sample values,
/// its scripts blocked), saved and used by the next real mail, a test sent, reset to default; the notifications'
/// recipients added and removed; the demo's mail folder listing a message and showing it. No SMTP server here: the
/// messages are files in <c>{data}/mail</c>, delivered at once by a delivery round the test runs itself.
/// </summary>
public sealed class MailPagesTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    private const string Template = "passwordResetByAdminNotificationMessage";

    private async Task<string> CreateInstanceAsync(string name)
    {
        var defaults = portal.Host.Server.Settings.Portal;
        var svc = $"/subscriptions/{defaults.SubscriptionId}/resourceGroups/{defaults.ResourceGroup}/providers/Microsoft.ApiManagement/service/{name}";
        await portal.Host.PutAsync(svc, new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } });
        await portal.Host.PutAsync($"{svc}/users/ada", new { properties = new { email = "ada@contoso.example", firstName = "Ada", lastName = "Lovelace", password = "correct horse battery staple" } });
        return svc;
    }

    /// <summary>Runs a delivery round: every message queued so far is in the mail folder when it returns.</summary>
    private Task DeliverAsync() => portal.Host.Server.Services!.GetRequiredService<MailDelivery>().DeliverDueAsync(CancellationToken.None);

    [Fact]
    public async Task ATemplateIsEdited_Previewed_Saved_UsedByTheNextMail_SentAsATest_AndResetToDefault()
    {
        var host = portal.Host;
        var svc = await CreateInstanceAsync("mailtemplates");
        await using var p = await portal.NewPageAsync(nameof(ATemplateIsEdited_Previewed_Saved_UsedByTheNextMail_SentAsATest_AndResetToDefault));
        var page = p.Page;
        await page.GotoAsync("/admin/mailtemplates/templates");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/mailtemplates/templates");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Password reset by the administrator" });
        await Assertions.Expect(row).ToContainTextAsync("Default");
        await p.CheckAsync("templates");

        await row.GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForURLAsync($"**/admin/mailtemplates/templates/{Template}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Password reset by the administrator" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#preview-subject")).ToHaveTextAsync("Your password was reset");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "$DevFirstName" })).ToContainTextAsync("Ada");
        await p.CheckAsync("template");

        // Preview: the sample values substituted, the HTML in a sandboxed frame where its script does not run; nothing saved.
        await page.GetByLabel("Subject").FillAsync("Reset for $DevFirstName at $OrganizationName");
        await page.GetByLabel("Body (HTML)").FillAsync("<p id=\"hello\">Hi $DevFirstName, choose a password: <a href=\"$ConfirmUrl\">$ConfirmUrl</a></p><script>document.getElementById('hello').textContent = 'script ran';</script>");
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Assertions.Expect(page.Locator("#preview-subject")).ToHaveTextAsync("Reset for Ada at Contoso ML");
        Assert.Equal("", await page.Locator("#preview-body").GetAttributeAsync("sandbox"));
        await Assertions.Expect(page.FrameLocator("#preview-body").Locator("#hello")).ToContainTextAsync("Hi Ada, choose a password: http://");
        Assert.DoesNotContain("script ran", await page.FrameLocator("#preview-body").Locator("#hello").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal("Reset for $DevFirstName at $OrganizationName", await page.GetByLabel("Subject").InputValueAsync());
        Assert.True((bool)(await host.OkAsync(HttpMethod.Get, $"{svc}/templates/{Template}"))["properties"]!["isDefault"]!);
        await p.CheckAsync("preview");

        // An empty subject is refused next to its field, the body typed kept.
        await page.GetByLabel("Subject").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#subject-error")).ToBeVisibleAsync();
        StringAssert(await page.GetByLabel("Body (HTML)").InputValueAsync(), "Hi $DevFirstName");
        await p.CheckAsync("empty-subject");

        await page.GetByLabel("Subject").FillAsync("Reset for $DevFirstName at $OrganizationName");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved");
        var saved = (await host.OkAsync(HttpMethod.Get, $"{svc}/templates/{Template}"))["properties"]!;
        Assert.False((bool)saved["isDefault"]!);
        Assert.Equal("Reset for $DevFirstName at $OrganizationName", (string?)saved["subject"]);

        // The next real mail uses it: the administrator resets Ada's password by e-mail.
        await host.OkAsync(HttpMethod.Post, $"{svc}/users/ada/confirmations/password/send");
        await DeliverAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Instance" }).GetByRole(AriaRole.Link, new() { Name = "Mail folder" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/mailtemplates/mail");
        var mailRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Reset for Ada at Contoso ML" }).First;
        await Assertions.Expect(mailRow).ToContainTextAsync("ada@contoso.example");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await p.CheckAsync("mail-folder");
        await mailRow.GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForURLAsync("**/admin/mailtemplates/mail/*");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Reset for Ada at Contoso ML" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#mail-to")).ToContainTextAsync("ada@contoso.example");
        // The real link, with a real token (not the sample's), in both parts; the script of the body did not run.
        await Assertions.Expect(page.FrameLocator("#mail-html").Locator("#hello")).ToContainTextAsync("Hi Ada, choose a password: http://");
        Assert.DoesNotContain("sample-token", await page.FrameLocator("#mail-html").Locator("#hello").TextContentAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#mail-text")).ToContainTextAsync("/reset-password?token=");
        Assert.DoesNotContain("script ran", await page.Locator("#mail-text").TextContentAsync(), StringComparison.Ordinal);
        await p.CheckAsync("mail-message");

        // Send a test: a bad e-mail is refused next to its field and kept; a good one is queued and delivered.
        await page.GotoAsync($"/admin/mailtemplates/templates/{Template}");
        await page.GetByLabel("E-mail").FillAsync("not an e-mail");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a test" }).ClickAsync();
        await Assertions.Expect(page.Locator("#email-error")).ToContainTextAsync("not a valid e-mail address");
        Assert.Equal("not an e-mail", await page.GetByLabel("E-mail").InputValueAsync());
        await p.CheckAsync("send-test-bad-email");
        await page.GetByLabel("E-mail").FillAsync("tester@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send a test" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("A test e-mail to tester@contoso.example is queued.");
        await DeliverAsync();
        var list = await host.OkAsync(HttpMethod.Get, "/tollgate/mail");
        var test = list["value"]!.AsArray().Select(m => m!.AsObject()).First(m => ((string?)m["to"])!.Contains("tester@contoso.example", StringComparison.Ordinal));
        Assert.Equal("Reset for Ada at Contoso ML", (string?)test["subject"]);
        var testMessage = await host.OkAsync(HttpMethod.Get, $"/tollgate/mail/{(string)test["id"]!}");
        StringAssert((string?)testMessage["html"] ?? "", "reset-password?token=sample-token");

        // Reset to default.
        await page.GetByRole(AriaRole.Button, new() { Name = "Reset to default" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/mailtemplates/templates?reset=*");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("back to its default");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Password reset by the administrator" })).ToContainTextAsync("Default");
        Assert.True((bool)(await host.OkAsync(HttpMethod.Get, $"{svc}/templates/{Template}"))["properties"]!["isDefault"]!);
        await p.CheckAsync("reset");
    }

    [Fact]
    public async Task RecipientEmailsAndUsers_AreAddedAndRemoved_ABadEmailShownNextToItsField()
    {
        var host = portal.Host;
        var svc = await CreateInstanceAsync("mailrecipients");
        await using var p = await portal.NewPageAsync(nameof(RecipientEmailsAndUsers_AreAddedAndRemoved_ABadEmailShownNextToItsField));
        var page = p.Page;
        await page.GotoAsync("/admin/mailrecipients/notifications");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/mailrecipients/notifications");
        var bcc = page.Locator("section[data-notification='BCC']");
        await Assertions.Expect(bcc).ToContainTextAsync("No recipient.");
        await p.CheckAsync("notifications");

        await bcc.GetByLabel("Add e-mail").FillAsync("not-an-email");
        await bcc.GetByRole(AriaRole.Button, new() { Name = "Add e-mail" }).ClickAsync();
        bcc = page.Locator("section[data-notification='BCC']");
        await Assertions.Expect(bcc.Locator("#email-error")).ToContainTextAsync("not a valid e-mail address");
        Assert.Equal("not-an-email", await bcc.GetByLabel("Add e-mail").InputValueAsync());
        await p.CheckAsync("bad-email");

        await bcc.GetByLabel("Add e-mail").FillAsync("audit@contoso.example");
        await bcc.GetByRole(AriaRole.Button, new() { Name = "Add e-mail" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("audit@contoso.example added.");
        await page.Locator("section[data-notification='BCC']").GetByLabel("Add user").SelectOptionAsync("ada");
        await page.Locator("section[data-notification='BCC']").GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Ada Lovelace (ada@contoso.example) added.");
        bcc = page.Locator("section[data-notification='BCC']");
        await Assertions.Expect(bcc.GetByRole(AriaRole.List)).ToContainTextAsync("audit@contoso.example");
        await Assertions.Expect(bcc.GetByRole(AriaRole.List)).ToContainTextAsync("Ada Lovelace (ada@contoso.example)");
        var recipients = (await host.OkAsync(HttpMethod.Get, $"{svc}/notifications/BCC"))["properties"]!["recipients"]!;
        Assert.Equal($"{svc}/recipientEmails/audit@contoso.example", (string?)recipients["emails"]![0]);
        Assert.EndsWith("/users/ada", (string?)recipients["users"]![0], StringComparison.Ordinal);
        await p.CheckAsync("recipients-added");

        await bcc.GetByRole(AriaRole.Button, new() { Name = "Remove audit@contoso.example from BCC" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("audit@contoso.example removed.");
        await page.Locator("section[data-notification='BCC']").GetByRole(AriaRole.Button, new() { Name = "Remove Ada Lovelace (ada@contoso.example) from BCC" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Ada Lovelace (ada@contoso.example) removed.");
        await Assertions.Expect(page.Locator("section[data-notification='BCC']")).ToContainTextAsync("No recipient.");
        recipients = (await host.OkAsync(HttpMethod.Get, $"{svc}/notifications/BCC"))["properties"]!["recipients"]!;
        Assert.Empty(recipients["emails"]!.AsArray());
        Assert.Empty(recipients["users"]!.AsArray());
        await p.CheckAsync("recipients-removed");
    }

    private static void StringAssert(string actual, string expected) => Assert.Contains(expected, actual, StringComparison.Ordinal);
}
