using System.Text.Json.Nodes;
using Tollgate.Commands;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Cli;

/// <summary>
/// <c>tollgate export</c> and <c>tollgate apply</c> as an APIOps-style pipeline uses them, against real servers: the
/// demo instance (with policies, a fragment, named values and a custom group) exported, applied to an empty instance
/// on another server, exported again.
/// </summary>
public sealed class GitOpsTests : IAsyncLifetime
{
    private const string ApiPolicy = """
        <policies>
          <inbound>
            <base />
            <set-header name="X-Environment" exists-action="override">
              <value>{{environment}}</value>
            </set-header>
            <include-fragment fragment-id="stamp" />
          </inbound>
          <backend>
            <base />
          </backend>
          <outbound>
            <base />
          </outbound>
          <on-error>
            <base />
          </on-error>
        </policies>
        """;

    private const string OperationPolicy = """
        <policies>
          <inbound>
            <base />
            <rate-limit calls="100" renewal-period="60" />
          </inbound>
          <backend>
            <base />
          </backend>
          <outbound>
            <base />
          </outbound>
          <on-error>
            <base />
          </on-error>
        </policies>
        """;

    private const string Fragment = """
        <fragment>
          <set-header name="X-Stamp" exists-action="override">
            <value>tollgate</value>
          </set-header>
        </fragment>
        """;

    private TollgateHost _source = null!;
    private TollgateHost _target = null!;
    private readonly CliClient _cli = new();
    private readonly string _work = Directory.CreateTempSubdirectory("tollgate-gitops-").FullName;

    private static Dictionary<string, string?> Settings => new() { ["Tollgate:Management:GatewayUrl"] = "https://{name}.gateway.example" };

