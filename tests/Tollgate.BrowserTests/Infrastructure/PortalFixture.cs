using System.Collections.Concurrent;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Services;

namespace Tollgate.BrowserTests.Infrastructure;

/// <summary>
/// One test class's world: the real all-in-one server (gateway with HTTPS, management, Studio and the portal) on free
/// loopback ports, and one headless Debian chromium driven by Playwright. Pages come from <see cref="NewPageAsync"/>,
/// which records every request so a test fails when anything outside 127.0.0.1 was asked for.
/// </summary>
public class PortalFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium (apt-get install chromium); Playwright's own browsers are never downloaded.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic",
    ];

    private IPlaywright? _playwright;

    public TollgateHost Host { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The portal's base address (http://127.0.0.1:port).</summary>
    public string PortalUrl => Host.Server.Settings.Portal.Url.TrimEnd('/');

    /// <summary>The administrator's first password, as <c>tollgate demo</c> prints it.</summary>
    public string AdminPassword { get; private set; } = "";

    /// <summary>Settings a fixture adds to the server's (after its components started).</summary>
    /// <summary>
    /// The mail written to <c>{data}/mail</c> (no SMTP server configured) to <paramref name="to"/> that
    /// <paramref name="match"/> accepts. A delivery round runs first, so every message queued by what the test did is
    /// in the folder when it is read: no waiting, no polling.
    /// </summary>
    public async Task<MimeKit.MimeMessage> MailAsync(string to, Func<MimeKit.MimeMessage, bool> match, string what)
    {
        await Host.Server.Services!.GetRequiredService<Tollgate.Management.Mail.MailDelivery>().DeliverDueAsync(CancellationToken.None);
        var folder = Path.Combine(Host.DataDirectory, "mail");
        foreach (var file in (Directory.Exists(folder) ? Directory.GetFiles(folder, "*.eml") : []).Order(StringComparer.Ordinal))
        {
            var message = await MimeKit.MimeMessage.LoadAsync(file);
            if (message.To.Mailboxes.Any(m => string.Equals(m.Address, to, StringComparison.OrdinalIgnoreCase)) && match(message))
            {
                return message;
            }
        }

        throw new Xunit.Sdk.XunitException($"No e-mail to {to} with {what} in {folder}.");
    }

    /// <summary>The link to the developer portal's <paramref name="page"/> (<c>/{page}?token=…</c>) mailed to <paramref name="to"/>.</summary>
    public async Task<Uri> MailedLinkAsync(string to, string page)
    {
        var pattern = new System.Text.RegularExpressions.Regex("href=\"([^\"]*/" + page + "\\?token=[^\"]+)\"");
        var message = await MailAsync(to, m => pattern.IsMatch(m.HtmlBody ?? ""), $"a /{page} link");
        return new Uri(System.Net.WebUtility.HtmlDecode(pattern.Match(message.HtmlBody!).Groups[1].Value));
    }

    protected virtual Task<IReadOnlyDictionary<string, string?>> ExtraSettingsAsync() => Task.FromResult<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?>());

    /// <summary>Stops what <see cref="ExtraSettingsAsync"/> started.</summary>
    protected virtual Task DisposeExtrasAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "all",
            // The instances TollgateHost.ServicePath addresses.
            ["Tollgate:Portal:SubscriptionId"] = "sub1",
            ["Tollgate:Portal:ResourceGroup"] = "rg1",
            // Every test of a class signs in and up from 127.0.0.1 within the same minute; the per-address limit of
            // the account forms has its own test (PortalRateLimitTests).
            ["Tollgate:Portal:SignInAttemptsPerMinute"] = "10000",
        };
        foreach (var (key, value) in await ExtraSettingsAsync())
        {
            settings[key] = value;
        }

        Host = await TollgateHost.StartAsync(settings, https: true);
        AdminPassword = Host.Server.Services!.GetRequiredService<PortalAdministrator>().ReadInitialPassword()
            ?? throw new InvalidOperationException("The administrator's first password was not written.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        await DisposeExtrasAsync();
    }

    /// <summary>A fresh browser context (no cookies) and page; every request it makes is checked to stay on 127.0.0.1 (or *.localhost, which Chromium resolves to loopback itself).</summary>
    public async Task<PortalPage> NewPageAsync(string testName)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = PortalUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var outside = new ConcurrentQueue<string>();
        // Anything not on the loopback address is recorded and never sent.
        await context.RouteAsync(url => !IsLoopback(url), async route =>
        {
            outside.Enqueue(route.Request.Url);
            await route.AbortAsync();
        });
        context.Request += (_, request) =>
        {
            if (!IsLoopback(request.Url))
            {
                outside.Enqueue(request.Url);
            }
        };
        var page = await context.NewPageAsync();
        page.WebSocket += (_, socket) =>
        {
            if (!IsLoopback(socket.Url))
            {
                outside.Enqueue(socket.Url);
            }
        };
        var errors = new ConcurrentQueue<string>();
        page.PageError += (_, error) => errors.Enqueue(error);
        return new PortalPage(this, context, page, testName, outside, errors);
    }

    private static bool IsLoopback(string url) =>
        url.StartsWith("data:", StringComparison.Ordinal) || url.StartsWith("about:", StringComparison.Ordinal)
        || (Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && (uri.Host == "127.0.0.1" || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)));
}

