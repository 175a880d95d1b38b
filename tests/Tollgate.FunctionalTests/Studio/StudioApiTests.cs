using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>Studio's own API over HTTP: datasets, modules, experiments, runs, publishing and the dashboard.</summary>
public sealed class StudioApiTests : IAsyncLifetime
{
    private StudioHost _host = null!;

    public async Task InitializeAsync() => _host = await StudioHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<HttpResponseMessage> UploadAsync(string name, string content, string? format = null)
    {
        var url = $"/studio/datasets?name={Uri.EscapeDataString(name)}" + (format is null ? "" : "&format=" + format);
        return await _host.Studio.PostAsync(url, new StringContent(content, Encoding.UTF8, "text/csv"));
    }

    [Fact]
    public async Task TheApi_NeedsTheWorkspaceToken()
    {
        using var anonymous = await _host.Client.GetAsync("/studio/datasets");
        await StudioAssert.ErrorAsync(anonymous, 401, "Unauthorized", "AdminRequestUnauthorized");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/studio/datasets");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        using var wrong = await _host.Client.SendAsync(request);
        await StudioAssert.ErrorAsync(wrong, 401, "Unauthorized");
    }

    [Fact]
    public async Task Datasets_SampleIsPreloaded_UploadsAreTyped_AndBadFilesAreRefusedWithTheirRow()
    {
        var list = await _host.OkAsync(HttpMethod.Get, "/studio/datasets");
        var sample = list["value"]!.AsArray().Single(d => (string?)d!["name"] == "Book Reviews from Amazon")!;
        Assert.Equal(5000, (int)sample["rowCount"]!);
        Assert.Equal("Col2", (string?)sample["columns"]![1]!["name"]);

        using (var created = await UploadAsync("ratings.tsv", "id\tscore\tok\tday\n1\t2.5\ttrue\t2024-01-02\n2\t\tFalse\t2024-02-03\n"))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var dataset = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
            Assert.Equal("tsv", (string?)dataset["format"]);
            Assert.Equal(2, (int)dataset["rowCount"]!);
            Assert.Equal(["Int32", "Double", "Boolean", "DateTime"], dataset["columns"]!.AsArray().Select(c => (string)c!["type"]!));
            var rows = await _host.OkAsync(HttpMethod.Get, $"/studio/datasets/{(string)dataset["id"]!}/rows?top=1");
            Assert.Single(rows["rows"]!.AsArray());
            Assert.Equal(1, (int)rows["columns"]![1]!["missingValues"]!);
        }

        using (var broken = await UploadAsync("broken.csv", "a,b\n1,\"unterminated\n2,3\n"))
        {
            var json = await StudioAssert.ErrorAsync(broken, 400, "BadUserArgument", "InputParseError");
            Assert.Contains("Row ", (string?)json["error"]!["details"]![0]!["message"]);
        }

        using (var shortRow = await UploadAsync("short.csv", "a,b\n1,2\n3\n"))
        {
            var json = await StudioAssert.ErrorAsync(shortRow, 400, "BadUserArgument", "InputParseError");
            Assert.Contains("Row 3", (string?)json["error"]!["details"]![0]!["message"]);
        }

        using (var duplicate = await UploadAsync("Book Reviews from Amazon", "a\n1\n"))
        {
            await StudioAssert.ErrorAsync(duplicate, 409, "Conflict");
        }

