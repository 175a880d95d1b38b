using System.Net;
using System.Text;
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
/// The publisher portal in a browser: the administrator signs in, does the walkthrough's Part 2 steps 1–3 with the
/// portal's forms only, and the API works through the gateway; bad input is shown next to its field and not stored.
/// </summary>
public sealed class PublisherPortalTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    private const string RrsBody = """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{}}""";

    [Fact]
    public async Task SignIn_WrongPasswordIsRefused_AndNothingUnderAdminWithoutASession()
    {
        // Without a session every /admin page sends the browser to the sign-in form, and back after it.
        using (var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(portal.PortalUrl) })
        {
            foreach (var path in new[] { "/admin", "/admin/account", "/admin/demoazureml/apis", "/admin/demoazureml/apis/add", "/admin/x/apis/y/operations/z" })
            {
                using var response = await http.GetAsync(path);
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                Assert.StartsWith("/admin/signin", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
            }

            // A form posted without its antiforgery token is refused.
            using var signOut = await http.PostAsync("/admin/signout", new FormUrlEncodedContent([]));
            Assert.Equal(HttpStatusCode.BadRequest, signOut.StatusCode);
        }

        await using var p = await portal.NewPageAsync(nameof(SignIn_WrongPasswordIsRefused_AndNothingUnderAdminWithoutASession));
        var page = p.Page;
        await page.GotoAsync("/admin/account");
        Assert.Contains("/admin/signin?ReturnUrl=", page.Url, StringComparison.Ordinal);
        await p.CheckAsync("signin");

        await p.SignInAsync("not-the-password");
        Assert.Contains("/admin/signin", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The user name or password is not correct.");
        Assert.Equal("", await page.GetByLabel("Password").InputValueAsync());
        await p.CheckAsync("wrong-password");
        await page.GotoAsync("/admin");
        Assert.Contains("/admin/signin", page.Url, StringComparison.Ordinal);

        // The right password opens the page asked for first.
        await page.GotoAsync("/admin/account");
        await p.SignInAsync();
        Assert.EndsWith("/admin/account", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Administrator account" })).ToBeVisibleAsync();
        await p.CheckAsync("account");

        // Sign out ends the session.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/signin");
        await page.GotoAsync("/admin");
        Assert.Contains("/admin/signin", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Walkthrough_AddApiAndItsOperationsInTheBrowser_ThenRrsThroughTheGatewayReturnsTheHashedFeatures()
    {
        var host = portal.Host;
        // Part 1 (Studio): the feature-hashing experiment published as a web service, the API's backend.
        using var studio = new HttpClient();
        var workspaceToken = host.Server.StudioServices!.GetRequiredService<StudioWorkspace>().Current.AuthorizationToken;
        var published = await StudioTutorialSetup.RunAsync(studio, host.Server.Settings.Studio.Url, workspaceToken, CancellationToken.None);

        await using var p = await portal.NewPageAsync(nameof(Walkthrough_AddApiAndItsOperationsInTheBrowser_ThenRrsThroughTheGatewayReturnsTheHashedFeatures));
        var page = p.Page;
        await page.GotoAsync("/admin");
        await p.SignInAsync();
        await p.CheckAsync("instances");

        // Step 1: the instance.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("demoazureml");
        await page.GetByLabel("Organization name").FillAsync("Contoso ML");
        await page.GetByLabel("Administrator e-mail").FillAsync("admin@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/demoazureml/apis");
        await p.CheckAsync("apis-empty");

        // Step 2: Add API with the walkthrough's values.
        await page.GetByRole(AriaRole.Link, new() { Name = "Add API" }).ClickAsync();
        await page.WaitForURLAsync("**/apis/add");
        await page.GetByLabel("Web API name").FillAsync("AzureML Demo API");
        await page.GetByLabel("Web service URL").FillAsync(host.Server.Settings.Studio.Url);
        await page.GetByLabel("Web API URL suffix").FillAsync("azureml-demo");
        await page.GetByLabel("HTTPS", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Starter").CheckAsync();
        await p.CheckAsync("add-api");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.WaitForURLAsync("**/apis/azureml-demo-api/operations?created=1");

        // Step 3: the five operations.
        foreach (var (_, method, template, name, _) in TutorialSetup.Operations)
        {
            await page.GetByRole(AriaRole.Link, new() { Name = "Add operation" }).ClickAsync();
            await page.WaitForURLAsync("**/operations/add");
            await page.GetByLabel("HTTP verb").SelectOptionAsync(method);
            await p.WaitReadyAsync("#urlTemplate-field");
            await page.GetByLabel("URL template").FillAsync(template);
            await page.GetByLabel("Display name").FillAsync(name);
            if (name == "RRS Execute")
            {
                await p.CheckAsync("add-operation");
            }

            await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await page.WaitForURLAsync("**/apis/azureml-demo-api/operations");
            await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = name })).ToContainTextAsync(method + " " + template);
        }

        await p.CheckAsync("operations");
        await page.GetByRole(AriaRole.Link, new() { Name = "RRS Execute" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "RRS Execute" })).ToBeVisibleAsync();
        await p.CheckAsync("operation");
        await page.GetByRole(AriaRole.Link, new() { Name = "APIs", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToContainTextAsync("/azureml-demo");
        await page.GetByLabel("Search APIs").FillAsync("azureml");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "AzureML Demo API" })).ToBeVisibleAsync();
        await p.CheckAsync("apis");

        // The instance list shows the instance's own gateway URL ({name}.localhost on the HTTPS listener).
        await page.GetByRole(AriaRole.Link, new() { Name = "Instances", Exact = true }).First.ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "demoazureml" });
        await Assertions.Expect(row).ToBeVisibleAsync();
        var gatewayUrl = (await row.GetByRole(AriaRole.Cell).Nth(3).InnerTextAsync()).Trim();
        Assert.Equal($"https://demoazureml.localhost:{new Uri(host.Server.Settings.Gateway.HttpsUrl!).Port}", gatewayUrl);

        // Then the RRS Execute call through that gateway URL, as printed (HTTPS, as set), with the administrator's Starter key.
        var svc = TollgateHost.ServicePath("demoazureml");
        var subscriptions = await host.OkAsync(HttpMethod.Get, $"{svc}/users/1/subscriptions");
        var starter = subscriptions["value"]!.AsArray().OfType<JsonObject>()
            .First(s => ((string?)s["properties"]!["scope"])!.EndsWith("/products/starter", StringComparison.OrdinalIgnoreCase));
        var key = (string)(await host.OkAsync(HttpMethod.Post, $"{svc}/subscriptions/{(string)starter["name"]!}/listSecrets"))["primaryKey"]!;
        using var request = TollgateHost.GatewayRequest(HttpMethod.Post,
            $"{gatewayUrl}/azureml-demo/workspaces/{published.WorkspaceId}/services/{published.EndpointId}/execute?api-version=2.0&details=true", key, RrsBody);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + published.PrimaryKey);
        using var gateway = HostNameClient.Create();
        using var response = await gateway.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var values = JsonNode.Parse(body)!["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray().Select(v => (string?)v);
        Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], values);

        // The instance's own publisher portal (portalUrl, on {name}.portal.localhost) opens that instance.
        var portalUrl = (string)(await host.OkAsync(HttpMethod.Get, svc))["properties"]!["portalUrl"]!;
        Assert.Equal($"http://demoazureml.portal.localhost:{new Uri(portal.PortalUrl).Port}/admin", portalUrl);
        await page.GotoAsync(portalUrl);
        await p.SignInAsync();
        await page.WaitForURLAsync("http://demoazureml.portal.localhost:*/admin/demoazureml/dashboard");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
        await p.CheckAsync("instance-portal");
    }

    [Fact]
    public async Task BadInput_IsShownNextToItsField_WithTheInputKept_AndNothingIsStored()
    {
        var host = portal.Host;
        var svc = TollgateHost.ServicePath("badinput");
        await host.PutAsync(svc, new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } });
        await host.PutAsync($"{svc}/apis/orders", new { properties = new { displayName = "Orders", serviceUrl = "http://127.0.0.1:9/orders", path = "orders", protocols = new[] { "https" } } });

        await using var p = await portal.NewPageAsync(nameof(BadInput_IsShownNextToItsField_WithTheInputKept_AndNothingIsStored));
        var page = p.Page;
        await page.GotoAsync("/admin/badinput/apis/add");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/badinput/apis/add");

        // A URL suffix another API uses.
        await page.GetByLabel("Web API name").FillAsync("Orders again");
        await page.GetByLabel("Web service URL").FillAsync("http://127.0.0.1:9/other");
        await page.GetByLabel("Web API URL suffix").FillAsync("orders");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#path-error")).ToContainTextAsync("The path 'orders' is already used by API 'orders'");
        Assert.Equal("Orders again", await page.GetByLabel("Web API name").InputValueAsync());
        Assert.Equal("orders", await page.GetByLabel("Web API URL suffix").InputValueAsync());
        await p.CheckAsync("used-suffix");

        // A web service URL that is not http(s).
        await page.GetByLabel("Web service URL").FillAsync("ftp://files.example/models");
        await page.GetByLabel("Web API URL suffix").FillAsync("orders-v2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#serviceUrl-error")).ToContainTextAsync("'serviceUrl' must be an absolute http or https URL");
        Assert.Equal("ftp://files.example/models", await page.GetByLabel("Web service URL").InputValueAsync());
        await Assertions.Expect(page.Locator("#path-error")).ToHaveCountAsync(0);
        await p.CheckAsync("bad-service-url");
        Assert.Equal(1, (int)(await host.OkAsync(HttpMethod.Get, $"{svc}/apis"))["count"]!);

        // A URL template with an unclosed '{': said as it is typed, with management's own message, and again on save.
        await page.GotoAsync("/admin/badinput/apis/orders/operations/add");
        await p.WaitReadyAsync("#urlTemplate-field");
        await page.GetByLabel("HTTP verb").SelectOptionAsync("GET");
        await page.GetByLabel("URL template").PressSequentiallyAsync("/orders/{id");
        await Assertions.Expect(page.Locator("#urlTemplate-check")).ToContainTextAsync("'urlTemplate'");
        await p.CheckAsync("template-checked-as-typed");
        await page.GetByLabel("URL template").PressAsync("}");
        await Assertions.Expect(page.Locator("#urlTemplate-check")).ToHaveTextAsync("Template parameters: id");
        await page.GetByLabel("URL template").PressAsync("Backspace");
        await page.GetByLabel("Display name").FillAsync("Get order");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#urlTemplate-error")).ToContainTextAsync("'urlTemplate'");
        Assert.Equal("/orders/{id", await page.GetByLabel("URL template").InputValueAsync());
        Assert.Equal("Get order", await page.GetByLabel("Display name").InputValueAsync());
        Assert.Equal("GET", await page.GetByLabel("HTTP verb").InputValueAsync());
        await p.CheckAsync("unclosed-brace");
        Assert.Equal(0, (int)(await host.OkAsync(HttpMethod.Get, $"{svc}/apis/orders/operations"))["count"]!);
    }

    /// <summary>Presses Tab until <paramref name="target"/> has the focus (at most 60 times): it is reachable with the keyboard.</summary>
    private static async Task TabToAsync(IPage page, ILocator target)
    {
        for (var i = 0; i < 60; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement"))
            {
                return;
            }
        }

        Assert.Fail($"Tab never reached {target}.");
    }

    [Fact]
    public async Task TheKeyboardAlone_SignsIn_AddsAnApiAndAnOperation_AndSignsOut()
    {
        var host = portal.Host;
        var svc = TollgateHost.ServicePath("keyboard");
        await host.PutAsync(svc, new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } });

        await using var p = await portal.NewPageAsync(nameof(TheKeyboardAlone_SignsIn_AddsAnApiAndAnOperation_AndSignsOut));
        var page = p.Page;
        await page.GotoAsync("/admin/signin");

        // The page puts the focus on its heading; Tab reaches the form, filled and sent with the keyboard.
        await TabToAsync(page, page.GetByLabel("User"));
        await page.Keyboard.TypeAsync("1");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(portal.AdminPassword);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/admin");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "API management instances" })).ToBeVisibleAsync();

        await TabToAsync(page, page.GetByRole(AriaRole.Link, new() { Name = "keyboard", Exact = true }));
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/admin/keyboard/apis");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await TabToAsync(page, page.GetByRole(AriaRole.Link, new() { Name = "Add API" }));
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/apis/add");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await TabToAsync(page, page.GetByLabel("Web API name"));
        await page.Keyboard.TypeAsync("Keyboard API");
        await TabToAsync(page, page.GetByLabel("Web service URL"));
        await page.Keyboard.TypeAsync("http://127.0.0.1:9/keyboard");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("keyboard");
        await TabToAsync(page, page.GetByLabel("Starter"));
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Save" }));
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/apis/keyboard-api/operations?created=1");

        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await TabToAsync(page, page.GetByRole(AriaRole.Link, new() { Name = "Add operation" }));
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/operations/add");
        await p.WaitReadyAsync("#urlTemplate-field");
        await TabToAsync(page, page.GetByLabel("HTTP verb"));
        await page.Keyboard.PressAsync("ArrowDown");
        await TabToAsync(page, page.GetByLabel("URL template"));
        await page.Keyboard.TypeAsync("/items/{id}");
        await Assertions.Expect(page.Locator("#urlTemplate-check")).ToHaveTextAsync("Template parameters: id");
        await TabToAsync(page, page.GetByLabel("Display name"));
        await page.Keyboard.TypeAsync("Get item");
        await TabToAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Save" }));
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/apis/keyboard-api/operations");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Get item" })).ToContainTextAsync("/items/{id}");
        await p.CheckAsync("keyboard-operations");

        var api = await host.OkAsync(HttpMethod.Get, $"{svc}/apis/keyboard-api");
        Assert.Equal("keyboard", (string?)api["properties"]!["path"]);
        using (var inStarter = await host.SendAsync(HttpMethod.Head, $"{svc}/products/starter/apis/keyboard-api"))
        {
            Assert.True(inStarter.IsSuccessStatusCode);
        }

        await TabToAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }));
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/admin/signin");
    }
}