    public async Task InitializeAsync()
    {
        _source = await TollgateHost.StartAsync(Settings);
        _target = await TollgateHost.StartAsync(Settings);
        using var http = new HttpClient();
        var demo = Client(_source, http);
        await TutorialSetup.RunAsync(demo, "http://127.0.0.1:9/studio", CancellationToken.None);
        await demo.PutAsync("/namedValues/environment", Properties(new JsonObject { ["displayName"] = "environment", ["value"] = "production" }), CancellationToken.None);
        await demo.PutAsync("/namedValues/backend-key", Properties(new JsonObject { ["displayName"] = "backend-key", ["value"] = "s3cr3t-value", ["secret"] = true }), CancellationToken.None);
        await demo.PutAsync("/policyFragments/stamp", Properties(new JsonObject { ["format"] = "rawxml", ["value"] = Fragment, ["description"] = "Stamps responses." }), CancellationToken.None);
        await demo.PutAsync($"/apis/{TutorialSetup.ApiId}/policies/policy", Properties(new JsonObject { ["format"] = "rawxml", ["value"] = ApiPolicy }), CancellationToken.None);
        await demo.PutAsync($"/apis/{TutorialSetup.ApiId}/operations/rrs-execute/policies/policy", Properties(new JsonObject { ["format"] = "rawxml", ["value"] = OperationPolicy }), CancellationToken.None);
        await demo.PutAsync("/groups/partners", Properties(new JsonObject { ["displayName"] = "Partners", ["description"] = "Partner companies." }), CancellationToken.None);
        await demo.PutAsync("/products/starter/groups/partners", [], CancellationToken.None);
        await Client(_target, http).PutAsync("", new JsonObject
        {
            ["location"] = "local",
            ["properties"] = new JsonObject { ["publisherName"] = "Contoso ML", ["publisherEmail"] = "admin@contoso.example" },
        }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _cli.Dispose();
        await _source.DisposeAsync();
        await _target.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    private static ManagementClient Client(TollgateHost host, HttpClient http) =>
        new(http, host.Server.Settings.Management.Url, host.Token, TutorialSetup.SubscriptionId, TutorialSetup.ResourceGroup, TutorialSetup.ServiceName);

    private static JsonObject Properties(JsonObject properties) => new() { ["properties"] = properties };

    private static string InstanceUrl(TollgateHost host) =>
        $"{host.Server.Settings.Management.Url.TrimEnd('/')}/subscriptions/{TutorialSetup.SubscriptionId}/resourceGroups/{TutorialSetup.ResourceGroup}/providers/Microsoft.ApiManagement/service/{TutorialSetup.ServiceName}";

    private Task LoginAsync(TollgateHost host) => _cli.OkAsync("login", InstanceUrl(host), "--token", host.Token);

    private static SortedDictionary<string, byte[]> Tree(string root) =>
        new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), File.ReadAllBytes), StringComparer.Ordinal);

    private static void AssertSameTree(string expected, string actual)
    {
        var (a, b) = (Tree(expected), Tree(actual));
        Assert.Equal(a.Keys, b.Keys);
        foreach (var (path, bytes) in a)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(b[path]), $"{path} differs:\n{System.Text.Encoding.UTF8.GetString(bytes)}\n---\n{System.Text.Encoding.UTF8.GetString(b[path])}");
        }
    }

    [Fact]
    public async Task Export_WritesApiOpsLayout_Deterministically()
    {
        await LoginAsync(_source);
        var first = Path.Combine(_work, "first");
        var second = Path.Combine(_work, "second");
        await _cli.OkAsync("export", first);
        await _cli.OkAsync("export", second);

        AssertSameTree(first, second);
        var files = Tree(first).Keys.ToList();
        foreach (var expected in new[]
        {
            "policy.xml",
            "apis/azureml-demo/apiInformation.json", "apis/azureml-demo/specification.yaml", "apis/azureml-demo/policy.xml",
            "apis/azureml-demo/operations/rrs-execute/policy.xml",
            "products/starter/productInformation.json", "products/starter/apis.json", "products/starter/groups.json", "products/unlimited/productInformation.json",
            "groups/partners/groupInformation.json",
            "namedValues/environment/namedValueInformation.json", "namedValues/backend-key/namedValueInformation.json",
            "policyFragments/stamp/policyFragmentInformation.json", "policyFragments/stamp/policy.xml",
        })
        {
            Assert.Contains(expected, files);
        }

        Assert.DoesNotContain(files, f => f.StartsWith("groups/developers", StringComparison.Ordinal));
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(first, "apis/azureml-demo/apiInformation.json")))!;
        Assert.Equal("AzureML Demo API", (string?)info["properties"]!["displayName"]);
        Assert.Equal("azureml-demo", (string?)info["properties"]!["path"]);
        var spec = File.ReadAllText(Path.Combine(first, "apis/azureml-demo/specification.yaml"));
        Assert.StartsWith("openapi: 3", spec, StringComparison.Ordinal);
        Assert.Contains("/workspaces/{workspace}/services/{service}/jobs", spec, StringComparison.Ordinal);
        Assert.Equal(ApiPolicy, File.ReadAllText(Path.Combine(first, "apis/azureml-demo/policy.xml")));
        Assert.Contains("\"name\": \"azureml-demo\"", File.ReadAllText(Path.Combine(first, "products/starter/apis.json")), StringComparison.Ordinal);
        Assert.Contains("\"name\": \"partners\"", File.ReadAllText(Path.Combine(first, "products/starter/groups.json")), StringComparison.Ordinal);
        var secret = File.ReadAllText(Path.Combine(first, "namedValues/backend-key/namedValueInformation.json"));
        Assert.DoesNotContain("s3cr3t-value", secret, StringComparison.Ordinal);
        Assert.Contains("\"secret\": true", secret, StringComparison.Ordinal);
        Assert.Contains("production", File.ReadAllText(Path.Combine(first, "namedValues/environment/namedValueInformation.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_ToEmptyInstance_ExportsIdentically_AndSecondApplyChangesNothing()
    {
        await LoginAsync(_source);
        var exported = Path.Combine(_work, "source");
        await _cli.OkAsync("export", exported);

        await LoginAsync(_target);
        _cli.Environment[GitOps.ArtifactApplier.SecretVariable("backend-key")] = "s3cr3t-value";
        var dryRun = await _cli.OkAsync("apply", exported, "--dry-run");
        Assert.Contains("+ apis/azureml-demo/specification.yaml", dryRun.Stdout, StringComparison.Ordinal);
        Assert.Contains("dry run", dryRun.Stdout, StringComparison.Ordinal);
        using var http = new HttpClient();
        Assert.Null(await Client(_target, http).FindAsync($"/apis/{TutorialSetup.ApiId}", CancellationToken.None));

        var applied = await _cli.OkAsync("apply", exported);
        Assert.Contains("create API azureml-demo", applied.Stdout, StringComparison.Ordinal);
        Assert.Contains("Applied", applied.Stdout, StringComparison.Ordinal);

        var again = await _cli.OkAsync("apply", exported);
        Assert.Contains("No changes", again.Stdout, StringComparison.Ordinal);

        var reexported = Path.Combine(_work, "target");
        await _cli.OkAsync("export", reexported);
        AssertSameTree(exported, reexported);
        var secret = await Client(_target, http).PostAsync("/namedValues/backend-key/listValue", CancellationToken.None);
        Assert.Equal("s3cr3t-value", (string?)secret["value"]);
    }

    [Fact]
    public async Task Apply_ShowsTheDiff_DeletesOnlyWithPrune()
    {
        await LoginAsync(_source);
        var folder = Path.Combine(_work, "edit");
        await _cli.OkAsync("export", folder);
        var policy = Path.Combine(folder, "apis/azureml-demo/operations/rrs-execute/policy.xml");
        File.WriteAllText(policy, File.ReadAllText(policy).Replace("calls=\"100\"", "calls=\"5\"", StringComparison.Ordinal));
        Directory.Delete(Path.Combine(folder, "groups/partners"), recursive: true);
        File.WriteAllText(Path.Combine(folder, "products/starter/groups.json"), "[\n  {\n    \"name\": \"developers\"\n  },\n  {\n    \"name\": \"guests\"\n  }\n]\n");
        // A document exported from another environment: only its servers (that instance's gateway) differ.
        var spec = Path.Combine(folder, "apis/azureml-demo/specification.yaml");
        Assert.Contains("https://demoazureml.gateway.example/azureml-demo", File.ReadAllText(spec), StringComparison.Ordinal);
        File.WriteAllText(spec, File.ReadAllText(spec).Replace("gateway.example", "staging.example", StringComparison.Ordinal));

        var applied = await _cli.OkAsync("apply", folder);
        Assert.DoesNotContain("from specification.yaml", applied.Stdout, StringComparison.Ordinal);
        Assert.Contains("~ apis/azureml-demo/operations/rrs-execute/policy.xml", applied.Stdout, StringComparison.Ordinal);
        Assert.Matches("- +<rate-limit calls=\"100\"", applied.Stdout);
        Assert.Matches("\\+ +<rate-limit calls=\"5\"", applied.Stdout);
        Assert.Contains("--prune would delete group partners", applied.Stdout, StringComparison.Ordinal);
        using var http = new HttpClient();
        var source = Client(_source, http);
        Assert.NotNull(await source.FindAsync("/groups/partners", CancellationToken.None));
        var stored = await source.GetAsync($"/apis/{TutorialSetup.ApiId}/operations/rrs-execute/policies/policy?format=rawxml", CancellationToken.None);
        Assert.Contains("calls=\"5\"", (string?)stored["properties"]!["value"], StringComparison.Ordinal);

        var pruned = await _cli.OkAsync("apply", folder, "--prune");
        Assert.Contains("delete group partners", pruned.Stdout, StringComparison.Ordinal);
        Assert.Null(await source.FindAsync("/groups/partners", CancellationToken.None));
        Assert.Contains("No changes", (await _cli.OkAsync("apply", folder, "--prune")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_BrokenPolicyOrOpenApi_NamesFileAndLine_AndChangesNothing()
    {
        await LoginAsync(_source);
        var folder = Path.Combine(_work, "broken");
        await _cli.OkAsync("export", folder);
        var before = Path.Combine(_work, "before");
        await _cli.OkAsync("export", before);

        // A change that would apply, then two broken files: nothing may be written.
        File.WriteAllText(Path.Combine(folder, "namedValues/environment/namedValueInformation.json"),
            File.ReadAllText(Path.Combine(folder, "namedValues/environment/namedValueInformation.json")).Replace("production", "staging", StringComparison.Ordinal));
        var policy = Path.Combine(folder, "apis/azureml-demo/policy.xml");
        File.WriteAllText(policy, File.ReadAllText(policy).Replace("<set-header name=\"X-Environment\" exists-action=\"override\">", "<set-header name=\"X-Environment\" exists-action=\"sometimes\">", StringComparison.Ordinal));
        var spec = Path.Combine(folder, "apis/azureml-demo/specification.yaml");
        var lines = File.ReadAllLines(spec).ToList();
        lines.Insert(3, "  title: [unclosed");
        File.WriteAllLines(spec, lines);
        // A revision's folder without its API's.
        var ghost = Path.Combine(folder, "apis/ghost;rev=2");
        Directory.CreateDirectory(ghost);
        File.Copy(Path.Combine(folder, "apis/azureml-demo/apiInformation.json"), Path.Combine(ghost, "apiInformation.json"));
        File.Copy(Path.Combine(folder, "apis/azureml-demo/specification.yaml"), Path.Combine(ghost, "specification.yaml"));

        var result = await _cli.RunAsync("apply", folder);

        Assert.True(result.Code == 1, result.Output);
        Assert.True(result.Stderr.Contains(Path.Combine(folder, "apis/azureml-demo/policy.xml") + ":4: column 38", StringComparison.Ordinal), result.Stderr);
        Assert.Contains("sometimes", result.Stderr, StringComparison.Ordinal);
        Assert.Matches(System.Text.RegularExpressions.Regex.Escape(Path.Combine(folder, "apis/azureml-demo/specification.yaml")) + ":[45]: .*YAML", result.Stderr);
        Assert.Contains("a revision needs its API's folder apis/ghost", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", result.Stderr, StringComparison.Ordinal);
        var after = Path.Combine(_work, "after");
        await _cli.OkAsync("export", after);
        AssertSameTree(before, after);
    }

    [Fact]
    public async Task ExportAndApply_CarryVersionSets_Revisions_Backends_AndCertificates_WithoutThePfx()
    {
        using var http = new HttpClient();
        var source = Client(_source, http);
        var target = Client(_target, http);
        var ct = CancellationToken.None;
        using var certificate = TestCertificates.Client("gitops-client");
        var pfx = TestCertificates.Pfx(certificate, "pfx-pass");
        await source.PutAsync("/certificates/client", Properties(new JsonObject { ["data"] = pfx, ["password"] = "pfx-pass" }), ct);
        await source.PutAsync("/backends/primary", Properties(new JsonObject
        {
            ["url"] = "http://127.0.0.1:9/primary", ["protocol"] = "http", ["description"] = "Primary scoring",
            ["credentials"] = new JsonObject { ["header"] = new JsonObject { ["x-team"] = new JsonArray("ml") }, ["certificateIds"] = new JsonArray("/certificates/client") },
            ["circuitBreaker"] = new JsonObject
            {
                ["rules"] = new JsonArray(new JsonObject
                {
                    ["name"] = "trip", ["tripDuration"] = "PT1M",
                    ["failureCondition"] = new JsonObject { ["count"] = 3, ["interval"] = "PT1M", ["statusCodeRanges"] = new JsonArray(new JsonObject { ["min"] = 500, ["max"] = 599 }) },
                }),
            },
        }), ct);
        await source.PutAsync("/backends/secondary", Properties(new JsonObject { ["url"] = "http://127.0.0.1:9/secondary", ["protocol"] = "http" }), ct);
        await source.PutAsync("/backends/scoring-pool", Properties(new JsonObject
        {
            ["type"] = "Pool",
            ["pool"] = new JsonObject { ["services"] = new JsonArray(new JsonObject { ["id"] = "/backends/primary", ["priority"] = 0 }, new JsonObject { ["id"] = "/backends/secondary", ["priority"] = 1 }) },
        }), ct);
        await source.PutAsync("/apiVersionSets/scoring", Properties(new JsonObject { ["displayName"] = "Scoring", ["versioningScheme"] = "Segment", ["description"] = "Scoring versions." }), ct);
        foreach (var version in new[] { "v1", "v2" })
        {
            await source.PutAsync($"/apis/scoring-{version}", Properties(new JsonObject
            {
                ["displayName"] = $"Scoring {version}", ["path"] = "scoring", ["serviceUrl"] = $"http://127.0.0.1:9/{version}", ["protocols"] = new JsonArray("https"),
                ["apiVersionSetId"] = "/apiVersionSets/scoring", ["apiVersion"] = version,
            }), ct);
            await source.PutAsync($"/apis/scoring-{version}/operations/score", Properties(new JsonObject { ["displayName"] = "Score", ["method"] = "POST", ["urlTemplate"] = "/score" }), ct);
        }

        // Revision 2 of 'revised' is current; revision 1 (with its own operation and policy) stays as revised;rev=1.
        await source.PutAsync("/apis/revised", Properties(new JsonObject { ["displayName"] = "Revised", ["path"] = "revised", ["serviceUrl"] = "http://127.0.0.1:9/r1", ["protocols"] = new JsonArray("https"), ["apiRevisionDescription"] = "First" }), ct);
        await source.PutAsync("/apis/revised/operations/old", Properties(new JsonObject { ["displayName"] = "Old", ["method"] = "GET", ["urlTemplate"] = "/old" }), ct);
        await source.PutAsync("/apis/revised/policies/policy", Properties(new JsonObject { ["format"] = "rawxml", ["value"] = OperationPolicy }), ct);
        await source.PutAsync("/apis/revised;rev=2", Properties(new JsonObject { ["sourceApiId"] = "/apis/revised", ["apiRevisionDescription"] = "Second", ["serviceUrl"] = "http://127.0.0.1:9/r2" }), ct);
        await source.DeleteAsync("/apis/revised;rev=2/policies/policy", ct);
        await source.PutAsync("/apis/revised;rev=2/operations/new", Properties(new JsonObject { ["displayName"] = "New", ["method"] = "GET", ["urlTemplate"] = "/new" }), ct);
        await source.SendAsync(HttpMethod.Patch, "/apis/revised;rev=2", Properties(new JsonObject { ["isCurrent"] = true }), ct);
        await source.PutAsync("/apis/revised/releases/go-live", Properties(new JsonObject { ["apiId"] = "/apis/revised;rev=2", ["notes"] = "Revision two is live." }), ct);

        await LoginAsync(_source);
        var exported = Path.Combine(_work, "kinds");
        await _cli.OkAsync("export", exported);
        var files = Tree(exported).Keys.ToList();
        foreach (var expected in new[]
        {
            "apiVersionSets/scoring/versionSetInformation.json", "backends/primary/backendInformation.json", "backends/scoring-pool/backendInformation.json",
            "certificates/client/certificateInformation.json", "apis/scoring-v1/apiInformation.json", "apis/revised/apiInformation.json",
            "apis/revised;rev=1/apiInformation.json", "apis/revised;rev=1/specification.yaml", "apis/revised;rev=1/policy.xml",
            "apis/revised/releases/go-live/apiReleaseInformation.json",
        })
        {
            Assert.Contains(expected, files);
        }

        Assert.DoesNotContain("apis/revised/policy.xml", files);
        var v1 = ArtifactFilesProperties(exported, "apis/scoring-v1/apiInformation.json");
        Assert.Equal("/apiVersionSets/scoring", (string?)v1["apiVersionSetId"]);
        Assert.Equal("v1", (string?)v1["apiVersion"]);
        Assert.Equal("2", (string?)ArtifactFilesProperties(exported, "apis/revised/apiInformation.json")["apiRevision"]);
        // The PFX, its password and what it says stay in the instance.
        var certificateFile = File.ReadAllText(Path.Combine(exported, "certificates/client/certificateInformation.json"));
        foreach (var secret in new[] { pfx[..40], "pfx-pass", certificate.Thumbprint })
        {
            Assert.DoesNotContain(secret, certificateFile, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain(Tree(exported).Values, bytes => System.Text.Encoding.UTF8.GetString(bytes).Contains(pfx[..40], StringComparison.Ordinal));

        // Applied without the PFX: refused before anything is written, naming the variable.
        await LoginAsync(_target);
        _cli.Environment[GitOps.ArtifactApplier.SecretVariable("backend-key")] = "s3cr3t-value";
        var refused = await _cli.RunAsync("apply", exported);
        Assert.True(refused.Code == 1, refused.Output);
        Assert.Contains(GitOps.ArtifactApplier.CertificateVariable("client"), refused.Stderr, StringComparison.Ordinal);
        Assert.Null(await target.FindAsync("/apiVersionSets/scoring", ct));

        _cli.Environment[GitOps.ArtifactApplier.CertificateVariable("client")] = pfx;
        _cli.Environment[GitOps.ArtifactApplier.CertificateVariable("client") + "_PASSWORD"] = "pfx-pass";
        await _cli.OkAsync("apply", exported);

        // The target through its management API: the same version set, versions, revisions, backends and certificate.
        Assert.Equal(certificate.Thumbprint, (string?)(await target.GetAsync("/certificates/client", ct))["properties"]!["thumbprint"], StringComparer.OrdinalIgnoreCase);
        foreach (var path in new[] { "/apiVersionSets/scoring", "/backends/primary", "/backends/secondary", "/backends/scoring-pool" })
        {
            var (a, b) = ((await source.GetAsync(path, ct))["properties"], (await target.GetAsync(path, ct))["properties"]);
            Assert.True(JsonNode.DeepEquals(a, b), $"{path}: {a?.ToJsonString()} != {b?.ToJsonString()}");
        }

        foreach (var version in new[] { "v1", "v2" })
        {
            var api = (await target.GetAsync($"/apis/scoring-{version}", ct))["properties"]!;
            Assert.EndsWith("/apiVersionSets/scoring", (string?)api["apiVersionSetId"], StringComparison.Ordinal);
            Assert.Equal(version, (string?)api["apiVersion"]);
            Assert.Equal("scoring", (string?)api["path"]);
        }

        async Task<List<(string?, bool, string?)>> RevisionsAsync(ManagementClient client) =>
            (await client.ListAsync("/apis/revised/revisions", ct)).Select(r => ((string?)r["apiRevision"], (bool)r["isCurrent"]!, (string?)r["description"])).ToList();
        async Task<List<string?>> OperationsAsync(ManagementClient client, string api) =>
            (await client.ListAsync($"/apis/{Uri.EscapeDataString(api)}/operations", ct)).Select(o => (string?)o["name"]).Order().ToList();
        Assert.Equal([("1", false, "First"), ("2", true, "Second")], await RevisionsAsync(target));
        Assert.Equal(["new", "old"], await OperationsAsync(target, "revised"));
        Assert.Equal(["old"], await OperationsAsync(target, "revised;rev=1"));
        Assert.Equal("http://127.0.0.1:9/r1", (string?)(await target.GetAsync("/apis/revised;rev=1", ct))["properties"]!["serviceUrl"]);
        Assert.NotNull(await target.FindAsync("/apis/revised;rev=1/policies/policy", ct));
        Assert.Null(await target.FindAsync("/apis/revised/policies/policy", ct));
        var release = (await target.GetAsync("/apis/revised/releases/go-live", ct))["properties"]!;
        Assert.EndsWith("/apis/revised;rev=2", (string?)release["apiId"], StringComparison.Ordinal);
        Assert.Equal("Revision two is live.", (string?)release["notes"]);

        var reexported = Path.Combine(_work, "kinds-target");
        await _cli.OkAsync("export", reexported);
        AssertSameTree(exported, reexported);
        Assert.Contains("No changes", (await _cli.OkAsync("apply", exported)).Stdout, StringComparison.Ordinal);

        // Revision 1 made current again at the source: the next apply makes it current at the target too.
        await source.SendAsync(HttpMethod.Patch, "/apis/revised;rev=1", Properties(new JsonObject { ["isCurrent"] = true }), ct);
        await LoginAsync(_source);
        await _cli.OkAsync("export", exported);
        await LoginAsync(_target);
        var switched = await _cli.OkAsync("apply", exported, "--prune");
        Assert.Contains("make revision 1 of API revised current", switched.Stdout, StringComparison.Ordinal);
        Assert.Equal([("1", true, "First"), ("2", false, "Second")], await RevisionsAsync(target));
        Assert.Equal(["old"], await OperationsAsync(target, "revised"));
        Assert.Contains("No changes", (await _cli.OkAsync("apply", exported, "--prune")).Stdout, StringComparison.Ordinal);

        // Folders removed: with --prune the pool, the versions with their set, revision 2 and the release go.
        foreach (var folder in new[] { "backends/scoring-pool", "apis/scoring-v1", "apis/scoring-v2", "apiVersionSets/scoring", "apis/revised;rev=2", "apis/revised/releases" })
        {
            Directory.Delete(Path.Combine(exported, folder), recursive: true);
        }

        var kept = await _cli.OkAsync("apply", exported);
        Assert.Contains("--prune would delete API revised revision 2", kept.Stdout, StringComparison.Ordinal);
        Assert.NotNull(await target.FindAsync("/backends/scoring-pool", ct));
        var pruned = await _cli.OkAsync("apply", exported, "--prune");
        Assert.Contains("delete backend scoring-pool", pruned.Stdout, StringComparison.Ordinal);
        foreach (var gone in new[] { "/backends/scoring-pool", "/apis/scoring-v1", "/apis/scoring-v2", "/apiVersionSets/scoring", "/apis/revised;rev=2", "/apis/revised/releases/go-live" })
        {
            Assert.Null(await target.FindAsync(gone, ct));
        }

        Assert.Equal([("1", true, "First")], await RevisionsAsync(target));
        Assert.NotNull(await target.FindAsync("/backends/primary", ct));
        Assert.NotNull(await target.FindAsync("/certificates/client", ct));
        Assert.Contains("No changes", (await _cli.OkAsync("apply", exported, "--prune")).Stdout, StringComparison.Ordinal);
    }

    private static JsonObject ArtifactFilesProperties(string root, string relative) => GitOps.ArtifactFiles.Properties(File.ReadAllText(Path.Combine(root, relative)));
}
