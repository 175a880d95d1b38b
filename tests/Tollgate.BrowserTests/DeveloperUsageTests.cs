using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Tollgate.BrowserTests.Infrastructure;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Tests.Common;

namespace Tollgate.BrowserTests;

/// <summary>
/// The developer portal's Usage page (calls made through the gateway, counted per developer, never another's) and the
/// branding the publisher portal sets (name, colour, logo, default theme) shown by the developer portal at once.
/// </summary>
public sealed class DeveloperUsageTests(PortalFixture portal) : IClassFixture<PortalFixture>, IAsyncLifetime
{
    private const string Instance = "contoso";
    private const string Password = "correct horse battery";
    private static readonly string Svc = TollgateHost.ServicePath(Instance);
    private RecordingBackend? _backend;

    public async Task InitializeAsync()
    {
        _backend = await RecordingBackend.StartAsync();
        var host = portal.Host;
        using (var existing = await host.SendAsync(HttpMethod.Get, Svc))
        {
            if (existing.StatusCode == HttpStatusCode.OK)
            {
                return;
            }
        }

        await host.PutAsync(Svc, new { location = "local", properties = new { publisherName = "Contoso", publisherEmail = "admin@contoso.example" } });
    }

    public async Task DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    [Fact]
    public async Task Usage_CountsTheDevelopersOwnCallsThroughTheGateway_WithTheirLimits_AndNeverAnothersUsage()
    {
        var host = portal.Host;
        await host.PutAsync($"{Svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = _backend!.Url, protocols = new[] { "http" } } });
        await host.PutAsync($"{Svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/" } });
        await host.PutAsync($"{Svc}/products/starter/apis/echo", new { });
        await host.PutAsync($"{Svc}/users/hedy", new { properties = new { email = "hedy@contoso.example", firstName = "Hedy", lastName = "Lamarr", password = Password } });
        await host.PutAsync($"{Svc}/users/alan", new { properties = new { email = "alan@contoso.example", firstName = "Alan", lastName = "Turing", password = Password } });
        var hedyKey = await host.CreateSubscriptionAsync(Instance, "hedy-starter", "/products/starter", "/users/hedy");
        var alanKey = await host.CreateSubscriptionAsync(Instance, "alan-starter", "/products/starter", "/users/alan");

        // Hedy: six calls, the sixth over Starter's 5 calls a minute (blocked: 429). Alan: two.
        var writer = (AnalyticsWriter)host.Server.Services!.GetService(typeof(AnalyticsWriter))!;
        var before = writer.Written;
        for (var i = 0; i < 6; i++)
        {
            using var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/", hedyKey));
            Assert.Equal(i < 5 ? HttpStatusCode.OK : HttpStatusCode.TooManyRequests, response.StatusCode);
        }

