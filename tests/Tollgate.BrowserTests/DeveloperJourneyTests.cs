using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tollgate.BrowserTests.Infrastructure;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Tests.Common;

namespace Tollgate.BrowserTests;

/// <summary>The all-in-one server with a real SMTP server (smtp4dev) configured: every e-mail of the journey is really sent.</summary>
public sealed class MailPortalFixture : PortalFixture
{
    public Smtp4devServer Smtp { get; private set; } = null!;

    protected override async Task<IReadOnlyDictionary<string, string?>> ExtraSettingsAsync()
    {
        Smtp = await Smtp4devServer.StartAsync();
        return new Dictionary<string, string?>
        {
            ["Tollgate:Mail:Smtp:Host"] = "127.0.0.1",
            ["Tollgate:Mail:Smtp:Port"] = Smtp.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tollgate:Mail:Smtp:Security"] = "none",
            ["Tollgate:Mail:Smtp:From"] = "apim-noreply@contoso.example",
        };
    }

    protected override async Task DisposeExtrasAsync()
    {
        if (Smtp is not null)
        {
            await Smtp.DisposeAsync();
        }
    }
}

/// <summary>
/// The developer's whole journey, each e-mail delivered by SMTP: sign up → the confirmation arrives → confirm →
/// subscribe to a product that needs approval → the approver's mail arrives → the administrator approves in the
/// publisher portal → the developer's mail arrives → keys → Try it on RRS Execute as the walkthrough → the usage page
/// counts that call.
/// </summary>
public sealed class DeveloperJourneyTests(MailPortalFixture portal) : IClassFixture<MailPortalFixture>
{
    private const string Email = "grace@contoso.example";
    private const string Password = "a long enough password";

    private static string Svc => TollgateHost.ServicePath(TutorialSetup.ServiceName);

