using System.Net;
using System.Text.Json.Nodes;
using Tollgate.Commands;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Cli;

/// <summary>
/// The <c>tollgate</c> client commands as a user runs them against a real server holding the demo instance:
/// login (SharedAccessSignature, administrator key, service principal), api, product, subscription, report.
/// </summary>
public sealed class ClientCommandsTests : IAsyncLifetime
{
    private RecordingBackend _backend = null!;
    private TollgateHost _host = null!;
    private readonly CliClient _cli = new();
    private readonly HttpClient _http = new();
    private ManagementClient _client = null!;
    private string _starterKey = "";

    public async Task InitializeAsync()
    {
        _backend = await RecordingBackend.StartAsync();
        _host = await TollgateHost.StartAsync(https: true);
        _client = new ManagementClient(_http, _host.Server.Settings.Management.Url, _host.Token, TutorialSetup.SubscriptionId, TutorialSetup.ResourceGroup, TutorialSetup.ServiceName);
        _starterKey = await TutorialSetup.RunAsync(_client, _backend.Url, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _cli.Dispose();
        _http.Dispose();
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private string InstanceUrl =>
        $"{_host.Server.Settings.Management.Url.TrimEnd('/')}/subscriptions/{TutorialSetup.SubscriptionId}/resourceGroups/{TutorialSetup.ResourceGroup}/providers/Microsoft.ApiManagement/service/{TutorialSetup.ServiceName}";

    private static void AssertOneLineError(CliClient.Result result, string expected)
    {
        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tollgate: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_StoresTheCredentialForTheUserOnly_WithEachKindOfCredential()
    {
        AssertOneLineError(await _cli.RunAsync("api", "list"), "Not logged in");
        AssertOneLineError(await _cli.RunAsync("login", _host.Server.Settings.Management.Url, "--token", _host.Token), "must name an instance");
        AssertOneLineError(await _cli.RunAsync("login", InstanceUrl, "--token", "SharedAccessSignature uid=integration&ex=2099-01-01T00:00:00.0000000Z&sn=Zm9v"), "Unauthorized");
        Assert.False(File.Exists(_cli.LoginFile));

        // The administrator key: a fresh signature per call.
        var access = await _client.PostAsync("/tenant/access/listSecrets", CancellationToken.None);
        var login = await _cli.OkAsync("login", InstanceUrl, "--key-id", (string)access["principalId"]!, "--key", (string)access["primaryKey"]!);
        Assert.Contains("Logged in", login.Stdout, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cli.LoginFile));
        }

        Assert.Contains("AzureML Demo API", (await _cli.OkAsync("api", "list")).Stdout, StringComparison.Ordinal);

        // A service principal: its secret traded for a bearer token; once revoked, commands fail with one line.
        using var put = new HttpRequestMessage(HttpMethod.Put, "/tollgate/servicePrincipals/ci-pipeline") { Content = JsonContent(new JsonObject { ["properties"] = new JsonObject { ["displayName"] = "CI" } }) };
        using var created = await _host.Management.SendAsync(put);
        var secret = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["properties"]!["clientSecret"]!;
        await _cli.OkAsync("login", InstanceUrl, "--client-id", "ci-pipeline", "--client-secret", secret);
        Assert.Contains("starter", (await _cli.OkAsync("product", "list")).Stdout, StringComparison.Ordinal);
        (await _host.Management.DeleteAsync("/tollgate/servicePrincipals/ci-pipeline")).Dispose();
        AssertOneLineError(await _cli.RunAsync("product", "list"), "invalid_client");
    }

    private static StringContent JsonContent(JsonObject body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Api_ListShowExportImportDelete()
    {
        await _cli.OkAsync("login", InstanceUrl, "--token", _host.Token);

        var table = await _cli.OkAsync("api", "list");
        Assert.Contains("azureml-demo", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("AzureML Demo API", table.Stdout, StringComparison.Ordinal);
        var json = JsonNode.Parse((await _cli.OkAsync("api", "list", "--output", "json")).Stdout)!.AsArray();
        Assert.Equal("azureml-demo", (string?)Assert.Single(json)!["name"]);
        var csv = (await _cli.OkAsync("api", "list", "-o", "csv")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["name,displayName,path,serviceUrl,subscriptionRequired", $"azureml-demo,AzureML Demo API,azureml-demo,{_backend.Url},true"], csv);

        var show = (await _cli.OkAsync("api", "show", "azureml-demo")).Stdout;
        foreach (var operation in TutorialSetup.Operations)
        {
            Assert.Contains(operation.Id, show, StringComparison.Ordinal);
        }

        var document = Path.Combine(_cli.ConfigHome, "demo.yaml");
        await _cli.OkAsync("api", "export", "azureml-demo", "--file", document);
        Assert.StartsWith("openapi: 3", await File.ReadAllTextAsync(document), StringComparison.Ordinal);
        var imported = await _cli.OkAsync("api", "import", "copy", "--file", document, "--path", "copy");
        Assert.Contains("with 5 operation(s) at /copy", imported.Stdout, StringComparison.Ordinal);
        Assert.Equal(5, (await _client.GetAsync("/apis/copy/operations", CancellationToken.None))["value"]!.AsArray().Count);

        var broken = Path.Combine(_cli.ConfigHome, "broken.yaml");
        await File.WriteAllTextAsync(broken, "openapi: 3.0.1\ninfo: [\n");
        AssertOneLineError(await _cli.RunAsync("api", "import", "bad", "--file", broken), "ValidationError");

        await _cli.OkAsync("api", "delete", "copy");
        Assert.DoesNotContain("copy", (await _cli.OkAsync("api", "list")).Stdout, StringComparison.Ordinal);
        AssertOneLineError(await _cli.RunAsync("api", "delete", "copy"), "not found");
    }

    [Fact]
    public async Task ProductsSubscriptionsAndReports()
    {
        await _cli.OkAsync("login", InstanceUrl, "--token", _host.Token);
        Assert.Matches("starter.*published", (await _cli.OkAsync("product", "list")).Stdout);
        Assert.Contains("azureml-demo", (await _cli.OkAsync("product", "show", "starter")).Stdout, StringComparison.Ordinal);
        AssertOneLineError(await _cli.RunAsync("product", "show", "nope"), "not found");

        var subscriptions = JsonNode.Parse((await _cli.OkAsync("subscription", "list", "--output", "json")).Stdout)!.AsArray();
        var starter = subscriptions.First(s => ((string?)s!["properties"]!["scope"])!.EndsWith("/products/starter", StringComparison.Ordinal))!;
        var name = (string)starter["name"]!;
        Assert.Contains(_starterKey, (await _cli.OkAsync("subscription", "keys", name)).Stdout, StringComparison.Ordinal);
        var regenerated = await _cli.OkAsync("subscription", "regenerate", name);
        var secrets = await _client.PostAsync($"/subscriptions/{name}/listSecrets", CancellationToken.None);
        Assert.NotEqual(_starterKey, (string)secrets["primaryKey"]!);
        Assert.Contains((string)secrets["primaryKey"]!, regenerated.Stdout, StringComparison.Ordinal);

        // Three calls through the gateway with the new key, then the reports.
        for (var i = 0; i < 3; i++)
        {
            using var response = await _host.GatewayHttps!.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/azureml-demo/workspaces/w/services/s/jobs/j?api-version=2.0", (string)secrets["primaryKey"]!));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await ((AnalyticsWriter)_host.Server.Services!.GetService(typeof(AnalyticsWriter))!).WaitForWrittenAsync(3, TimeSpan.FromSeconds(30));
        Assert.Matches("azureml-demo +│ +3 +│ +3 ", (await _cli.OkAsync("report", "by-api")).Stdout);
        var byApi = JsonNode.Parse((await _cli.OkAsync("report", "by-api", "--output", "json")).Stdout)!.AsArray();
        Assert.Equal(3, (int)Assert.Single(byApi)!["callCountTotal"]!);
        var byTime = (await _cli.OkAsync("report", "by-time", "--interval", "PT15M", "--output", "csv", "--from", DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))).Stdout;
        Assert.Contains("callCountTotal", byTime.Split('\n')[0], StringComparison.Ordinal);
        AssertOneLineError(await _cli.RunAsync("report", "by-time", "--interval", "PT7M"), "interval");
    }

    [Fact]
    public async Task Login_OverHttps_TrustsTheGivenCertificateOnly()
    {
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Management:HttpsUrl"] = "https://127.0.0.1:0" });
        using var http = new HttpClient();
        await TutorialSetup.RunAsync(new ManagementClient(http, host.Server.Settings.Management.Url, host.Token, TutorialSetup.SubscriptionId, TutorialSetup.ResourceGroup, TutorialSetup.ServiceName),
            _backend.Url, CancellationToken.None);
        var url = $"{host.Server.Settings.Management.HttpsUrl!.TrimEnd('/')}/subscriptions/{TutorialSetup.SubscriptionId}/resourceGroups/{TutorialSetup.ResourceGroup}/providers/Microsoft.ApiManagement/service/{TutorialSetup.ServiceName}";

        AssertOneLineError(await _cli.RunAsync("login", url, "--token", host.Token), "Could not reach the management API");
        var pem = Path.Combine(_cli.ConfigHome, "tollgate.pem");
        await _cli.OkAsync("certificate", "--data-dir", host.DataDirectory, "--output", pem);
        await _cli.OkAsync("login", url, "--token", host.Token, "--ca-cert", pem);
        Assert.Contains("AzureML Demo API", (await _cli.OkAsync("api", "list")).Stdout, StringComparison.Ordinal);
    }
}

/// <summary>The client commands' help, as <c>tollgate … --help</c> prints it (no server needed).</summary>
public sealed class ClientHelpTests
{
    [Theory]
    [InlineData(new[] { "--help" }, new[] { "login", "export", "apply", "api", "product", "subscription", "report", "ml" })]
    [InlineData(new[] { "login", "--help" }, new[] { "--token", "--key-id", "--key", "--client-id", "--client-secret", "--ca-cert" })]
    [InlineData(new[] { "export", "--help" }, new[] { "apiInformation.json", "specification.yaml", "namedValues" })]
    [InlineData(new[] { "apply", "--help" }, new[] { "--dry-run", "--prune", "TOLLGATE_NAMEDVALUE_" })]
    [InlineData(new[] { "api", "--help" }, new[] { "list", "show", "import", "export", "delete" })]
    [InlineData(new[] { "api", "import", "--help" }, new[] { "--file", "--path" })]
    [InlineData(new[] { "api", "export", "--help" }, new[] { "--format", "--file" })]
    [InlineData(new[] { "product", "--help" }, new[] { "list", "show" })]
    [InlineData(new[] { "subscription", "--help" }, new[] { "list", "keys", "regenerate" })]
    [InlineData(new[] { "subscription", "regenerate", "--help" }, new[] { "--secondary" })]
    [InlineData(new[] { "ml", "invoke", "--help" }, new[] { "--input", "--api-key", "--subscription-key", "--output", ".csv" })]
    [InlineData(new[] { "report", "by-time", "--help" }, new[] { "--interval", "--from", "--to", "--output" })]
    public async Task Help_DescribesEveryClientCommand(string[] args, string[] expected)
    {
        using var cli = new CliClient();
        var result = await cli.OkAsync(args);
        Assert.All(expected, e => Assert.Contains(e, result.Stdout, StringComparison.Ordinal));
    }
}
