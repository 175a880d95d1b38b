// Studio's canvas with many modules: how long the experiment page takes until the canvas is live with every module
// drawn, and how long moving a module takes (arrow key pressed until the module is drawn at its new place, which is
// one round trip to the server, a save to Studio and a render). Each size is measured against a 5-module canvas in the
// same run and reported as a ratio. All roles run in this process on free loopback ports; Debian's chromium draws.
// Usage: dotnet run -c Release --project bench/portal/CanvasBench [-- SIZES [5,50] REPEATS [10] MOVES [30]]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tollgate.Hosting;
using Tollgate.Studio.Api;

var sizes = (args.Length > 0 ? args[0] : "5,50").Split(',').Select(int.Parse).ToArray();
var repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var moves = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;

var data = Directory.CreateTempSubdirectory("tollgate-canvas-bench-").FullName;
var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Tollgate:DataDirectory"] = data,
    ["Tollgate:Roles"] = "management,studio,portal",
    ["Tollgate:Management:Url"] = "http://127.0.0.1:0",
    ["Tollgate:Studio:Url"] = "http://127.0.0.1:0",
    ["Tollgate:Portal:Url"] = "http://127.0.0.1:0",
    ["Logging:LogLevel:Default"] = "Warning",
}).Build();
await using var server = await TollgateServer.StartAsync(configuration);
var token = server.StudioServices!.GetRequiredService<StudioWorkspace>().Current.AuthorizationToken;
using var studio = new HttpClient { BaseAddress = new Uri(server.Settings.Studio.Url) };
studio.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

// An experiment of n modules: the book reviews, then n - 1 Select Columns in a chain, on a grid.
async Task<string> CreateAsync(int n)
{
    var modules = new JsonArray();
    var connections = new JsonArray();
    for (var i = 0; i < n; i++)
    {
        var module = new JsonObject
        {
            ["id"] = $"m{i}",
            ["module"] = i == 0 ? "Saved dataset" : "Select Columns in Dataset",
            ["parameters"] = i == 0 ? new JsonObject { ["Dataset"] = "Book Reviews from Amazon" } : new JsonObject { ["Select columns"] = "Col2" },
            ["position"] = new JsonObject { ["x"] = 20 + (i % 5) * 240, ["y"] = 20 + (i / 5) * 140 },
        };
        modules.Add(module);
        if (i > 0)
        {
            connections.Add(new JsonObject { ["from"] = $"m{i - 1}", ["to"] = $"m{i}" });
        }
    }

    var graph = new JsonObject { ["name"] = $"Canvas of {n}", ["modules"] = modules, ["connections"] = connections };
    using var response = await studio.PostAsync("studio/experiments", new StringContent(graph.ToJsonString(), Encoding.UTF8, "application/json"));
    var text = await response.Content.ReadAsStringAsync();
    return response.IsSuccessStatusCode ? (string)JsonNode.Parse(text)!["id"]! : throw new InvalidOperationException(text);
}

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--no-first-run"],
});
var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Settings.Portal.Url, ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
var page = await context.NewPageAsync();
await page.GotoAsync("/studio/signin");
await page.GetByLabel("Workspace authorization token").FillAsync(token);
await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
await page.WaitForURLAsync("**/studio");

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

var results = new List<(int Size, double OpenP50, double OpenP95, double MoveP50, double MoveP95)>();
foreach (var n in sizes)
{
    var id = await CreateAsync(n);
    var open = new List<double>();
    for (var r = 0; r < repeats + 2; r++)
    {
        var watch = Stopwatch.StartNew();
        await page.GotoAsync($"/studio/experiments/{id}");
        await page.Locator("#experiment-canvas[data-ready]").WaitForAsync();
        await page.Locator($"[data-node=m{n - 1}]").WaitForAsync();
        watch.Stop();
        if (r >= 2)
        {
            open.Add(watch.Elapsed.TotalMilliseconds);
        }
    }

    if (await page.Locator(".node").CountAsync() != n || await page.Locator("svg.wires line").CountAsync() != n - 1)
    {
        throw new InvalidOperationException($"The canvas of {n} does not show {n} modules and {n - 1} connections.");
    }

    var node = page.Locator($"[data-node=m{n - 1}]");
    await node.FocusAsync();
    var move = new List<double>();
    for (var i = 0; i < moves; i++)
    {
        var left = (string?)await node.GetAttributeAsync("style");
        var watch = Stopwatch.StartNew();
        await page.Keyboard.PressAsync(i % 2 == 0 ? "ArrowDown" : "ArrowUp");
        await page.WaitForFunctionAsync("([selector, before]) => document.querySelector(selector).getAttribute('style') !== before", new object[] { $"[data-node=m{n - 1}]", left ?? "" });
        watch.Stop();
        move.Add(watch.Elapsed.TotalMilliseconds);
    }

    results.Add((n, Percentile(open, 0.5), Percentile(open, 0.95), Percentile(move, 0.5), Percentile(move, 0.95)));
}

Console.WriteLine($"Studio canvas ({repeats} page opens, {moves} moves per size; chromium headless; times in ms)");
Console.WriteLine("| modules | open p50 | open p95 | move p50 | move p95 | open p50 vs smallest | move p50 vs smallest |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
var first = results[0];
foreach (var r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Size} | {r.OpenP50:0} | {r.OpenP95:0} | {r.MoveP50:0.0} | {r.MoveP95:0.0} | {r.OpenP50 / first.OpenP50:0.00}× | {r.MoveP50 / first.MoveP50:0.00}× |"));
}

try
{
    Directory.Delete(data, recursive: true);
}
catch (IOException)
{
    // Left for the OS to clean up with the temp folder.
}
