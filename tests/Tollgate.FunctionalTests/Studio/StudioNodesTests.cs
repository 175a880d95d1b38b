using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.FunctionalTests.Store;
using Tollgate.Studio.Batch;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>
/// Studio on several nodes (<c>--roles studio</c>) over one real PostgreSQL and one real Azurite, as a team behind a load
/// balancer runs it: whatever one node stores, every node serves; a BES job runs on exactly one node at a time, is taken
/// over when its node dies, and is cancelled through any node.
/// </summary>
public sealed class StudioNodesTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private readonly string _secretsKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private AzuriteServer _azurite = null!;
    private BlobContainerClient _container = null!;
    private string _database = null!;

    public async Task InitializeAsync()
    {
        (_azurite, _container) = await AzuriteContainer.StartAsync();
        _database = await postgres.CreateDatabaseAsync();
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    /// <summary>The settings every node of the cluster shares (<c>Tollgate:…</c>).</summary>
    private Dictionary<string, string?> NodeSettings(string lease) => new()
    {
        ["Tollgate:Studio:Store:Provider"] = "postgres",
        ["Tollgate:Studio:Store:ConnectionString"] = _database,
        ["Tollgate:Studio:DefaultStorageConnectionString"] = _azurite.ConnectionString,
        ["Tollgate:Studio:JobLease"] = lease,
        ["Tollgate:Studio:JobPollInterval"] = "00:00:00.100",
        ["Tollgate:Secrets:Key"] = _secretsKey,
    };

    private Task<StudioHost> StartNodeAsync(string name, BatchJobHooks? hooks = null, string lease = "00:00:30")
    {
        var settings = NodeSettings(lease);
        settings["Tollgate:Studio:NodeName"] = name;
        return StudioHost.StartAsync(null, settings, hooks is null ? null : services => services.AddSingleton(hooks));
    }

    private string Reference(string relative) =>
        new JsonObject { ["ConnectionString"] = _azurite.ConnectionString, ["RelativeLocation"] = relative }.ToJsonString();

    private async Task UploadInputAsync(string name, int rows)
    {
        var csv = new StringBuilder("Col1,Col2\n");
        for (var i = 0; i < rows; i++)
        {
            csv.Append("5,This is a good day number ").Append(i).Append('\n');
        }

        await _container.GetBlobClient(name).UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(csv.ToString())), overwrite: true);
    }

    private static async Task<string> SubmitAndStartAsync(HttpClient http, string servicePath, string key, string body)
    {
        using var submit = await StudioHost.SendAsync(http, HttpMethod.Post, servicePath + "/jobs?api-version=2.0", body, "Bearer " + key);
        var text = await submit.Content.ReadAsStringAsync();
        Assert.True(submit.StatusCode == HttpStatusCode.OK, text);
        var job = text.Trim('"');
        using var start = await StudioHost.SendAsync(http, HttpMethod.Post, servicePath + $"/jobs/{job}/start?api-version=2.0", null, "Bearer " + key);
        Assert.Equal(HttpStatusCode.NoContent, start.StatusCode);
        return job;
    }

    /// <summary>Polls a job's status through <paramref name="http"/> (observable state) until it has ended.</summary>
    private static async Task<JsonNode> WaitEndedAsync(HttpClient http, string servicePath, string key, string job)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            using var response = await StudioHost.SendAsync(http, HttpMethod.Get, servicePath + $"/jobs/{job}?api-version=2.0", null, "Bearer " + key);
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if ((string?)status["StatusCode"] is "Finished" or "Failed" or "Cancelled")
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {job} still {status.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    private async Task<(string? Owner, string Status, int Attempt)> ReadJobRowAsync(string job)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT owner, status, attempt FROM studio_jobs WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", job);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"job {job} is not in the store");
        return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1), reader.GetInt32(2));
    }

    [Fact]
    public async Task DatasetExperimentAndServices_StoredOnNodeA_AreServedByNodeB()
    {
        await using var nodeA = await StartNodeAsync("node-a");
        await using var nodeB = await StartNodeAsync("node-b");

        // One workspace for the cluster, and the samples stored once.
        Assert.Equal(nodeA.WorkspaceId, nodeB.WorkspaceId);
        var samples = (await nodeB.OkAsync(HttpMethod.Get, "/studio/datasets"))["value"]!.AsArray();
        Assert.Single(samples, d => (string?)d!["name"] == "Book Reviews from Amazon");

        // A dataset uploaded on A: its rows are read on B (from blob storage, not A's disk).
        using (var created = await nodeA.Studio.PostAsync("/studio/datasets?name=ratings.csv", new StringContent("id,score\n1,2.5\n2,3.5\n", Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        Assert.Empty(Directory.EnumerateFiles(nodeA.DataDirectory, "*.csv", SearchOption.AllDirectories));
        var rows = await nodeB.OkAsync(HttpMethod.Get, "/studio/datasets/ratings.csv/rows?top=5");
        Assert.Equal(2, rows["rows"]!.AsArray().Count);

        // The same name uploaded on B is refused with Studio's error shape.
        using (var again = await nodeB.Studio.PostAsync("/studio/datasets?name=RATINGS.csv", new StringContent("id\n1\n", Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.NotNull(JsonNode.Parse(await again.Content.ReadAsStringAsync())!["error"]!["code"]);
        }

        // The tutorial's experiment run and published on A answers RRS on B.
        var tutorial = await nodeA.PublishTutorialAsync();
        using (var response = await nodeB.CallAsync(HttpMethod.Post, nodeB.ServicePath(tutorial.EndpointId) + "/execute?api-version=2.0", tutorial.PrimaryKey,
            """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{}}"""))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Equal("This is a good day", (string?)JsonNode.Parse(text)!["Results"]!["output1"]!["value"]!["Values"]![0]![0]);
        }

        // The experiment and its run, made on A, are read on B.
        var experiments = (await nodeB.OkAsync(HttpMethod.Get, "/studio/experiments"))["value"]!.AsArray();
        var experiment = experiments.Single(e => (string?)e!["name"] == StudioTutorialSetup.ExperimentName)!;
        var runs = (await nodeB.OkAsync(HttpMethod.Get, $"/studio/experiments/{(string)experiment["id"]!}/runs"))["value"]!.AsArray();
        var run = await nodeB.OkAsync(HttpMethod.Get, $"/studio/runs/{(string)runs[0]!["id"]!}");
        Assert.NotEmpty(run["modules"]!.AsArray());

        // A trained model (the demo's classifier) trained and published on A scores on B, which never saw it in memory.
        var classifier = await StudioClassifierSetup.RunAsync(nodeA.Studio, nodeA.Url, nodeA.Studio.DefaultRequestHeaders.Authorization!.Parameter!, CancellationToken.None);
        using (var response = await nodeB.CallAsync(HttpMethod.Post, nodeB.ServicePath(classifier.EndpointId) + "/execute?api-version=2.0", classifier.PrimaryKey,
            """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["I loved this book, really"]]}},"GlobalParameters":{}}"""))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        }

        var models = (await nodeB.OkAsync(HttpMethod.Get, "/studio/trainedmodels"))["value"]!.AsArray();
        Assert.NotEmpty(models);
    }

    [Fact]
    public async Task ServiceKeyRegeneratedOnNodeA_IsRefusedOnNodeB_AtOnce_AndADeletedServiceIsGoneEverywhere()
    {
        await using var nodeA = await StartNodeAsync("node-a");
        await using var nodeB = await StartNodeAsync("node-b");
        var service = await nodeA.PublishTutorialAsync();
        const string Body = """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{}}""";
        var execute = nodeB.ServicePath(service.EndpointId) + "/execute?api-version=2.0";

        // Node B has the service loaded with the old key.
        using (var before = await nodeB.CallAsync(HttpMethod.Post, execute, service.PrimaryKey, Body))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var regenerated = await nodeA.OkAsync(HttpMethod.Post, $"/studio/services/{service.ServiceId}/regenerateKey", new JsonObject { ["keyType"] = "primary" });
        var newKey = (string?)regenerated["primaryKey"] ?? (string)regenerated["defaultEndpoint"]!["primaryKey"]!;
        Assert.NotEqual(service.PrimaryKey, newKey);

        // The very next call on node B with the old key is refused; the new key works there.
        using (var old = await nodeB.CallAsync(HttpMethod.Post, execute, service.PrimaryKey, Body))
        {
            await StudioAssert.ErrorAsync(old, 401, "Unauthorized");
        }

        using (var fresh = await nodeB.CallAsync(HttpMethod.Post, execute, newKey, Body))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        // Deleted through node A: node B answers 404 at once.
        using (var deleted = await nodeA.Studio.DeleteAsync($"/studio/services/{service.ServiceId}"))
        {
            Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
        }

        using (var gone = await nodeB.CallAsync(HttpMethod.Post, execute, newKey, Body))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task BesJob_SubmittedOnNodeA_IsPolledOnNodeB_AndRunsOnExactlyOneNode()
    {
        var ranOn = new ConcurrentDictionary<string, ConcurrentDictionary<string, byte>>();
        BatchJobHooks Recorder(string node) => new()
        {
            AfterBatch = (job, _, _) =>
            {
                ranOn.GetOrAdd(job, _ => new()).TryAdd(node, 0);
                return ValueTask.CompletedTask;
            },
        };

        await using var nodeA = await StartNodeAsync("node-a", Recorder("node-a"));
        await using var nodeB = await StartNodeAsync("node-b", Recorder("node-b"));
        var service = await nodeA.PublishTutorialAsync();
        await UploadInputAsync("input/many.csv", 20_000);

        var jobs = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var body = $$$"""{"Inputs":{"input1":{{{Reference("mycontainer/input/many.csv")}}}},"Outputs":{"output1":{{{Reference($"mycontainer/output/many-{i}.csv")}}}},"GlobalParameters":{}}""";
            jobs.Add(await SubmitAndStartAsync(nodeA.Client, nodeA.ServicePath(service.EndpointId), service.PrimaryKey, body));
        }

        foreach (var (job, i) in jobs.Select((j, i) => (j, i)))
        {
            var status = await WaitEndedAsync(nodeB.Client, nodeB.ServicePath(service.EndpointId), service.PrimaryKey, job);
            Assert.Equal("Finished", (string?)status["StatusCode"]);

            // Each job was claimed once and ran on one node only.
            Assert.Single(ranOn[job]);
            Assert.Equal(1, (await ReadJobRowAsync(job)).Attempt);
            var csv = (await _container.GetBlobClient($"output/many-{i}.csv").DownloadContentAsync()).Value.Content.ToString();
            Assert.Equal(20_001, csv.TrimEnd('\n').Split('\n').Length);
        }
    }

    [Fact]
    public async Task Cancel_ThroughTheOtherNode_StopsTheJobWhereItRuns()
    {
        await using var held = await StartHeldJobAsync("held", 10);
        var (nodeA, nodeB, service, job, runner) = (held.NodeA, held.NodeB, held.Service, held.Job, held.Runner);

        // DELETE through the node that does not run it.
        var other = runner == "node-a" ? nodeB : nodeA;
        using (var cancel = await other.CallAsync(HttpMethod.Delete, other.ServicePath(service.EndpointId) + $"/jobs/{job}?api-version=2.0", service.PrimaryKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        }

        // The running node sees it at its next heartbeat and stops the job; nothing was committed.
        Assert.Equal(runner, await held.Holder.Stopped.WaitAsync(TimeSpan.FromSeconds(60)));
        var status = await WaitEndedAsync(other.Client, other.ServicePath(service.EndpointId), service.PrimaryKey, job);
        Assert.Equal("Cancelled", (string?)status["StatusCode"]);
        Assert.False(await _container.GetBlobClient("output/held.csv").ExistsAsync());
    }

    [Fact]
    public async Task NodeThatLostItsLease_StopsAtItsNextHeartbeat_AndOnlyTheNewOwnersOutputIsCommitted()
    {
        await using var held = await StartHeldJobAsync("lost", 1_000);
        var (nodeB, service, job) = (held.NodeB, held.Service, held.Job);

        // Another claimer took the job over (as after a network partition) and its lease has ended already.
        await using (var connection = new NpgsqlConnection(_database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "UPDATE studio_jobs SET owner = 'node-x', attempt = attempt + 1, lease_until = '2000-01-01T00:00:00.0000000Z' WHERE id = @id AND attempt = 1", connection);
            command.Parameters.AddWithValue("id", job);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        // The holder's heartbeat fails and it stops; a node claims the job again (attempt 3) and finishes it.
        Assert.Equal(held.Runner, await held.Holder.Stopped.WaitAsync(TimeSpan.FromSeconds(60)));
        var status = await WaitEndedAsync(nodeB.Client, nodeB.ServicePath(service.EndpointId), service.PrimaryKey, job);
        Assert.Equal("Finished", (string?)status["StatusCode"]);
        var row = await ReadJobRowAsync(job);
        Assert.Equal(3, row.Attempt);
        Assert.Contains(row.Owner, new[] { "node-a", "node-b" });
        var blocks = (await _container.GetBlockBlobClient("output/lost.csv").GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks;
        Assert.All(blocks, b => Assert.Equal(3, StagedBlobWriter.AttemptOf(b.Name)));
        var csv = (await _container.GetBlobClient("output/lost.csv").DownloadContentAsync()).Value.Content.ToString();
        Assert.Equal(1_001, csv.TrimEnd('\n').Split('\n').Length);
    }

    [Fact]
    public async Task NodeKilledMidJob_TheOtherNodeFinishesIt_OutputCompleteAndWrittenOnce()
    {
        const int Rows = 600_000;
        StudioTutorialSetup.Published service;
        string workspace;
        await using (var setup = await StartNodeAsync("node-setup"))
        {
            service = await setup.PublishTutorialAsync();
            workspace = setup.WorkspaceId;
        }

        await UploadInputAsync("input/big.csv", Rows);
        var servicePath = $"/workspaces/{workspace}/services/{service.EndpointId}";
        var body = $$$"""{"Inputs":{"input1":{{{Reference("mycontainer/input/big.csv")}}}},"Outputs":{"output1":{{{Reference("mycontainer/output/big.csv")}}}},"GlobalParameters":{}}""";

        // Node A: a real `tollgate run --roles studio` process, killed with SIGKILL while it writes the output.
        var data = Directory.CreateTempSubdirectory("tollgate-node-a-").FullName;
        Process? process = null;
        string job;
        try
        {
            var environment = NodeSettings("00:00:03").ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value!);
            environment["Tollgate__Studio__NodeName"] = "node-a";
            (process, var http) = await BesMillionRowsTests.StartStudioAsync(data, _azurite, environment);
            job = await SubmitAndStartAsync(http, servicePath, service.PrimaryKey, body);

            // Mid-job: node A has staged output blocks (nothing committed yet).
            var output = _container.GetBlockBlobClient("output/big.csv");
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!await HasUncommittedBlocksAsync(output))
            {
                Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "node A staged no output");
                await Task.Delay(20);
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        finally
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            Directory.Delete(data, recursive: true);
        }

        // Killed while it held the job: the job is still Running under node A's lease, and no output is visible.
        var killed = await ReadJobRowAsync(job);
        Assert.Equal(("node-a", "Running", 1), killed);
        Assert.False(await _container.GetBlobClient("output/big.csv").ExistsAsync());

        // Node B takes the job over once the lease has ended and finishes it.
        await using var nodeB = await StartNodeAsync("node-b", lease: "00:00:03");
        var status = await WaitEndedAsync(nodeB.Client, servicePath, service.PrimaryKey, job);
        Assert.Equal("Finished", (string?)status["StatusCode"]);
        Assert.Equal(("node-b", "Finished", 2), await ReadJobRowAsync(job));

        // Complete (every row once) and written once: every committed block is node B's (attempt 2), none of node A's.
        var blocks = (await _container.GetBlockBlobClient("output/big.csv").GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks.ToList();
        Assert.NotEmpty(blocks);
        Assert.All(blocks, b => Assert.Equal(2, StagedBlobWriter.AttemptOf(b.Name)));
        var lines = 0;
        var first = "";
        using (var reader = new StreamReader(await _container.GetBlobClient("output/big.csv").OpenReadAsync()))
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (lines == 1)
                {
                    first = line;
                }

                lines++;
            }
        }

        Assert.Equal(Rows + 1, lines);
        Assert.StartsWith("This is a good day number 0,", first);
    }

    /// <summary>
    /// Two nodes (3 s leases) whose first BES run is held after its first batch; publishes the tutorial, submits a job
    /// from <c>input/{name}.csv</c> (<paramref name="rows"/> rows) to <c>output/{name}.csv</c> through node A, and
    /// returns once a node runs it.
    /// </summary>
    private async Task<HeldJob> StartHeldJobAsync(string name, int rows)
    {
        var holder = new FirstRunHolder();
        var nodeA = await StartNodeAsync("node-a", holder.Hooks("node-a"), lease: "00:00:03");
        var nodeB = await StartNodeAsync("node-b", holder.Hooks("node-b"), lease: "00:00:03");
        try
        {
            var service = await nodeA.PublishTutorialAsync();
            await UploadInputAsync($"input/{name}.csv", rows);
            var body = $$$"""{"Inputs":{"input1":{{{Reference($"mycontainer/input/{name}.csv")}}}},"Outputs":{"output1":{{{Reference($"mycontainer/output/{name}.csv")}}}},"GlobalParameters":{}}""";
            var job = await SubmitAndStartAsync(nodeA.Client, nodeA.ServicePath(service.EndpointId), service.PrimaryKey, body);
            return new HeldJob(nodeA, nodeB, service, job, await holder.Held.WaitAsync(TimeSpan.FromSeconds(60)), holder);
        }
        catch
        {
            await nodeA.DisposeAsync();
            await nodeB.DisposeAsync();
            throw;
        }
    }

    private sealed record HeldJob(StudioHost NodeA, StudioHost NodeB, StudioTutorialSetup.Published Service, string Job, string Runner, FirstRunHolder Holder) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await NodeA.DisposeAsync();
            await NodeB.DisposeAsync();
        }
    }

    private static async Task<bool> HasUncommittedBlocksAsync(BlockBlobClient blob)
    {
        try
        {
            return (await blob.GetBlockListAsync(BlockListTypes.Uncommitted)).Value.UncommittedBlocks.Any();
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// Holds the first BES run on any node after its first batch until the run's token is cancelled; later runs go
    /// through. <see cref="Held"/> and <see cref="Stopped"/> give the node that ran it.
    /// </summary>
    private sealed class FirstRunHolder
    {
        private readonly TaskCompletionSource<string> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<string> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _first;

        public Task<string> Held => _held.Task;

        public Task<string> Stopped => _stopped.Task;

        public BatchJobHooks Hooks(string node) => new()
        {
            AfterBatch = async (_, _, ct) =>
            {
                if (Interlocked.Exchange(ref _first, 1) != 0)
                {
                    return;
                }

                _held.TrySetResult(node);
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                finally
                {
                    _stopped.TrySetResult(node);
                }
            },
        };
    }
}
