using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tollgate.BrowserTests.Infrastructure;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Studio.Api;

namespace Tollgate.BrowserTests;

/// <summary>
/// Studio's pages (<c>/studio</c>) in a browser against the real all-in-one server: sign-in with the workspace token or
/// as the administrator, experiments, Run and Visualize, the web service dashboard (Test, keys, sample code that runs as
/// printed, batch jobs), Publish to API management, and datasets. The graph itself is set through Studio's API until
/// the canvas exists.
/// </summary>
public sealed class StudioPagesTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    private const string RrsBody = """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{}}""";

    private string WorkspaceToken => portal.Host.Server.StudioServices!.GetRequiredService<StudioWorkspace>().Current.AuthorizationToken;

    private string StudioUrl => portal.Host.Server.Settings.Studio.Url.TrimEnd('/');

    /// <summary>Studio's own API with the workspace token (what the canvas will do; the tests set graphs with it).</summary>
    private async Task<JsonObject> StudioAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, StudioUrl + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", WorkspaceToken);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["value"] = JsonNode.Parse(text) };
    }

    private async Task<IReadOnlyList<JsonObject>> ExperimentsNamedAsync(string name) =>
        (await StudioAsync(HttpMethod.Get, "/studio/experiments"))["value"]!.AsArray().OfType<JsonObject>().Where(e => (string?)e["name"] == name).ToList();

    private static async Task SignInWithTokenAsync(PortalPage p, string token)
    {
        await p.Page.GetByLabel("Workspace authorization token").FillAsync(token);
        await p.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await p.Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    [Fact]
    public async Task Experiments_AfterSigningInWithTheWorkspaceToken_AreCreatedCopiedRenamedAndDeleted()
    {
        await using var p = await portal.NewPageAsync(nameof(Experiments_AfterSigningInWithTheWorkspaceToken_AreCreatedCopiedRenamedAndDeleted));
        var page = p.Page;
        await page.GotoAsync("/studio");
        await page.WaitForURLAsync("**/studio/signin?ReturnUrl=%2Fstudio");
        await p.CheckAsync("signin");

        // A wrong token is refused next to its field.
        await SignInWithTokenAsync(p, "not-the-token");
        await Assertions.Expect(page.Locator("#token-error")).ToContainTextAsync("Studio does not know this token");
        await p.CheckAsync("signin-wrong-token");

        await SignInWithTokenAsync(p, WorkspaceToken);
        await page.WaitForURLAsync("**/studio");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Experiments", Exact = true })).ToBeVisibleAsync();

        // Create (empty): the experiment's page, with no modules.
        await page.GetByLabel("Name").FillAsync("Hashing draft");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await page.WaitForURLAsync("**/studio/experiments/*?created=1");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The experiment is created.");
        await p.WaitReadyAsync("#experiment-canvas");
        await Assertions.Expect(page.Locator(".canvas")).ToContainTextAsync("Drag a module here");
        await p.CheckAsync("experiment-empty");
        Assert.Single(await ExperimentsNamedAsync("Hashing draft"));

        // Rename: an empty name is refused with the input kept; a good one is saved.
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Name", Exact = true }).FillAsync("   ");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await Assertions.Expect(page.Locator(".field-error")).ToBeVisibleAsync();
        Assert.Single(await ExperimentsNamedAsync("Hashing draft"));
        await p.CheckAsync("rename-refused");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Name", Exact = true }).FillAsync("Hashing experiment");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Renamed to 'Hashing experiment'.");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hashing experiment", Exact = true })).ToBeVisibleAsync();
        Assert.Single(await ExperimentsNamedAsync("Hashing experiment"));

        // Copy, then delete the copy, from the list.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Studio" }).GetByRole(AriaRole.Link, new() { Name = "Experiments" }).ClickAsync();
        await page.WaitForURLAsync("**/studio");
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy Hashing experiment", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Copied 'Hashing experiment' to 'Hashing experiment - Copy'.");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Hashing experiment - Copy" })).ToContainTextAsync("Not run");
        Assert.Single(await ExperimentsNamedAsync("Hashing experiment - Copy"));
        await p.CheckAsync("experiments");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Hashing experiment - Copy", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Deleted 'Hashing experiment - Copy'.");
        Assert.Empty(await ExperimentsNamedAsync("Hashing experiment - Copy"));
        Assert.Single(await ExperimentsNamedAsync("Hashing experiment"));

        // Signing out ends the session.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/studio/signin");
        await page.GotoAsync("/studio/datasets");
        await page.WaitForURLAsync("**/studio/signin?ReturnUrl=%2Fstudio%2Fdatasets");
    }

    [Fact]
    public async Task Part1_RunVisualizePublishAndTest_ThenPublishToApiManagement_AndCallRrsThroughTheGatewayWithTheStarterKey()
    {
        var host = portal.Host;
        await host.CreateServiceAsync("studioapim");
        await using var p = await portal.NewPageAsync(nameof(Part1_RunVisualizePublishAndTest_ThenPublishToApiManagement_AndCallRrsThroughTheGatewayWithTheStarterKey));
        var page = p.Page;
        await page.GotoAsync("/studio");
        await page.WaitForURLAsync("**/studio/signin**");
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in as the administrator" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/signin**");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/studio");

        await page.GetByLabel("Name").FillAsync(StudioTutorialSetup.ExperimentName);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await page.WaitForURLAsync("**/studio/experiments/*?created=1");
        var experimentId = page.Url.Split('/').Last().Split('?')[0];
        await BuildPart1OnTheCanvasAsync(p, experimentId);
        // Saved as it was made: after a reload the canvas shows the same modules, not run yet.
        await page.ReloadAsync();
        await p.WaitReadyAsync("#experiment-canvas");
        await Assertions.Expect(page.Locator("[data-node=feature-hashing]")).ToContainTextAsync("Not run");
        await Assertions.Expect(page.Locator("[data-node=saved-dataset]")).ToContainTextAsync("Book Reviews from Amazon");
        await Assertions.Expect(page.Locator("svg.wires line")).ToHaveCountAsync(4);

        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The experiment ran: every module finished.");
        await Assertions.Expect(page.Locator("[data-module=feature-hashing]")).ToHaveTextAsync("Finished");
        await Assertions.Expect(page.Locator("[data-module=select-columns-in-dataset]")).ToHaveTextAsync("Finished");
        await Assertions.Expect(page.Locator("[data-module=web-service-input]")).ToHaveTextAsync("NotRun");
        // The canvas shows each module's state too.
        await p.WaitReadyAsync("#experiment-canvas");
        await Assertions.Expect(page.Locator("[data-node=feature-hashing]")).ToContainTextAsync("Finished");
        await Assertions.Expect(page.Locator("#run-state")).ToHaveTextAsync("Finished");
        await p.CheckAsync("run");

        // Visualize the hashed output: rows and per-column statistics with a histogram.
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Visualize feature-hashing ") }).ClickAsync();
        await page.WaitForURLAsync("**/modules/feature-hashing/*");
        var feature = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = "Col2_HashingFeature.3", Exact = true }) });
        await Assertions.Expect(feature).ToContainTextAsync("Int32");
        await Assertions.Expect(feature.Locator("svg.histogram")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#rows thead")).ToContainTextAsync("Col2_HashingFeature.7");
        Assert.True(await page.Locator("#rows tbody tr").CountAsync() > 0);
        await p.CheckAsync("visualize");
        await page.GoBackAsync();

        // Publish web service: the dashboard.
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish web service" }).ClickAsync();
        await page.WaitForURLAsync("**/studio/services/*?published=1");
        var workspaceId = await page.Locator("#workspace-id").InnerTextAsync();
        var endpointId = await page.Locator("#endpoint-id").InnerTextAsync();
        var serviceId = await page.Locator("#service-id").InnerTextAsync();
        Assert.Equal(host.Server.StudioServices!.GetRequiredService<StudioWorkspace>().Current.Id, workspaceId);
        await p.CheckAsync("dashboard");

        // Test: "This is a good day" in Col2.
        await page.GetByLabel("Col2").FillAsync("This is a good day");
        await page.GetByRole(AriaRole.Button, new() { Name = "Test", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#test-output1")).ToHaveTextAsync("1,1,2,2,0,2,0,1");
        Assert.Equal("This is a good day", await page.GetByLabel("Col2").InputValueAsync());
        await p.CheckAsync("test");

        // Keys: shown, then the primary one regenerated (the old one stops working).
        await page.GetByRole(AriaRole.Button, new() { Name = "Show keys" }).ClickAsync();
        var oldKey = await page.GetByLabel("Primary key").InputValueAsync();
        Assert.Equal(88, oldKey.Length);
        await page.GetByRole(AriaRole.Button, new() { Name = "Regenerate primary key" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The primary key is regenerated");
        var key = await page.GetByLabel("Primary key").InputValueAsync();
        Assert.NotEqual(oldKey, key);
        await p.CheckAsync("keys");

        // MaxConcurrentCalls: out of range is refused next to the field, then 5 is saved.
        await page.GetByLabel("MaxConcurrentCalls (1–200)").FillAsync("500");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#maxConcurrentCalls-error")).ToContainTextAsync("between 1 and 200");
        await page.GetByLabel("MaxConcurrentCalls (1–200)").FillAsync("5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("MaxConcurrentCalls is 5.");
        Assert.Equal(5, (int)(await StudioAsync(HttpMethod.Get, $"/studio/services/{serviceId}"))["defaultEndpoint"]!["maxConcurrentCalls"]!);

        await Assertions.Expect(page.GetByText("No batch jobs yet.")).ToBeVisibleAsync();

        // Publish to API management, in one step, into the instance "studioapim".
        await page.GetByLabel("Instance").SelectOptionAsync("studioapim");
        await Assertions.Expect(page.GetByLabel("Web API name")).ToHaveValueAsync("AzureML Demo API");
        await Assertions.Expect(page.GetByLabel("Web service URL")).ToHaveValueAsync(StudioUrl);
        await p.CheckAsync("publish-apim-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish to API management" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Created the API 'azureml-demo'.");
        await p.CheckAsync("published-apim");
        var svc = TollgateHost.ServicePath("studioapim");
        var operations = (await host.OkAsync(HttpMethod.Get, $"{svc}/apis/azureml-demo/operations"))["value"]!.AsArray()
            .Select(o => (string?)o!["properties"]!["displayName"]).Order().ToList();
        Assert.Equal(["BES Delete", "BES Start", "BES Status", "BES Submit", "RRS Execute"], operations);

        // Again: the API exists, so it is updated (its serviceUrl), not duplicated.
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish to API management" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Updated the API 'azureml-demo'.");
        Assert.Equal(1, (int)(await host.OkAsync(HttpMethod.Get, $"{svc}/apis"))["count"]!);

        // RRS Execute through the gateway with the administrator's Starter key.
        var subscriptions = await host.OkAsync(HttpMethod.Get, $"{svc}/users/1/subscriptions");
        var starter = subscriptions["value"]!.AsArray().OfType<JsonObject>()
            .First(s => ((string?)s["properties"]!["scope"])!.EndsWith("/products/starter", StringComparison.OrdinalIgnoreCase));
        var starterKey = (string)(await host.OkAsync(HttpMethod.Post, $"{svc}/subscriptions/{(string)starter["name"]!}/listSecrets"))["primaryKey"]!;
        using var request = TollgateHost.GatewayRequest(HttpMethod.Post,
            $"/azureml-demo/workspaces/{workspaceId}/services/{endpointId}/execute?api-version=2.0&details=true", starterKey, RrsBody);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        using var response = await host.GatewayHttps!.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var values = JsonNode.Parse(body)!["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray().Select(v => (string?)v);
        Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], values);
    }

    [Fact]
    public async Task Canvas_IsUsableWithTheKeyboardOnly_AddConnectMoveDeleteUndo()
    {
        await using var p = await portal.NewPageAsync(nameof(Canvas_IsUsableWithTheKeyboardOnly_AddConnectMoveDeleteUndo));
        var page = p.Page;
        await page.GotoAsync("/studio");
        await SignInWithTokenAsync(p, WorkspaceToken);
        await page.WaitForURLAsync("**/studio");
        await page.GetByLabel("Name").FillAsync("Keyboard experiment");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/studio/experiments/*?created=1");
        var experimentId = page.Url.Split('/').Last().Split('?')[0];
        await p.WaitReadyAsync("#experiment-canvas");

        // Search with the keyboard, Tab to the module's button, Enter adds it.
        await page.GetByLabel("Search modules").FocusAsync();
        await page.Keyboard.TypeAsync("book reviews");
        // The list filters on the server as each key arrives: Tab only once it shows the one match.
        await Assertions.Expect(page.Locator(".palette-item")).ToHaveCountAsync(1);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("[data-node=saved-dataset]")).ToBeVisibleAsync();
        await page.GetByLabel("Search modules").FillAsync("");
        await page.GetByLabel("Search modules").FocusAsync();
        await page.Keyboard.TypeAsync("remove duplicate");
        await Assertions.Expect(page.Locator(".palette-item")).ToHaveCountAsync(1);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        var dedupe = page.Locator("[data-node=remove-duplicate-rows]");
        await Assertions.Expect(dedupe).ToBeVisibleAsync();

        // Tab from the module card to its ports; Enter on the output, then on the input, connects them.
        await page.Locator("[data-node=saved-dataset]").FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Output Dataset of saved-dataset" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await dedupe.FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Input Dataset of remove-duplicate-rows" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("svg.wires line[data-from='saved-dataset'][data-to='remove-duplicate-rows']")).ToHaveCountAsync(1);

        // Enter selects the module; the column selector's rules: all columns but the Int32 ones.
        await dedupe.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch column selector" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("All columns").CheckAsync();
        await dialog.GetByLabel("Int32 columns").CheckAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "OK" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Key column selection filter expression" }))
            .ToHaveValueAsync("""[{"rule":"all"},{"rule":"types","types":["Int32"],"exclude":true}]""");
        await Assertions.Expect(page.Locator("[data-node=remove-duplicate-rows]")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("invalid"));

        // Arrow keys move the focused module (Shift: five steps) and keep the focus on it.
        var top = Style(await dedupe.GetAttributeAsync("style"), "top");
        var left = Style(await dedupe.GetAttributeAsync("style"), "left");
        await dedupe.FocusAsync();
        await page.Keyboard.PressAsync("Shift+ArrowRight");
        await Assertions.Expect(dedupe).ToHaveAttributeAsync("style", new System.Text.RegularExpressions.Regex($"left: {left + 100}px"));
        await page.Keyboard.PressAsync("ArrowDown");
        await Assertions.Expect(dedupe).ToHaveAttributeAsync("style", new System.Text.RegularExpressions.Regex($"top: {top + 20}px"));
        await Assertions.Expect(dedupe).ToBeFocusedAsync();
        // The move is saved (the save re-renders the canvas) before the page is checked and the next key is pressed.
        await Assertions.Expect(page.Locator("#canvas-status")).ToContainTextAsync("remove-duplicate-rows moved. Saved.");
        await p.CheckAsync("keyboard-canvas");

        // Delete removes it with its connection; Ctrl+Z brings both back, Ctrl+Y removes them again. The check above
        // may have taken the focus (it scrolls and screenshots): the module gets it back first.
        await dedupe.FocusAsync();
        await Assertions.Expect(dedupe).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Delete");
        await Assertions.Expect(dedupe).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("svg.wires line")).ToHaveCountAsync(0);
        await page.Locator(".canvas").FocusAsync();
        await page.Keyboard.PressAsync("Control+z");
        await Assertions.Expect(dedupe).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("svg.wires line")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#canvas-status")).ToContainTextAsync("Undone. Saved.");
        await page.Locator(".canvas").FocusAsync();
        await page.Keyboard.PressAsync("Control+y");
        await Assertions.Expect(dedupe).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#canvas-status")).ToContainTextAsync("Redone. Saved.");

        var graph = (await StudioAsync(HttpMethod.Get, $"/studio/experiments/{experimentId}"))["graph"]!;
        Assert.Equal(["saved-dataset"], graph["modules"]!.AsArray().Select(m => (string?)m!["id"]));
        Assert.Empty(graph["connections"]!.AsArray());
    }

    private static int Style(string? style, string property) =>
        int.Parse(System.Text.RegularExpressions.Regex.Match(style ?? "", property + @": (\d+)px").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Part 1's graph made on the canvas, the way a user does it: modules dragged from the palette or added from it with
    /// the keyboard, ports connected (an incompatible pair refused with the reason), a module moved with the arrow keys,
    /// one deleted with Delete, undone and redone, the parameters set in the side panel and the column selector.
    /// </summary>
    private async Task BuildPart1OnTheCanvasAsync(PortalPage p, string experimentId)
    {
        var page = p.Page;
        await p.WaitReadyAsync("#experiment-canvas");
        var canvas = page.Locator(".canvas");
        await Assertions.Expect(canvas).ToContainTextAsync("Drag a module here");
        await p.CheckAsync("canvas-empty");

        // Drag the book reviews from Saved Datasets; search the palette and add Select Columns with the keyboard.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Book Reviews from Amazon" }).DragToAsync(canvas, new() { TargetPosition = new() { X = 160, Y = 50 } });
        var reviews = page.Locator("[data-node=saved-dataset]");
        await Assertions.Expect(reviews).ToBeVisibleAsync();
        await page.GetByLabel("Search modules").FillAsync("select col");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add Feature Hashing" })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Select Columns in Dataset" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("[data-node=select-columns-in-dataset]")).ToBeVisibleAsync();
        await page.GetByLabel("Search modules").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Feature Hashing" }).DragToAsync(canvas, new() { TargetPosition = new() { X = 360, Y = 330 } });

        // An untrained model does not go into a dataset port: refused with the reason, nothing saved.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Two-Class Logistic Regression" }).DragToAsync(canvas, new() { TargetPosition = new() { X = 470, Y = 50 } });
        await page.GetByRole(AriaRole.Button, new() { Name = "Output Untrained model of two-class-logistic-regression" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Input Dataset of select-columns-in-dataset" }).ClickAsync();
        await Assertions.Expect(page.Locator("#canvas-problem")).ToContainTextAsync("takes DataTable");
        await p.CheckAsync("canvas-incompatible");

        // Delete with the keyboard, undo, redo.
        var learner = page.Locator("[data-node=two-class-logistic-regression]");
        await learner.FocusAsync();
        await page.Keyboard.PressAsync("Delete");
        await Assertions.Expect(learner).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Undo" }).ClickAsync();
        await Assertions.Expect(learner).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Redo" }).ClickAsync();
        await Assertions.Expect(learner).ToHaveCountAsync(0);

        // Connect output to input, as in Studio; Enter on the ports works as a click.
        async Task ConnectAsync(string from, string fromPort, string to, string toPort)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = $"Output {fromPort} of {from}" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = $"Input {toPort} of {to}" }).FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page.Locator($"svg.wires line[data-from='{from}'][data-to='{to}']")).ToHaveCountAsync(1);
        }

        await ConnectAsync("saved-dataset", "Dataset", "select-columns-in-dataset", "Dataset");
        await ConnectAsync("select-columns-in-dataset", "Results dataset", "feature-hashing", "Dataset");

        // Set Up Web Service: a Web service input and output placed around the selected Feature Hashing, as in Studio.
        await page.Locator("[data-node=feature-hashing] .node-title").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Set Up Web Service" }).ClickAsync();
        await Assertions.Expect(page.Locator("svg.wires line[data-from='web-service-input'][data-to='feature-hashing']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("svg.wires line[data-from='feature-hashing'][data-to='web-service-output']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#canvas-problem")).ToHaveCountAsync(0);

        // Move the output module with the arrow keys.
        var output = page.Locator("[data-node=web-service-output]");
        var left = int.Parse(System.Text.RegularExpressions.Regex.Match(await output.GetAttributeAsync("style") ?? "", @"left: (\d+)px").Groups[1].Value);
        await output.FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(output).ToHaveAttributeAsync("style", new System.Text.RegularExpressions.Regex($@"left: {left + 40}px"));
        await Assertions.Expect(page.Locator("#canvas-status")).ToContainTextAsync("web-service-output moved. Saved.");

        // Parameters: Select Columns through the column selector, Feature Hashing typed; a bad value shown next to its field.
        await page.Locator("[data-node=select-columns-in-dataset] .node-title").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Launch column selector" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Col2").CheckAsync();
        await p.CheckAsync("column-selector");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "OK" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Select columns" })).ToHaveValueAsync("Col2");

        await page.Locator("[data-node=feature-hashing] .node-title").ClickAsync();
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Target columns" }).FillAsync("Col2");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Target columns" }).PressAsync("Tab");
        await Assertions.Expect(page.Locator("#canvas-status")).ToContainTextAsync("Target columns set. Saved.");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Hashing bitsize" }).FillAsync("40");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Hashing bitsize" }).PressAsync("Tab");
        await Assertions.Expect(page.Locator("#param-feature-hashing-Hashing-bitsize-error")).ToContainTextAsync("less than or equal to 31");
        await Assertions.Expect(page.Locator("[data-node=feature-hashing]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("invalid"));
        await p.CheckAsync("canvas-bad-parameter");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Hashing bitsize" }).FillAsync("3");
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Hashing bitsize" }).PressAsync("Tab");
        await Assertions.Expect(page.Locator("#canvas-status")).ToContainTextAsync("Hashing bitsize set. Saved.");
        // N-grams keeps its default, 2, shown in its field with the range.
        await Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "N-grams" })).ToHaveValueAsync("2");
        await Assertions.Expect(page.Locator("#param-feature-hashing-Hashing-bitsize-error")).ToHaveCountAsync(0);
        await p.CheckAsync("canvas-part1");

        // What the canvas saved is Part 1's graph.
        var graph = (await StudioAsync(HttpMethod.Get, $"/studio/experiments/{experimentId}"))["graph"]!;
        var modules = graph["modules"]!.AsArray().ToDictionary(m => (string)m!["id"]!, m => m!);
        Assert.Equal(["feature-hashing", "saved-dataset", "select-columns-in-dataset", "web-service-input", "web-service-output"], modules.Keys.Order());
        Assert.Equal("Book Reviews from Amazon", (string?)modules["saved-dataset"]["parameters"]!["Dataset"]);
        Assert.Equal("Col2", (string?)modules["select-columns-in-dataset"]["parameters"]!["Select columns"]);
        Assert.Equal(3, (int)modules["feature-hashing"]["parameters"]!["Hashing bitsize"]!);
        Assert.Equal(4, graph["connections"]!.AsArray().Count);
        Assert.NotNull(modules["web-service-output"]["position"]);
    }

    [Fact]
    public async Task Datasets_AreUploadedWithProgress_ListedVisualizedAndDeleted_AndABadFileIsRefusedWithStudiosMessage()
    {
        await using var p = await portal.NewPageAsync(nameof(Datasets_AreUploadedWithProgress_ListedVisualizedAndDeleted_AndABadFileIsRefusedWithStudiosMessage));
        var page = p.Page;
        await page.GotoAsync("/studio/datasets");
        await SignInWithTokenAsync(p, WorkspaceToken);
        await page.WaitForURLAsync("**/studio/datasets");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Book Reviews from Amazon" })).ToBeVisibleAsync();
        await p.CheckAsync("datasets");

        // A TSV with a number column and a text column.
        var tsv = new StringBuilder("Rating\tReview\n");
        for (var i = 1; i <= 40; i++)
        {
            tsv.Append(i % 5 + 1).Append("\tReview number ").Append(i).Append('\n');
        }

        await page.GetByLabel("File").SetInputFilesAsync(new FilePayload { Name = "ratings.tsv", MimeType = "text/tab-separated-values", Buffer = Encoding.UTF8.GetBytes(tsv.ToString()) });
        await page.GetByLabel("Name").FillAsync("Ratings");
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await page.WaitForURLAsync("**/studio/datasets?uploaded=Ratings");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Uploaded 'Ratings'.");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Ratings" });
        await Assertions.Expect(row).ToContainTextAsync("tsv");
        await Assertions.Expect(row).ToContainTextAsync("Rating, Review");
        await Assertions.Expect(row.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync("40");

        // Visualize: count, mean, median, min, max, std dev, and the histogram of the ratings (8 of each of 1 to 5).
        await page.GetByRole(AriaRole.Link, new() { Name = "Ratings" }).ClickAsync();
        await page.WaitForURLAsync("**/studio/datasets/*");
        var rating = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = "Rating", Exact = true }) });
        var cells = rating.GetByRole(AriaRole.Cell);
        await Assertions.Expect(cells.Nth(1)).ToHaveTextAsync("40"); // count
        await Assertions.Expect(cells.Nth(2)).ToHaveTextAsync("5"); // unique
        await Assertions.Expect(cells.Nth(4)).ToHaveTextAsync("3"); // mean
        await Assertions.Expect(cells.Nth(5)).ToHaveTextAsync("3"); // median
        await Assertions.Expect(cells.Nth(6)).ToHaveTextAsync("1"); // min
        await Assertions.Expect(cells.Nth(7)).ToHaveTextAsync("5"); // max
        await Assertions.Expect(cells.Nth(8)).ToHaveTextAsync("1.43223"); // sample standard deviation
        await Assertions.Expect(rating.Locator("svg.histogram")).ToHaveAttributeAsync("aria-label", "Histogram of Rating: 1: 8, 2: 8, 3: 8, 4: 8, 5: 8");
        await Assertions.Expect(page.Locator("#rows tbody tr")).ToHaveCountAsync(40);
        await p.CheckAsync("dataset-visualize");

        // A file Studio cannot read: its message, and nothing stored.
        await page.GotoAsync("/studio/datasets");
        await page.GetByLabel("File").SetInputFilesAsync(new FilePayload { Name = "empty.csv", MimeType = "text/csv", Buffer = [] });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Assertions.Expect(page.Locator("#upload-status")).ToContainTextAsync("Not uploaded:");
        await p.CheckAsync("upload-refused");

        // Delete.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Ratings", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Deleted 'Ratings'.");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Ratings", Exact = true })).ToHaveCountAsync(0);
        var names = (await StudioAsync(HttpMethod.Get, "/studio/datasets"))["value"]!.AsArray().Select(d => (string?)d!["name"]).ToList();
        Assert.DoesNotContain("Ratings", names);
        Assert.DoesNotContain("empty.csv", names);
    }

    [Fact]
    public async Task TrainedModels_ImportAnOnnxModelWithProgress_ListItAndDownloadIt_AndANonModelIsRefusedWithError0082()
    {
        var onnx = await File.ReadAllBytesAsync("/usr/share/libonnx-testdata/data/node/test_add/model.onnx");
        await using var p = await portal.NewPageAsync(nameof(TrainedModels_ImportAnOnnxModelWithProgress_ListItAndDownloadIt_AndANonModelIsRefusedWithError0082));
        var page = p.Page;
        await page.GotoAsync("/studio/trainedmodels");
        await SignInWithTokenAsync(p, WorkspaceToken);
        await page.WaitForURLAsync("**/studio/trainedmodels");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Import ONNX model" })).ToBeVisibleAsync();

        await page.GetByLabel("File").SetInputFilesAsync(new FilePayload { Name = "adder.onnx", MimeType = "application/octet-stream", Buffer = onnx });
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await page.WaitForURLAsync("**/studio/trainedmodels?imported=adder");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Imported 'adder'.");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = "adder", Exact = true }) });
        await Assertions.Expect(row).ToContainTextAsync("Onnx");
        await Assertions.Expect(row).ToContainTextAsync("ONNX model");
        await Assertions.Expect(row).ToContainTextAsync("Imported");
        await p.CheckAsync("trained-models");

        // Download ONNX gives back the file.
        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Link, new() { Name = "Download ONNX: adder" }).ClickAsync());
        Assert.Equal("adder.onnx", download.SuggestedFilename);
        await using (var stream = await download.CreateReadStreamAsync())
        using (var copy = new MemoryStream())
        {
            await stream.CopyToAsync(copy);
            Assert.Equal(onnx, copy.ToArray());
        }

        // A file that is not a model: Studio's module error, and nothing stored.
        await page.GetByLabel("File").SetInputFilesAsync(new FilePayload { Name = "notes.onnx", MimeType = "application/octet-stream", Buffer = Encoding.UTF8.GetBytes("not a model") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.Locator("#upload-status")).ToContainTextAsync("Not uploaded: Error 0082: Model could not be deserialized");
        await p.CheckAsync("import-refused");
        var names = (await StudioAsync(HttpMethod.Get, "/studio/trainedmodels"))["value"]!.AsArray().Select(m => (string?)m!["name"]).ToList();
        Assert.Contains("adder", names);
        Assert.DoesNotContain("notes", names);

        // The imported model is in the canvas palette under Trained Models; it adds a Trained model module naming it.
        await page.GotoAsync("/studio");
        await page.GetByLabel("Name").FillAsync("Scoring with adder");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/studio/experiments/*?created=1");
        await p.WaitReadyAsync("#experiment-canvas");
        var trainedModels = page.GetByRole(AriaRole.Region, new() { Name = "Trained Models" });
        await trainedModels.GetByRole(AriaRole.Button, new() { Name = "Add adder", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-node=trained-model]")).ToContainTextAsync("adder");
        await Assertions.Expect(page.Locator("#canvas-status")).ToContainTextAsync("Trained model added as trained-model. Saved.");
        await p.CheckAsync("palette-trained-model");
        var saved = await StudioAsync(HttpMethod.Get, "/studio/experiments/" + page.Url.Split('/').Last().Split('?')[0]);
        Assert.Contains(saved["graph"]!["modules"]!.AsArray(), m => (string?)m!["module"] == "Trained model" && (string?)m["parameters"]!["Trained model"] == "adder");
    }
}