/// <summary>A page of one test, with the checks every page gets: axe (no serious or critical violation) and a screenshot.</summary>
public sealed class PortalPage(PortalFixture fixture, IBrowserContext context, IPage page, string testName,
    ConcurrentQueue<string> outside, ConcurrentQueue<string> errors) : IAsyncDisposable
{
    private int _shots;

    public IPage Page { get; } = page;

    public PortalFixture Fixture { get; } = fixture;

    /// <summary>Where screenshots go: TestResults/screenshots/ at the repository root.</summary>
    public static string ScreenshotDirectory { get; } = FindScreenshotDirectory();

    /// <summary>
    /// Checks the page as it is now: no serious or critical axe violation, no script error, nothing requested outside
    /// 127.0.0.1; then saves a full-page screenshot named after the test and <paramref name="step"/>.
    /// </summary>
    public async Task CheckAsync(string step)
    {
        if (Page.Frames.Count == 1)
        {
            await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        }
        else
        {
            // Playwright's network-idle signal never comes for a page whose frame (an e-mail's sandboxed srcdoc) was
            // added by an enhanced navigation: wait for every frame's own load instead.
            foreach (var frame in Page.Frames)
            {
                await frame.WaitForLoadStateAsync(LoadState.Load);
            }
        }

        // Frames are not entered: the portal's only frames show an e-mail's HTML, sandboxed without scripts, where
        // axe cannot run (it would wait for the frame forever). The frame element itself is still checked.
        var axe = await Page.RunAxe(new AxeRunOptions { Iframes = false });
        var bad = axe.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, $"{step}: accessibility violations on {Page.Url}:\n" + string.Join("\n", bad.Select(Describe)));
        Assert.True(errors.IsEmpty, $"{step}: script errors on {Page.Url}: {string.Join("; ", errors)}");
        AssertNothingOutside();
        // Chromium paints a frame (an out-of-process, sandboxed one) only once it has been in view: the full-page
        // screenshot would show it blank otherwise.
        foreach (var frame in await Page.Locator("iframe").AllAsync())
        {
            await frame.ScrollIntoViewIfNeededAsync();
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, $"{testName}-{++_shots:00}-{step}.png"), FullPage = true });
    }

    public void AssertNothingOutside() =>
        Assert.True(outside.IsEmpty, "The page requested addresses outside 127.0.0.1: " + string.Join(", ", outside.Distinct()));

    /// <summary>Waits until the interactive part marked <c>data-ready</c> is live (clicks before that are lost).</summary>
    public Task WaitReadyAsync(string selector) => Page.Locator($"{selector}[data-ready]").WaitForAsync();

    /// <summary>Signs in as the administrator through the sign-in form.</summary>
    public async Task SignInAsync(string? password = null)
    {
        if (!Page.Url.Contains("/admin/signin", StringComparison.Ordinal))
        {
            await Page.GotoAsync("/admin/signin");
        }

        await Page.GetByLabel("User").FillAsync("1");
        await Page.GetByLabel("Password").FillAsync(password ?? Fixture.AdminPassword);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    private static string Describe(AxeResultItem v) =>
        $"- {v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}";

    private static string FindScreenshotDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Tollgate.slnx")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, "TestResults", "screenshots");
    }

    public async ValueTask DisposeAsync()
    {
        AssertNothingOutside();
        await context.DisposeAsync();
    }
}