        for (var i = 0; i < 2; i++)
        {
            using var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/", alanKey));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await writer.WaitForWrittenAsync(before + 8, TimeSpan.FromSeconds(30));

        await using var p = await portal.NewPageAsync(nameof(Usage_CountsTheDevelopersOwnCallsThroughTheGateway_WithTheirLimits_AndNeverAnothersUsage));
        var page = p.Page;
        await page.GotoAsync("/usage");
        await page.WaitForURLAsync("**/signin?ReturnUrl=%2Fusage");
        await SignInAsync(page, "hedy@contoso.example");
        await page.WaitForURLAsync("**/usage");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your usage" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("calls")).ToHaveTextAsync("6");
        await Assertions.Expect(page.GetByTestId("success")).ToHaveTextAsync("5");
        await Assertions.Expect(page.GetByTestId("blocked")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByTestId("failed")).ToHaveTextAsync("0");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "Calls, last day" })).ToHaveAttributeAsync("aria-label", new Regex("highest 6"));
        var bySubscription = page.GetByRole(AriaRole.Region, new() { Name = "By subscription" });
        await Assertions.Expect(bySubscription.GetByRole(AriaRole.Row)).ToHaveCountAsync(2);
        await Assertions.Expect(bySubscription.GetByRole(AriaRole.Row).Filter(new() { HasText = "hedy-starter" })).ToContainTextAsync("6");
        var limits = page.GetByRole(AriaRole.Region, new() { Name = "Limits of hedy-starter" });
        await Assertions.Expect(limits.Locator("tr[data-kind=rate-limit]")).ToContainTextAsync("5 / 5 calls");
        await Assertions.Expect(limits.Locator("tr[data-kind=rate-limit]")).ToContainTextAsync("Every 1 minute");
        await Assertions.Expect(limits.Locator("tr[data-kind=quota]")).ToContainTextAsync("5 / 100 calls");
        await Assertions.Expect(limits.Locator("tr[data-kind=quota]")).ToContainTextAsync(new Regex(@"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(every 7 days\)"));
        Assert.DoesNotContain("alan", await page.ContentAsync(), StringComparison.OrdinalIgnoreCase);
        await p.CheckAsync("usage-day");

        // Another period, then one subscription: links of their own.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Period" }).GetByRole(AriaRole.Link, new() { Name = "Last hour" }).ClickAsync();
        await page.WaitForURLAsync("**/usage?period=hour");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "Calls, last hour" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("calls")).ToHaveTextAsync("6");
        await page.GetByLabel("Subscription", new() { Exact = true }).SelectOptionAsync("hedy-starter");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await page.WaitForURLAsync("**/usage?period=hour&subscription=hedy-starter");
        await Assertions.Expect(page.GetByTestId("blocked")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "By subscription" })).ToHaveCountAsync(0);
        await p.CheckAsync("usage-hour-subscription");

        // Alan's subscription asked for by its id: refused, nothing of his shown.
        await page.GotoAsync("/usage?subscription=alan-starter");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("You have no subscription 'alan-starter'.");
        Assert.Equal(0, await page.GetByTestId("calls").CountAsync());
        Assert.Equal(0, await page.GetByRole(AriaRole.Region, new() { Name = "Limits of alan-starter" }).CountAsync());
        await p.CheckAsync("usage-foreign");

        // Alan sees his two calls only.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(portal.PortalUrl + "/");
        await page.GotoAsync("/signin?ReturnUrl=%2Fusage");
        await SignInAsync(page, "alan@contoso.example");
        await page.WaitForURLAsync("**/usage");
        await Assertions.Expect(page.GetByTestId("calls")).ToHaveTextAsync("2");
        await Assertions.Expect(page.GetByTestId("blocked")).ToHaveTextAsync("0");
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Limits of alan-starter" }).Locator("tr[data-kind=rate-limit]")).ToContainTextAsync("2 / 5 calls");
        Assert.DoesNotContain("hedy", await page.ContentAsync(), StringComparison.OrdinalIgnoreCase);

        // The same page in the dark theme (the switch comes back to the page it was on).
        await page.GetByRole(AriaRole.Button, new() { Name = "Switch to the dark theme" }).ClickAsync();
        await Assertions.Expect(page.Locator(".portal-shell")).ToHaveAttributeAsync("data-theme", "dark");
        await Assertions.Expect(page.GetByTestId("calls")).ToHaveTextAsync("2");
        Assert.EndsWith("/usage", page.Url, StringComparison.Ordinal);
        await p.CheckAsync("usage-dark");

        await page.GotoAsync("/usage?subscription=hedy-starter&period=week");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("You have no subscription 'hedy-starter'.");
        Assert.Equal(0, await page.GetByTestId("calls").CountAsync());
        await p.CheckAsync("usage-second-developer");
    }

    [Fact]
    public async Task Branding_SetInThePublisherPortal_ShowsOnTheDeveloperPortal_NameColourLogoAndDarkTheme()
    {
        await using var admin = await portal.NewPageAsync(nameof(Branding_SetInThePublisherPortal_ShowsOnTheDeveloperPortal_NameColourLogoAndDarkTheme));
        var page = admin.Page;
        await page.GotoAsync($"/admin/{Instance}/branding");
        await admin.SignInAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Developer portal branding" })).ToBeVisibleAsync();

        // A colour that is not hex: the management API's message next to the field, what was typed kept, nothing stored.
        await page.GetByLabel("Primary colour").FillAsync("#12345g");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#primaryColor-error")).ToContainTextAsync("must be a hex colour");
        Assert.Equal("#12345g", await page.GetByLabel("Primary colour").InputValueAsync());
        await admin.CheckAsync("branding-error");

        // A logo that is not an accepted type, or not what its type says: refused under the field.
        await page.GetByLabel("Primary colour").FillAsync("#5c2d91");
        await page.GetByLabel("Logo", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = "logo.gif", MimeType = "image/gif", Buffer = "GIF89a"u8.ToArray() });
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#logo-error")).ToContainTextAsync("'logo.gif' is not a PNG, JPEG or SVG image.");
        await page.GetByLabel("Logo", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = "logo.png", MimeType = "image/png", Buffer = "GIF89a"u8.ToArray() });
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#logo-error")).ToContainTextAsync("The logo is not a PNG image.");
        Assert.Null((await portal.Host.OkAsync(HttpMethod.Get, $"{Svc}/portalsettings/branding"))["properties"]!["logo"]);

        const string Logo = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"96\" height=\"28\" viewBox=\"0 0 96 28\" onload=\"window.logoRan = 1\">"
            + "<script>window.logoRan = 2</script><rect width=\"28\" height=\"28\" rx=\"6\" fill=\"#ffffff\"/><circle cx=\"14\" cy=\"14\" r=\"7\" fill=\"#5c2d91\"/>"
            + "<text x=\"34\" y=\"20\" font-family=\"sans-serif\" font-size=\"16\" font-weight=\"bold\" fill=\"#ffffff\">FAB</text></svg>";
        await page.GetByLabel("Organization name").FillAsync("Fabrikam");
        await page.GetByLabel("Primary colour").FillAsync("#5C2D91");
        await page.GetByLabel("Dark", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Logo", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = "fabrikam.svg", MimeType = "image/svg+xml", Buffer = Encoding.UTF8.GetBytes(Logo) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "The current logo" })).ToBeVisibleAsync();
        Assert.Equal("#5c2d91", await page.GetByLabel("Primary colour").InputValueAsync());
        await admin.CheckAsync("branding-saved");
        var stored = await portal.Host.OkAsync(HttpMethod.Get, $"{Svc}/portalsettings/branding");
        Assert.Equal(("#5c2d91", "dark"), ((string?)stored["properties"]!["primaryColor"], (string?)stored["properties"]!["defaultTheme"]));

        // The developer portal, anonymous: the name, the colour, the logo (sanitized, served inert) and the dark theme.
        await using var visitor = await portal.NewPageAsync(nameof(Branding_SetInThePublisherPortal_ShowsOnTheDeveloperPortal_NameColourLogoAndDarkTheme) + "-visitor");
        var dev = visitor.Page;
        var logoResponse = dev.WaitForResponseAsync(r => r.Url.Contains("/branding/logo", StringComparison.Ordinal));
        await dev.GotoAsync("/");
        await Assertions.Expect(dev.Locator(".brand")).ToHaveTextAsync("Fabrikam developer portal");
        await Assertions.Expect(dev.GetByRole(AriaRole.Heading, new() { Name = "Welcome to the Fabrikam developer portal" })).ToBeVisibleAsync();
        await Assertions.Expect(dev.Locator(".portal-shell")).ToHaveAttributeAsync("data-theme", "dark");
        Assert.Equal("rgb(92, 45, 145)", await dev.Locator(".topbar").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
        Assert.Equal("rgb(255, 255, 255)", await dev.Locator(".topbar .brand").EvaluateAsync<string>("e => getComputedStyle(e).color"));
        Assert.Equal("rgb(27, 27, 27)", await dev.Locator(".portal-shell").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
        var served = await logoResponse;
        Assert.Equal("image/svg+xml", served.Headers["content-type"]);
        Assert.Contains("sandbox", served.Headers["content-security-policy"], StringComparison.Ordinal);
        var svg = await served.TextAsync();
        Assert.Contains("<circle", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("logoRan", svg, StringComparison.Ordinal);
        Assert.True(await dev.Locator("img.brand-logo").EvaluateAsync<bool>("i => i.complete && i.naturalWidth > 0"), "The logo did not load.");
        Assert.Null(await dev.EvaluateAsync<int?>("() => window.logoRan"));
        await visitor.CheckAsync("developer-dark");

        // The visitor's own choice: light, kept from page to page (a cookie, no script).
        await dev.GetByRole(AriaRole.Button, new() { Name = "Switch to the light theme" }).ClickAsync();
        await Assertions.Expect(dev.Locator(".portal-shell")).ToHaveAttributeAsync("data-theme", "light");
        await Assertions.Expect(dev.GetByRole(AriaRole.Heading, new() { Name = "Welcome to the Fabrikam developer portal" })).ToBeVisibleAsync();
        await dev.GetByRole(AriaRole.Navigation, new() { Name = "Developer portal" }).GetByRole(AriaRole.Link, new() { Name = "APIs" }).ClickAsync();
        await dev.WaitForURLAsync("**/apis");
        await dev.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await Assertions.Expect(dev.Locator(".portal-shell")).ToHaveAttributeAsync("data-theme", "light");
        Assert.Equal("rgb(92, 45, 145)", await dev.Locator(".topbar").EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor"));
        await visitor.CheckAsync("developer-light");
        await dev.GetByRole(AriaRole.Button, new() { Name = "Switch to the dark theme" }).ClickAsync();
        await Assertions.Expect(dev.Locator(".portal-shell")).ToHaveAttributeAsync("data-theme", "dark");
        await Assertions.Expect(dev.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
        await visitor.CheckAsync("developer-apis-dark");

        // The switch goes back only to an address of the portal.
        using (var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(portal.PortalUrl) })
        {
            foreach (var (back, expected) in new[] { ("/apis?product=starter", "/apis?product=starter"), ("//evil.example/", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/") })
            {
                using var switched = await http.PostAsync("/theme", new FormUrlEncodedContent(new Dictionary<string, string> { ["theme"] = "dark", ["returnUrl"] = back }));
                Assert.Equal(HttpStatusCode.Redirect, switched.StatusCode);
                Assert.Equal(expected, switched.Headers.Location!.OriginalString);
                Assert.Contains("tollgate-theme=dark", switched.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);
            }
        }

        // A light colour gets dark text; removing the logo brings back the icon.
        await page.GetByLabel("Primary colour").FillAsync("#ffd700");
        await page.GetByLabel("Light", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Remove the logo").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "The current logo" })).ToHaveCountAsync(0);
        await dev.Context.ClearCookiesAsync();
        await dev.GotoAsync("/");
        await Assertions.Expect(dev.Locator(".portal-shell")).ToHaveAttributeAsync("data-theme", "light");
        Assert.Equal("rgb(36, 36, 36)", await dev.Locator(".topbar .brand").EvaluateAsync<string>("e => getComputedStyle(e).color"));
        Assert.Equal(0, await dev.Locator("img.brand-logo").CountAsync());
        await visitor.CheckAsync("developer-gold");
    }

    private static async Task SignInAsync(IPage page, string email)
    {
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }
}