    [Fact]
    public async Task SignUpToTryIt_WithEveryMailDeliveredBySmtp_AndTheCallCountedOnTheUsagePage()
    {
        var published = await DeveloperPortalTests.SetUpAsync(portal.Host);
        var smtp = portal.Smtp;
        await using var developer = await portal.NewPageAsync(nameof(SignUpToTryIt_WithEveryMailDeliveredBySmtp_AndTheCallCountedOnTheUsagePage));
        var page = developer.Page;

        // Sign up; the confirmation comes by SMTP and its link confirms the account.
        await page.GotoAsync("/signup");
        await page.GetByLabel("E-mail").FillAsync(Email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByLabel("Confirm password").FillAsync(Password);
        await page.GetByLabel("First name").FillAsync("Grace");
        await page.GetByLabel("Last name").FillAsync("Hopper");
        await page.GetByLabel("I agree to the terms of use").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("we sent an e-mail to " + Email);
        var confirmation = await smtp.WaitForAsync(Email, m => m.Subject == "Please confirm your new Contoso ML API account");
        var confirmLink = LinkTo(await smtp.HtmlAsync(confirmation), "confirm");
        await page.GotoAsync(confirmLink.PathAndQuery);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm my account" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is confirmed");
        await smtp.WaitForAsync(Email, m => m.Subject == "Welcome to the Contoso ML API!");
        await developer.CheckAsync("confirmed");

        // Sign in and ask for Unlimited, which needs an administrator's approval.
        await page.GotoAsync("/signin");
        await page.GetByLabel("E-mail").FillAsync(Email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.GotoAsync("/products/unlimited");
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await page.WaitForURLAsync("**/subscriptions?subscribed=**");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("submitted: an administrator approves it");
        await developer.CheckAsync("submitted");

        // The approver (the instance's publisher e-mail) is told, and so is the developer.
        await smtp.WaitForAsync("admin@contoso.example", m => m.Subject == "Subscription request for the Unlimited product");
        await smtp.WaitForAsync(Email, m => m.Subject == "Your subscription request for the Unlimited product");

        // The administrator approves it in the publisher portal.
        var users = await portal.Host.OkAsync(HttpMethod.Get, $"{Svc}/users");
        var userId = (string)users["value"]!.AsArray().Single(u => (string?)u!["properties"]!["email"] == Email)!["name"]!;
        var subscriptions = await portal.Host.OkAsync(HttpMethod.Get, $"{Svc}/users/{userId}/subscriptions");
        var subscriptionId = (string)subscriptions["value"]!.AsArray().Single()!["name"]!;
        await using (var admin = await portal.NewPageAsync(nameof(SignUpToTryIt_WithEveryMailDeliveredBySmtp_AndTheCallCountedOnTheUsagePage) + "-admin"))
        {
            await admin.SignInAsync();
            await admin.Page.GotoAsync($"/admin/{TutorialSetup.ServiceName}/subscriptions/{subscriptionId}");
            await Assertions.Expect(admin.Page.GetByRole(AriaRole.Button, new() { Name = "Approve" })).ToBeVisibleAsync();
            await admin.CheckAsync("to-approve");
            await admin.Page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
            await Assertions.Expect(admin.Page.GetByRole(AriaRole.Button, new() { Name = "Suspend" })).ToBeVisibleAsync();
            await admin.CheckAsync("approved");
        }

        await smtp.WaitForAsync(Email, m => m.Subject.StartsWith("Your subscription to the Unlimited", StringComparison.Ordinal));

        // The developer's keys, then Try it on RRS Execute exactly as the walkthrough.
        await page.GotoAsync("/subscriptions");
        var region = page.GetByRole(AriaRole.Region, new() { Name = "Subscription Unlimited" });
        await Assertions.Expect(region.Locator(".state")).ToHaveTextAsync("active");
        await region.GetByRole(AriaRole.Button, new() { Name = "Show keys of Unlimited" }).ClickAsync();
        var shown = page.GetByRole(AriaRole.Region, new() { Name = "Subscription Unlimited" }).GetByLabel("Primary key", new() { Exact = true });
        await Assertions.Expect(shown).ToHaveAttributeAsync("type", "text");
        var key = await shown.InputValueAsync();
        Assert.Matches("^[0-9a-f]{32}$", key);
        await developer.CheckAsync("keys");

        await page.GotoAsync("/apis");
        await page.GetByRole(AriaRole.Link, new() { Name = "AzureML Demo API" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "RRS Execute" }).ClickAsync();
        await developer.WaitReadyAsync(".try-it");
        Assert.Equal(key, await page.GetByLabel("Header 1 value").InputValueAsync());
        await DeveloperPortalTests.FillRrsExecuteAsync(page, published);
        var writer = portal.Host.Server.Services!.GetRequiredService<AnalyticsWriter>();
        var written = writer.Written;
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Assertions.Expect(page.Locator("#try-status")).ToHaveTextAsync("200 OK", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#try-requested-url")).ToContainTextAsync(
            $"/azureml-demo/workspaces/{published.WorkspaceId}/services/{published.EndpointId}/execute?api-version=2.0&details=true");
        await Assertions.Expect(page.Locator("#try-headers")).ToContainTextAsync("Content-Type: application/json");
        var values = JsonNode.Parse(await page.Locator("#try-content").InnerTextAsync())!["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray().Select(v => (string?)v);
        Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], values);
        await developer.CheckAsync("try-it");

        // The usage page counts that call.
        await writer.WaitForWrittenAsync(written + 1, TimeSpan.FromSeconds(30));
        await page.GotoAsync("/usage?period=hour");
        await Assertions.Expect(page.GetByTestId("calls")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByTestId("success")).ToHaveTextAsync("1");
        await developer.CheckAsync("usage");
    }

    /// <summary>The first link of an HTML mail body to <c>/{page}?token=…</c>.</summary>
    private static Uri LinkTo(string html, string page)
    {
        var link = Regex.Match(html, "href=\"([^\"]*/" + page + "\\?token=[^\"]+)\"");
        Assert.True(link.Success, $"No /{page} link in the mail: {html}");
        return new Uri(System.Net.WebUtility.HtmlDecode(link.Groups[1].Value));
    }
}
