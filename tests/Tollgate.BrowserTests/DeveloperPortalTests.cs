using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tollgate.BrowserTests.Infrastructure;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Studio.Api;
using Tollgate.Tests.Common;

namespace Tollgate.BrowserTests;

/// <summary>
/// The developer portal in a browser (the portal's root): the catalogue for anonymous visitors, sign-up and sign-in,
/// subscribing, keys that only their owner sees, and Try it on RRS Execute as the walkthrough's last step does it.
/// The instance is the walkthrough's <c>demoazureml</c> with its API, set up through the management API.
/// </summary>
public sealed class DeveloperPortalTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    private const string RrsBody = """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{}}""";
    private const string Password = "correct horse battery";
    private static readonly ConditionalWeakTable<PortalFixture, Task<StudioTutorialSetup.Published>> Worlds = [];

    private static string Svc => TollgateHost.ServicePath(TutorialSetup.ServiceName);

    /// <summary>Part 1 in Studio and Part 2 steps 1–3 through the management API, once per server.</summary>
    private Task<StudioTutorialSetup.Published> WorldAsync()
    {
        lock (Worlds)
        {
            if (!Worlds.TryGetValue(portal, out var world))
            {
                world = SetUpAsync(portal.Host);
                Worlds.Add(portal, world);
            }

            return world;
        }
    }

    /// <summary>Fills Try it on RRS Execute as the walkthrough does: workspace, service, 2.0, true, Content-Type, the ML key, the tutorial's body.</summary>
    internal static async Task FillRrsExecuteAsync(IPage page, StudioTutorialSetup.Published published)
    {
        await page.GetByLabel("workspace", new() { Exact = true }).FillAsync(published.WorkspaceId);
        await page.GetByLabel("service", new() { Exact = true }).FillAsync(published.EndpointId);
        await page.GetByLabel("apiversion", new() { Exact = true }).FillAsync("2.0");
        await page.GetByLabel("details", new() { Exact = true }).FillAsync("true");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add header" }).ClickAsync();
        await page.GetByLabel("Header 2 name").FillAsync("Content-Type");
        await page.GetByLabel("Header 2 value").FillAsync("application/json");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add header" }).ClickAsync();
        await page.GetByLabel("Header 3 name").FillAsync("Authorization");
        await page.GetByLabel("Header 3 value").FillAsync("Bearer " + published.PrimaryKey);
        await page.GetByLabel("Request body").FillAsync(RrsBody);
    }

    /// <summary>Part 1 in Studio and Part 2 steps 1–3 through the management API: the walkthrough's instance, its API and products.</summary>
    internal static async Task<StudioTutorialSetup.Published> SetUpAsync(TollgateHost host)
    {
        using var studio = new HttpClient();
        var workspaceToken = host.Server.StudioServices!.GetRequiredService<StudioWorkspace>().Current.AuthorizationToken;
        var published = await StudioTutorialSetup.RunAsync(studio, host.Server.Settings.Studio.Url, workspaceToken, CancellationToken.None);
        await host.PutAsync(Svc, new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } });
        await host.PutAsync($"{Svc}/apis/{TutorialSetup.ApiId}", new
        {
            properties = new
            {
                displayName = "AzureML Demo API",
                // Markdown, with what a sanitizer must remove.
                description = "Azure ML Studio (classic) **RRS and BES** web service.<script>window.injected = 1</script> [bad link](javascript:alert(1))",
                serviceUrl = host.Server.Settings.Studio.Url,
                path = "azureml-demo",
                protocols = new[] { "https" },
            },
        });
        foreach (var (id, method, template, name, parameters) in TutorialSetup.Operations)
        {
            await host.PutAsync($"{Svc}/apis/{TutorialSetup.ApiId}/operations/{id}", new
            {
                properties = new
                {
                    displayName = name,
                    method,
                    urlTemplate = template,
                    description = name == "RRS Execute" ? "Scores one or more rows: the *request-response* service." : null,
                    templateParameters = parameters.Select(p => new { name = p, type = "string", required = true }).ToArray(),
                    responses = new[] { new { statusCode = 200, description = "OK" } },
                },
            });
        }

        await host.PutAsync($"{Svc}/products/starter/apis/{TutorialSetup.ApiId}", new { });
        await host.PutAsync($"{Svc}/products/unlimited/apis/{TutorialSetup.ApiId}", new { });
        return published;
    }

    [Fact]
    public async Task Catalogue_IsBrowsableAnonymously_WithSearchProductsAndDeepLinks_ButNoKeys()
    {
        await WorldAsync();
        await portal.Host.PutAsync($"{Svc}/tags/ml", new { properties = new { displayName = "Machine learning" } });
        await portal.Host.PutAsync($"{Svc}/apis/{TutorialSetup.ApiId}/tags/ml", new { });
        await using var p = await portal.NewPageAsync(nameof(Catalogue_IsBrowsableAnonymously_WithSearchProductsAndDeepLinks_ButNoKeys));
        var page = p.Page;
        await page.GotoAsync("/");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome to the Contoso ML developer portal" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Account" }).GetByRole(AriaRole.Link, new() { Name = "Sign up" })).ToBeVisibleAsync();
        await p.CheckAsync("home");

        // The catalogue: search, product filter, and each state is a link of its own.
        await page.GetByRole(AriaRole.Link, new() { Name = "Explore APIs" }).ClickAsync();
        await page.WaitForURLAsync("**/apis");
        await page.GetByLabel("Search APIs").FillAsync("azureml");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.WaitForURLAsync("**/apis?search=azureml**");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToContainTextAsync("/azureml-demo");
        await p.CheckAsync("apis-search");
        await page.GotoAsync("/apis?search=no-such-api");
        await Assertions.Expect(page.GetByText("No API matches.")).ToBeVisibleAsync();
        await page.GotoAsync("/apis");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Products" }).GetByRole(AriaRole.Link, new() { Name = "Starter" }).ClickAsync();
        await page.WaitForURLAsync("**/apis?product=starter");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToBeVisibleAsync();
        await p.CheckAsync("apis-product");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Tags" }).GetByRole(AriaRole.Link, new() { Name = "Machine learning" }).ClickAsync();
        await page.WaitForURLAsync("**/apis?tag=ml");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Tags" }).GetByRole(AriaRole.Link, new() { Name = "Machine learning" })).ToHaveAttributeAsync("aria-current", "true");
        await p.CheckAsync("apis-tag");
        await page.GotoAsync("/apis?tag=no-such-tag");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("There is no tag 'no-such-tag'.");
        await page.GotoAsync("/apis?tag=ml");

        // The API: Markdown rendered, what is unsafe removed; its tags and operations.
        await page.GetByRole(AriaRole.Link, new() { Name = "AzureML Demo API" }).ClickAsync();
        await Assertions.Expect(page.Locator("dl.facts a.tag[href='/apis?tag=ml']")).ToHaveTextAsync("Machine learning");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "AzureML Demo API", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".description strong")).ToHaveTextAsync("RRS and BES");
        Assert.Equal(0, await page.Locator(".description script").CountAsync());
        Assert.Equal(0, await page.Locator("a[href^='javascript']").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.injected"));
        await Assertions.Expect(page.Locator("#base-url")).ToContainTextAsync("https://demoazureml.localhost:");
        await p.CheckAsync("api");

        // The operation: URL template, parameters, samples without any key, Try it without one.
        await page.GetByRole(AriaRole.Link, new() { Name = "RRS Execute" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "RRS Execute", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#request-url")).ToContainTextAsync("/azureml-demo/workspaces/{workspace}/services/{service}/execute?api-version={apiversion}&details={details}");
        await Assertions.Expect(page.Locator(".description em")).ToHaveTextAsync("request-response");
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "apiversion", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#sample-curl")).ToContainTextAsync("Ocp-Apim-Subscription-Key: {subscription key}");
        await Assertions.Expect(page.Locator("#sample-python")).ToContainTextAsync("import requests");
        await p.WaitReadyAsync(".try-it");
        await Assertions.Expect(page.Locator(".try-it")).ToContainTextAsync("Sign in to have your subscription key filled in");
        Assert.Equal("", await page.GetByLabel("Header 1 value").InputValueAsync());
        await p.CheckAsync("operation");

        // The OpenAPI document, and pages that need a session send to the developer's sign-in (not the administrator's).
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(portal.PortalUrl) };
        using (var openApi = await http.GetAsync($"/apis/{TutorialSetup.ApiId}/openapi.json"))
        {
            Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
            var document = JsonNode.Parse(await openApi.Content.ReadAsStringAsync())!;
            Assert.StartsWith("3.", (string?)document["openapi"]);
            Assert.Contains("RRS Execute", document.ToJsonString(), StringComparison.Ordinal);
        }

        foreach (var path in new[] { "/subscriptions", "/profile" })
        {
            using var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/signin?ReturnUrl=", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }

        await page.GotoAsync("/products");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Unlimited" })).ToContainTextAsync("Needs an administrator's approval");
        await p.CheckAsync("products");
        await page.GetByRole(AriaRole.Link, new() { Name = "Starter" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in" }).Last).ToBeVisibleAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).CountAsync());
        await p.CheckAsync("product");
    }

    [Fact]
    public async Task Catalogue_FiltersByTheTagsThePublisherSet_AndGroupsTheApisByTag()
    {
        await WorldAsync();
        await portal.Host.PutAsync($"{Svc}/tags/ml", new { properties = new { displayName = "Machine learning" } });
        await portal.Host.PutAsync($"{Svc}/tags/forecasting", new { properties = new { displayName = "Forecasting" } });
        await portal.Host.PutAsync($"{Svc}/apis/{TutorialSetup.ApiId}/tags/ml", new { });
        await portal.Host.PutAsync($"{Svc}/apis/demand-forecast", new
        {
            properties = new { displayName = "Demand Forecast API", description = "Forecasts the demand of each week.", serviceUrl = "http://127.0.0.1:9/", path = "forecast", protocols = new[] { "https" } },
        });
        await portal.Host.PutAsync($"{Svc}/apis/demand-forecast/tags/forecasting", new { });
        await portal.Host.PutAsync($"{Svc}/apis/demand-forecast/tags/ml", new { });
        await portal.Host.PutAsync($"{Svc}/apis/holiday-calendar", new
        {
            properties = new { displayName = "Holiday Calendar API", description = "Public holidays, no tag.", serviceUrl = "http://127.0.0.1:9/", path = "holidays", protocols = new[] { "https" } },
        });
        await using var p = await portal.NewPageAsync(nameof(Catalogue_FiltersByTheTagsThePublisherSet_AndGroupsTheApisByTag));
        var page = p.Page;
        var table = page.GetByRole(AriaRole.Table, new() { Name = "APIs" });

        // One tag: only the APIs carrying it; the box stays ticked on the page the form leads to.
        await page.GotoAsync("/apis");
        var tags = page.GetByRole(AriaRole.Group, new() { Name = "Tags" });
        await tags.GetByRole(AriaRole.Checkbox, new() { Name = "Forecasting" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.WaitForURLAsync("**/apis?*tag=forecasting*");
        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "Demand Forecast API" })).ToContainTextAsync("/forecast");
        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToHaveCountAsync(0);
        await Assertions.Expect(tags.GetByRole(AriaRole.Checkbox, new() { Name = "Forecasting" })).ToBeCheckedAsync();
        await p.CheckAsync("apis-one-tag");

        // Two tags: the APIs carrying either, each listed once though one carries both.
        await tags.GetByRole(AriaRole.Checkbox, new() { Name = "Machine learning" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("tag=forecasting", StringComparison.Ordinal) && url.Contains("tag=ml", StringComparison.Ordinal));
        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "Demand Forecast API" })).ToHaveCountAsync(1);
        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToHaveCountAsync(1);

        // With a search, and with a product the forecast API is not in.
        await page.GotoAsync("/apis?tag=forecasting&tag=ml&search=azureml");
        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "Demand Forecast API" })).ToHaveCountAsync(0);
        await Assertions.Expect(table.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToHaveCountAsync(1);
        await page.GotoAsync("/apis?tag=forecasting&product=starter");
        await Assertions.Expect(page.GetByText("No API matches.")).ToBeVisibleAsync();

        // Grouped by tag: each API under every tag it carries, from a box of the form.
        await page.GotoAsync("/apis");
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Group by tag" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.WaitForURLAsync("**/apis?*group=tag*");
        var forecasting = page.GetByRole(AriaRole.Region, new() { Name = "Forecasting" });
        var ml = page.GetByRole(AriaRole.Region, new() { Name = "Machine learning" });
        await Assertions.Expect(forecasting.GetByRole(AriaRole.Heading, new() { Name = "Forecasting", Level = 2 })).ToBeVisibleAsync();
        await Assertions.Expect(forecasting.GetByRole(AriaRole.Row).Filter(new() { HasText = "Demand Forecast API" })).ToHaveCountAsync(1);
        await Assertions.Expect(forecasting.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToHaveCountAsync(0);
        await Assertions.Expect(ml.GetByRole(AriaRole.Row).Filter(new() { HasText = "Demand Forecast API" })).ToHaveCountAsync(1);
        await Assertions.Expect(ml.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Untagged" }).GetByRole(AriaRole.Row).Filter(new() { HasText = "Holiday Calendar API" })).ToHaveCountAsync(1);
        await Assertions.Expect(ml.GetByRole(AriaRole.Row).Filter(new() { HasText = "Holiday Calendar API" })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "Group by tag" })).ToBeCheckedAsync();
        await p.CheckAsync("apis-grouped-by-tag");

        // A tag link keeps the grouping and shows that tag's group only.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Tags" }).GetByRole(AriaRole.Link, new() { Name = "Forecasting" }).ClickAsync();
        await page.WaitForURLAsync("**/apis?tag=forecasting&group=tag");
        await Assertions.Expect(forecasting).ToBeVisibleAsync();
        await Assertions.Expect(ml).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Walkthrough_SignUpSubscribeAndTryItOnRrsExecute_ShowsTheHashedFeatures()
    {
        var published = await WorldAsync();
        await using var p = await portal.NewPageAsync(nameof(Walkthrough_SignUpSubscribeAndTryItOnRrsExecute_ShowsTheHashedFeatures));
        var page = p.Page;

        // Sign up: bad input is shown next to its field with the input kept (the password never comes back).
        await page.GotoAsync("/signup");
        await page.GetByLabel("E-mail").FillAsync("ada@contoso.example");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("short");
        await page.GetByLabel("First name").FillAsync("Ada");
        await page.GetByLabel("Last name").FillAsync("Lovelace");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Assertions.Expect(page.Locator("#password-error")).ToContainTextAsync("at least 8 characters");
        await Assertions.Expect(page.Locator("#terms-error")).ToContainTextAsync("Agree to the terms of use");
        Assert.Equal("ada@contoso.example", await page.GetByLabel("E-mail").InputValueAsync());
        Assert.Equal("", await page.GetByLabel("Password", new() { Exact = true }).InputValueAsync());
        await p.CheckAsync("signup-errors");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByLabel("Confirm password").FillAsync(Password);
        await page.GetByLabel("I agree to the terms of use").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("we sent an e-mail to ada@contoso.example");
        var user = await portal.Host.OkAsync(HttpMethod.Get, $"{Svc}/users/ada");
        Assert.Equal("ada@contoso.example", (string?)user["properties"]!["email"]);
        Assert.Equal("pending", (string?)user["properties"]!["state"]);
        await p.CheckAsync("signed-up");

        // The confirmation e-mail (no SMTP server here: an .eml file in {data}/mail) links to /confirm, which works once.
        var confirmLink = await portal.MailedLinkAsync("ada@contoso.example", "confirm");
        await page.GotoAsync(confirmLink.PathAndQuery);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm my account" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is confirmed");
        await p.CheckAsync("confirmed");
        await page.GotoAsync(confirmLink.PathAndQuery);
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm my account" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not valid");

        await page.GotoAsync("/signin");
        await page.GetByLabel("E-mail").FillAsync("ada@contoso.example");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.GotoAsync("/products");

        // Subscribe to Starter (active at once) and to Unlimited (submitted until approved).
        await page.GetByRole(AriaRole.Link, new() { Name = "Unlimited" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await page.WaitForURLAsync("**/subscriptions?subscribed=**");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("submitted: an administrator approves it");
        await page.GotoAsync("/products/starter");
        await page.GetByLabel("Subscription name").FillAsync("Ada's starter");
        await p.CheckAsync("product-subscribe");
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await page.WaitForURLAsync("**/subscriptions?subscribed=**");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("You are subscribed");
        var starter = page.GetByRole(AriaRole.Region, new() { Name = "Subscription Ada's starter" });
        await Assertions.Expect(starter.Locator(".state")).ToHaveTextAsync("active");
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Subscription Unlimited" }).Locator(".state")).ToHaveTextAsync("submitted");

        // Keys are hidden until asked for.
        Assert.Equal("password", await starter.GetByLabel("Primary key", new() { Exact = true }).GetAttributeAsync("type"));
        await p.CheckAsync("subscriptions");
        await starter.GetByRole(AriaRole.Button, new() { Name = "Show keys of Ada's starter" }).ClickAsync();
        var shown = page.GetByRole(AriaRole.Region, new() { Name = "Subscription Ada's starter" });
        await Assertions.Expect(shown.GetByLabel("Primary key", new() { Exact = true })).ToHaveAttributeAsync("type", "text");
        var key = await shown.GetByLabel("Primary key", new() { Exact = true }).InputValueAsync();
        Assert.Matches("^[0-9a-f]{32}$", key);
        await p.CheckAsync("keys-shown");

        // A second subscription to Starter is refused: its limit is one per developer.
        await page.GotoAsync("/products/starter");
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("its limit");

        // Part 2 step 4: APIs → AzureML Demo API → RRS Execute → Try it.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Developer portal" }).GetByRole(AriaRole.Link, new() { Name = "APIs" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "AzureML Demo API" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "RRS Execute" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "RRS Execute", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#sample-curl")).ToContainTextAsync("Ocp-Apim-Subscription-Key: " + key);
        await p.WaitReadyAsync(".try-it");
        Assert.Equal(key, await page.GetByLabel("Header 1 value").InputValueAsync());
        await FillRrsExecuteAsync(page, published);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();

        await Assertions.Expect(page.Locator("#try-status")).ToHaveTextAsync("200 OK", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#try-requested-url")).ToContainTextAsync(
            $"/azureml-demo/workspaces/{published.WorkspaceId}/services/{published.EndpointId}/execute?api-version=2.0&details=true");
        await Assertions.Expect(page.Locator("#try-headers")).ToContainTextAsync("Content-Type: application/json");
        var content = await page.Locator("#try-content").InnerTextAsync();
        var values = JsonNode.Parse(content)!["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray().Select(v => (string?)v);
        Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], values);
        // Formatted: one property per line.
        Assert.Contains("\n", content, StringComparison.Ordinal);
        await p.CheckAsync("try-it");

        await page.GetByRole(AriaRole.Button, new() { Name = "Copy as curl" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("curl", new() { Exact = true })).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^curl -X POST 'https://demoazureml\\.localhost:"));
        await p.CheckAsync("copy-curl");
    }

    [Fact]
    public async Task ForgottenPassword_TheEmailedLinkSetsANewOne_Once()
    {
        await WorldAsync();
        await portal.Host.PutAsync($"{Svc}/users/hedy", new { properties = new { email = "hedy@contoso.example", firstName = "Hedy", lastName = "Lamarr", password = Password } });
        await using var p = await portal.NewPageAsync(nameof(ForgottenPassword_TheEmailedLinkSetsANewOne_Once));
        var page = p.Page;
        await page.GotoAsync("/signin");
        await page.GetByRole(AriaRole.Link, new() { Name = "Forgot your password?" }).ClickAsync();
        // Enhanced navigation swaps the page in place: typing before the new form is there would fill the old one.
        await page.WaitForURLAsync("**/forgot-password");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Send the link" })).ToBeVisibleAsync();
        await page.GetByLabel("E-mail").FillAsync("hedy@contoso.example");
        await Assertions.Expect(page.GetByLabel("E-mail")).ToHaveValueAsync("hedy@contoso.example");
        await p.CheckAsync("forgot-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the link" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("we sent it a link");

        var link = await portal.MailedLinkAsync("hedy@contoso.example", "reset-password");
        await page.GotoAsync(link.PathAndQuery);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("a brand new password");
        await page.GetByLabel("Confirm the new password").FillAsync("another password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change the password" }).ClickAsync();
        await Assertions.Expect(page.Locator("#confirmPassword-error")).ToContainTextAsync("The two passwords differ.");
        Assert.Equal("", await page.GetByLabel("New password", new() { Exact = true }).InputValueAsync());
        await p.CheckAsync("reset-password-errors");
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("a brand new password");
        await page.GetByLabel("Confirm the new password").FillAsync("a brand new password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change the password" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your password is changed.");
        await p.CheckAsync("reset-password-done");

        // The link works once.
        await page.GotoAsync(link.PathAndQuery);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("yet another password");
        await page.GetByLabel("Confirm the new password").FillAsync("yet another password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change the password" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("This link is not valid");

        await page.GotoAsync("/signin");
        await page.GetByLabel("E-mail").FillAsync("hedy@contoso.example");
        await page.GetByLabel("Password").FillAsync("a brand new password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        // Signed in: the subscriptions page opens instead of sending to the sign-in.
        await page.GotoAsync("/subscriptions");
        Assert.EndsWith("/subscriptions", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondDeveloper_SeesNoneOfTheFirstDevelopersKeys_ThroughThePagesOrTheirForms()
    {
        await WorldAsync();
        var host = portal.Host;
        // Grace has an active Starter subscription; Linus signs in with his own account.
        await host.PutAsync($"{Svc}/users/grace", new { properties = new { email = "grace@contoso.example", firstName = "Grace", lastName = "Hopper", password = Password } });
        var graceKey = await host.CreateSubscriptionAsync(TutorialSetup.ServiceName, "grace-starter", "/products/starter", "/users/grace");
        await host.PutAsync($"{Svc}/users/linus", new { properties = new { email = "linus@contoso.example", firstName = "Linus", lastName = "Torvalds", password = Password } });
        var linusKey = await host.CreateSubscriptionAsync(TutorialSetup.ServiceName, "linus-starter", "/products/starter", "/users/linus");

        await using var p = await portal.NewPageAsync(nameof(SecondDeveloper_SeesNoneOfTheFirstDevelopersKeys_ThroughThePagesOrTheirForms));
        var page = p.Page;
        await page.GotoAsync("/subscriptions");
        await page.WaitForURLAsync("**/signin?ReturnUrl=%2Fsubscriptions");
        await page.GetByLabel("E-mail").FillAsync("linus@contoso.example");
        await page.GetByLabel("Password").FillAsync("not his password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The e-mail or password is not correct.");
        await p.CheckAsync("signin-wrong");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/subscriptions");

        // His page lists his subscription only; shown keys are his.
        await Assertions.Expect(page.Locator("section.subscription")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show keys of linus-starter" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Primary key", new() { Exact = true })).ToHaveValueAsync(linusKey);
        Assert.DoesNotContain(graceKey, await page.ContentAsync(), StringComparison.Ordinal);
        await p.CheckAsync("own-keys");

        // A form forged for Grace's subscription (his own page's token, her subscription's handler) shows nothing of hers.
        var token = await page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();
        foreach (var (handler, action) in new[] { ("keys-grace-starter", "show"), ("keys-grace-starter", "regeneratePrimaryKey"), ("cancel-grace-starter", "") })
        {
            var forged = await page.Context.APIRequest.PostAsync("/subscriptions", new()
            {
                Form = FormOf(page.Context.APIRequest, ("_handler", handler), ("__RequestVerificationToken", token), ("keys", action)),
            });
            Assert.DoesNotContain(graceKey, await forged.TextAsync(), StringComparison.Ordinal);
        }

        var grace = await host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/grace-starter");
        Assert.Equal("active", (string?)grace["properties"]!["state"]);
        Assert.Equal(graceKey, (string?)(await host.OkAsync(HttpMethod.Post, $"{Svc}/subscriptions/grace-starter/listSecrets"))["primaryKey"]);

        // Try it offers his keys only.
        await page.GotoAsync($"/apis/{TutorialSetup.ApiId}/operations/rrs-execute");
        await p.WaitReadyAsync(".try-it");
        Assert.Equal(linusKey, await page.GetByLabel("Header 1 value").InputValueAsync());
        var options = await page.GetByLabel("Subscription key").Locator("option").AllInnerTextsAsync();
        Assert.Equal(["linus-starter (primary)", "linus-starter (secondary)"], options);
        Assert.DoesNotContain(graceKey, await page.ContentAsync(), StringComparison.Ordinal);

        // Signing out ends his session: the subscriptions page asks for a sign-in again.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(portal.PortalUrl + "/");
        await page.GotoAsync("/subscriptions");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);

        // An administrator's session is not a developer's, and the other way round.
        await page.GotoAsync("/admin");
        await p.SignInAsync();
        await page.GotoAsync("/subscriptions");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryIt_ShowsCsvAsATable_ABigBodyCut_And401_429_502Properly()
    {
        await WorldAsync();
        var host = portal.Host;
        await using var backend = await RecordingBackend.StartAsync();
        await host.PutAsync($"{Svc}/apis/edge", new { properties = new { displayName = "Edge cases", serviceUrl = backend.Url, path = "edge", protocols = new[] { "https" } } });
        await host.PutAsync($"{Svc}/apis/edge/operations/data", new { properties = new { displayName = "Get data", method = "GET", urlTemplate = "/data" } });
        await host.PutAsync($"{Svc}/apis/edge/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><rate-limit calls=\"3\" renewal-period=\"300\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });
        await host.PutAsync($"{Svc}/users/edgar", new { properties = new { email = "edgar@contoso.example", firstName = "Edgar", lastName = "Codd", password = Password } });
        var key = await host.CreateSubscriptionAsync(TutorialSetup.ServiceName, "edgar-edge", "/apis/edge", "/users/edgar");

        await using var p = await portal.NewPageAsync(nameof(TryIt_ShowsCsvAsATable_ABigBodyCut_And401_429_502Properly));
        var page = p.Page;
        await page.GotoAsync("/signin?ReturnUrl=%2Fapis%2Fedge%2Foperations%2Fdata");
        await page.GetByLabel("E-mail").FillAsync("edgar@contoso.example");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/apis/edge/operations/data");
        await p.WaitReadyAsync(".try-it");
        Assert.Equal(key, await page.GetByLabel("Header 1 value").InputValueAsync());
        var send = page.GetByRole(AriaRole.Button, new() { Name = "Send" });

        // CSV: a table, quoted fields kept whole.
        backend.Response = ("text/csv", "name,score\r\nada,\"1,5\"\r\ngrace,2\r\n");
        await send.ClickAsync();
        await Assertions.Expect(page.Locator("#try-status")).ToHaveTextAsync("200 OK");
        await Assertions.Expect(page.Locator("#try-content table th")).ToHaveTextAsync(["name", "score"]);
        await Assertions.Expect(page.Locator("#try-content table tbody tr").Nth(0).Locator("td")).ToHaveTextAsync(["ada", "1,5"]);
        await p.CheckAsync("try-csv");

        // 5 MB: shown in part, with what was cut said.
        backend.Response = ("text/plain", new string('x', 5 * 1024 * 1024));
        await send.ClickAsync();
        await Assertions.Expect(page.Locator("#try-content-note")).ToHaveTextAsync("Showing the first 256 KB of 5.0 MB.");
        await Assertions.Expect(page.Locator("#try-status")).ToHaveTextAsync("200 OK");
        Assert.Equal(256 * 1024, (await page.Locator("#try-content").InnerTextAsync()).Trim().Length);
        await p.CheckAsync("try-big");

        // 502 from the backend: the status and its body.
        backend.StatusCode = 502;
        backend.Response = ("application/json", "{\"error\":\"model down\"}");
        await send.ClickAsync();
        await Assertions.Expect(page.Locator("#try-status")).ToHaveTextAsync("502 Bad Gateway");
        await Assertions.Expect(page.Locator("#try-content")).ToContainTextAsync("\"error\": \"model down\"");

        // The fourth call in the window: the gateway's 429 with its Retry-After.
        await send.ClickAsync();
        await Assertions.Expect(page.Locator("#try-status")).ToHaveTextAsync("429 Too Many Requests");
        await Assertions.Expect(page.Locator("#try-headers")).ToContainTextAsync("Retry-After:");
        await Assertions.Expect(page.Locator("#try-content")).ToContainTextAsync("\"statusCode\": 429");
        await p.CheckAsync("try-429");

        // Without a key: the gateway's 401, in APIM's shape.
        await page.GetByLabel("Header 1 value").FillAsync("");
        await send.ClickAsync();
        await Assertions.Expect(page.Locator("#try-status")).ToHaveTextAsync("401 Unauthorized");
        await Assertions.Expect(page.Locator("#try-content")).ToContainTextAsync("\"statusCode\": 401");
        await p.CheckAsync("try-401");
        Assert.Equal(3, backend.Requests.Count);
    }

    [Fact]
    public async Task Subscriptions_AreRenamedRegeneratedAndCancelled_AndTheProfileChangesNameAndPassword()
    {
        await WorldAsync();
        var host = portal.Host;
        await host.PutAsync($"{Svc}/users/barbara", new { properties = new { email = "barbara@contoso.example", firstName = "Barbara", lastName = "Liskov", password = Password } });
        var oldKey = await host.CreateSubscriptionAsync(TutorialSetup.ServiceName, "barbara-starter", "/products/starter", "/users/barbara");
        await host.OkAsync(HttpMethod.Patch, $"{Svc}/subscriptions/barbara-starter", new { properties = new { secondaryKeyExpiresAt = "2099-01-31T12:00:00Z" } });

        await using var p = await portal.NewPageAsync(nameof(Subscriptions_AreRenamedRegeneratedAndCancelled_AndTheProfileChangesNameAndPassword));
        var page = p.Page;
        await page.GotoAsync("/signin?ReturnUrl=%2Fsubscriptions");
        await page.GetByLabel("E-mail").FillAsync("barbara@contoso.example");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/subscriptions");

        // The keys' last use and expiry (Tollgate extensions) are shown with the subscription.
        await Assertions.Expect(page.Locator("[data-last-used=primary]")).ToHaveTextAsync("Not used yet");
        await Assertions.Expect(page.Locator("section.subscription .facts")).ToContainTextAsync("Secondary key expires2099-01-31 12:00 UTC");

        // Rename: an empty name is refused next to the field, a new one is kept.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename barbara-starter" }).ClickAsync();
        await Assertions.Expect(page.Locator("#displayName-error")).ToContainTextAsync("displayName");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Barbara's app");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename barbara-starter" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The subscription is renamed 'Barbara's app'.");
        Assert.Equal("Barbara's app", (string?)(await host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/barbara-starter"))["properties"]!["displayName"]);

        // Regenerate: the page shows the new key, the old one is gone.
        await page.GetByRole(AriaRole.Button, new() { Name = "Regenerate primary key of Barbara's app" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The primary key is regenerated");
        var newKey = await page.GetByLabel("Primary key", new() { Exact = true }).InputValueAsync();
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(newKey, (string?)(await host.OkAsync(HttpMethod.Post, $"{Svc}/subscriptions/barbara-starter/listSecrets"))["primaryKey"]);
        await p.CheckAsync("regenerated");

        // Cancel: the keys stop working.
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel subscription Barbara's app" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("cancelled");
        await Assertions.Expect(page.Locator("section.subscription .state")).ToHaveTextAsync("cancelled");
        Assert.Equal("cancelled", (string?)(await host.OkAsync(HttpMethod.Get, $"{Svc}/subscriptions/barbara-starter"))["properties"]!["state"]);

        // Profile: the name, then the password (the current one is checked).
        await page.GetByRole(AriaRole.Link, new() { Name = "Profile" }).ClickAsync();
        await Assertions.Expect(page.Locator("#profile-email")).ToHaveTextAsync("barbara@contoso.example");
        await p.CheckAsync("profile");
        await page.GetByLabel("Last name").FillAsync("Liskov-Wing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Your name is saved.");
        await Assertions.Expect(page.Locator(".who")).ToHaveTextAsync("Signed in as Barbara Liskov-Wing");
        await page.GetByLabel("Current password").FillAsync("wrong");
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("another long password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Assertions.Expect(page.Locator("#currentPassword-error")).ToHaveTextAsync("The current password is not correct.");
        await page.GetByLabel("Current password").FillAsync(Password);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("another long password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Your password is changed.");
        await p.CheckAsync("profile-changed");

        // Close the account: the user is gone and so is the session.
        await page.GetByRole(AriaRole.Button, new() { Name = "Close account" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Tick the box");
        await page.GetByLabel("I understand: close my account").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Close account" }).ClickAsync();
        await page.WaitForURLAsync("**/?closed=1");
        using var gone = await host.SendAsync(HttpMethod.Get, $"{Svc}/users/barbara");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Account" }).GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();
    }

    private static IFormData FormOf(IAPIRequestContext request, params (string Name, string Value)[] fields)
    {
        var form = request.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return form;
    }
}