        list = await _host.OkAsync(HttpMethod.Get, "/studio/datasets");
        Assert.Equal(3, list["value"]!.AsArray().Count);
        Assert.Contains("Feature Hashing", (await _host.OkAsync(HttpMethod.Get, "/studio/modules")).ToJsonString());
    }

    [Fact]
    public async Task Experiment_RunKeepsEveryPortsOutput_WithStatistics()
    {
        var experiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", StudioTutorialSetup.Experiment());
        var id = (string)experiment["id"]!;

        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{id}/run");

        Assert.Equal("Finished", (string?)run["status"]);
        var modules = run["modules"]!.AsArray().ToDictionary(m => (string)m!["id"]!, m => m!);
        Assert.Equal("NotRun", (string?)modules["input"]["status"]);
        var select = modules["select"]["outputs"]![0]!;
        Assert.Equal(5000, (int)select["rowCount"]!);
        Assert.Equal(1, (int)select["columnCount"]!);
        var hashed = modules["hashing"]["outputs"]![0]!;
        Assert.Equal("Transformed dataset", (string?)hashed["port"]);
        Assert.Equal(9, (int)hashed["columnCount"]!);
        Assert.Equal(100, hashed["rows"]!.AsArray().Count);
        var bucket = hashed["columns"]![1]!;
        Assert.Equal("Col2_HashingFeature.0", (string?)bucket["name"]);
        Assert.True((double)bucket["mean"]! > 0);
        Assert.Equal("output1", (string?)modules["output"]["outputs"]![0]!["port"]);

        var runs = await _host.OkAsync(HttpMethod.Get, $"/studio/experiments/{id}/runs");
        Assert.Equal((string?)run["id"], (string?)runs["value"]![0]!["id"]);
        var stored = await _host.OkAsync(HttpMethod.Get, $"/studio/runs/{(string)run["id"]!}");
        Assert.Equal(5000, (int)stored["modules"]![1]!["outputs"]![0]!["rowCount"]!);
    }

    [Fact]
    public async Task Experiment_ModuleErrorsAreKeptPerModule_WithStudiosMessages()
    {
        var graph = StudioTutorialSetup.Experiment();
        graph["modules"]![1]!["parameters"]!["Select columns"] = "Col2,Missing";
        var experiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", graph);

        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");

        Assert.Equal("Failed", (string?)run["status"]);
        var modules = run["modules"]!.AsArray().ToDictionary(m => (string)m!["id"]!, m => m!);
        Assert.Equal("Finished", (string?)modules["reviews"]["status"]);
        Assert.Equal("Failed", (string?)modules["select"]["status"]);
        Assert.Equal("0001", (string?)modules["select"]["error"]!["code"]);
        Assert.Equal("Error 0001: Cannot find one or more specified columns of the dataset: Missing", (string?)modules["select"]["error"]!["message"]);
        Assert.Equal("NotRun", (string?)modules["hashing"]["status"]);

        // Update: hash the Int32 rating column instead; Feature Hashing refuses it with Error 0017.
        graph["modules"]![1]!["parameters"]!["Select columns"] = "Col1";
        graph["modules"]![2]!["parameters"]!["Target columns"] = "Col1";
        var updated = await _host.OkAsync(HttpMethod.Put, $"/studio/experiments/{(string)experiment["id"]!}", graph);
        Assert.Equal(2, (int)updated["version"]!);
        run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");
        var hashing = run["modules"]!.AsArray().Single(m => (string?)m!["id"] == "hashing")!;
        Assert.Equal("0017", (string?)hashing["error"]!["code"]);

        // Out of range: bitsize 32 is Error 0007.
        graph["modules"]![2]!["parameters"]!["Target columns"] = "Col2";
        graph["modules"]![1]!["parameters"]!["Select columns"] = "Col2";
        graph["modules"]![2]!["parameters"]!["Hashing bitsize"] = 32;
        await _host.OkAsync(HttpMethod.Put, $"/studio/experiments/{(string)experiment["id"]!}", graph);
        run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");
        hashing = run["modules"]!.AsArray().Single(m => (string?)m!["id"] == "hashing")!;
        Assert.Equal("Error 0007: Parameter \"Hashing bitsize\" should be less than or equal to 31.", (string?)hashing["error"]!["message"]);

        // A graph that cannot be a web service is refused at publish with the reason.
        using var publish = await StudioHost.SendAsync(_host.Studio, HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/publish", "{}");
        var refused = await StudioAssert.ErrorAsync(publish, 400, "ModuleExecutionError", "ModuleExecutionError");
        Assert.Equal("Error 0007: Parameter \"Hashing bitsize\" should be less than or equal to 31.", (string?)refused["error"]!["details"]![0]!["message"]);
    }

    [Fact]
    public async Task InvalidGraphs_AreRefused_NamingEveryProblem()
    {
        var graph = new JsonObject
        {
            ["name"] = "",
            ["modules"] = new JsonArray(
                new JsonObject { ["id"] = "a", ["module"] = "No Such Module" },
                new JsonObject { ["id"] = "b", ["module"] = "Feature Hashing", ["parameters"] = new JsonObject { ["Bits"] = 3 } },
                new JsonObject { ["id"] = "b", ["module"] = "Web service output" }),
            ["connections"] = new JsonArray(new JsonObject { ["from"] = "b", ["to"] = "zzz" }),
        };

        using var response = await StudioHost.SendAsync(_host.Studio, HttpMethod.Post, "/studio/experiments", graph.ToJsonString());

        var json = await StudioAssert.ErrorAsync(response, 400, "BadArgument", "InvalidExperimentGraph");
        var targets = json["error"]!["details"]!.AsArray().Select(d => (string)d!["target"]!).ToArray();
        Assert.Equal(["name", "modules[0].module", "modules[1].parameters.Bits", "modules[2].id", "connections[0].to"], targets);

        using var cycle = await StudioHost.SendAsync(_host.Studio, HttpMethod.Post, "/studio/experiments", """
            {"name":"cycle","modules":[{"id":"a","module":"Select Columns in Dataset"},{"id":"b","module":"Select Columns in Dataset"}],
             "connections":[{"from":"a","to":"b"},{"from":"b","to":"a"}]}
            """);
        var cycleJson = await StudioAssert.ErrorAsync(cycle, 400, "BadArgument", "InvalidExperimentGraph");
        Assert.Contains("cycle", (string?)cycleJson["error"]!["details"]![0]!["message"]);

        using var malformed = await StudioHost.SendAsync(_host.Studio, HttpMethod.Post, "/studio/experiments", "{\"name\":");
        await StudioAssert.ErrorAsync(malformed, 400, "BadArgument", "RequestBodyInvalid");
    }

    [Fact]
    public async Task Publish_GivesIdsAndKeys_DashboardTest_KeyRegeneration()
    {
        var published = await _host.PublishTutorialAsync();
        Assert.Matches("^[0-9a-f]{32}$", published.WorkspaceId);
        Assert.Matches("^[0-9a-f]{32}$", published.ServiceId);
        Assert.Matches("^[0-9a-f]{32}$", published.EndpointId);

        var dashboard = await _host.OkAsync(HttpMethod.Get, $"/studio/services/{published.ServiceId}");
        Assert.Equal(20, (int)dashboard["defaultEndpoint"]!["maxConcurrentCalls"]!);
        Assert.NotEqual((string?)dashboard["defaultEndpoint"]!["primaryKey"], (string?)dashboard["defaultEndpoint"]!["secondaryKey"]);
        Assert.DoesNotContain("primaryKey", (await _host.OkAsync(HttpMethod.Get, "/studio/services")).ToJsonString());

        // Keys are encrypted at rest: the store holds no key in clear.
        var db = await File.ReadAllBytesAsync(Path.Combine(_host.DataDirectory, "studio", "studio.db"));
        var wal = Path.Combine(_host.DataDirectory, "studio", "studio.db-wal");
        var all = Encoding.ASCII.GetString(db) + (File.Exists(wal) ? Encoding.ASCII.GetString(await File.ReadAllBytesAsync(wal)) : "");
        Assert.DoesNotContain(published.PrimaryKey, all);

        var test = await _host.OkAsync(HttpMethod.Post, $"/studio/services/{published.ServiceId}/test", new JsonObject { ["values"] = new JsonObject { ["Col2"] = "This is a good day" } });
        Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], test["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray().Select(v => (string?)v));

        var regenerated = await _host.OkAsync(HttpMethod.Post, $"/studio/services/{published.ServiceId}/regenerateKey", new JsonObject { ["keyType"] = "primary" });
        var newKey = (string)regenerated["defaultEndpoint"]!["primaryKey"]!;
        Assert.NotEqual(published.PrimaryKey, newKey);
        var body = """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["x"]]}}}""";
        using (var old = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(published.EndpointId) + "/execute?api-version=2.0", published.PrimaryKey, body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        using (var fresh = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(published.EndpointId) + "/execute?api-version=2.0", newKey, body))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        using var badMax = await StudioHost.SendAsync(_host.Studio, HttpMethod.Patch, $"/studio/services/{published.ServiceId}", """{"MaxConcurrentCalls":500}""");
        await StudioAssert.ErrorAsync(badMax, 400, "BadArgument", "BadParameterValue");
    }
}
