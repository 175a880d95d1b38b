using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Studio.Batch;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>BES over real HTTP with a real Azurite (docs/studio-protocol.md §2): the tutorial's flow, cancel, restart, bad input.</summary>
public sealed class BesTests : IAsyncLifetime
{
    private AzuriteServer _azurite = null!;
    private BlobContainerClient _container = null!;

    public async Task InitializeAsync() => (_azurite, _container) = await AzuriteContainer.StartAsync();

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    private Task<StudioHost> StartHostAsync(string? dataDirectory = null, BatchJobHooks? hooks = null) =>
        StudioHost.StartAsync(dataDirectory, new Dictionary<string, string?> { ["Tollgate:Studio:DefaultStorageConnectionString"] = _azurite.ConnectionString },
            hooks is null ? null : services => services.AddSingleton(hooks));

    private async Task UploadAsync(string name, string content) =>
        await _container.GetBlobClient(name).UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(content)), overwrite: true);

    private string Reference(string relative) =>
        new JsonObject { ["ConnectionString"] = _azurite.ConnectionString, ["RelativeLocation"] = relative }.ToJsonString();

    private static async Task<string> SubmitAsync(StudioHost host, StudioTutorialSetup.Published service, string body)
    {
        using var response = await host.CallAsync(HttpMethod.Post, host.ServicePath(service.EndpointId) + "/jobs?api-version=2.0", service.PrimaryKey, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Matches("^\"[0-9a-f]{32}\"$", text);
        return text.Trim('"');
    }

    private static async Task StartJobAsync(StudioHost host, StudioTutorialSetup.Published service, string job)
    {
        using var response = await host.CallAsync(HttpMethod.Post, host.ServicePath(service.EndpointId) + $"/jobs/{job}/start?api-version=2.0", service.PrimaryKey);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static async Task<JsonNode> StatusAsync(StudioHost host, StudioTutorialSetup.Published service, string job)
    {
        using var response = await host.CallAsync(HttpMethod.Get, host.ServicePath(service.EndpointId) + $"/jobs/{job}?api-version=2.0", service.PrimaryKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Polls the job's status (observable state) until it is one of <paramref name="states"/>, with a deadline.</summary>
    private static async Task<JsonNode> WaitForAsync(StudioHost host, StudioTutorialSetup.Published service, string job, params string[] states)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var status = await StatusAsync(host, service, job);
            if (states.Contains((string?)status["StatusCode"]))
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {job} still {status.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task TutorialFlow_UploadSubmitStartPollDownload_FinishesWithTheRightRows()
    {
        await using var host = await StartHostAsync();
        var service = await host.PublishTutorialAsync();
        await UploadAsync("input/reviews.csv", "Col1,Col2\n5,This is a good day\n1,\"I loved this book, really\"\n3,\n");

        var job = await SubmitAsync(host, service, $$$"""{"Inputs":{"input1":{{{Reference("mycontainer/input/reviews.csv")}}}},"Outputs":{"output1":{{{Reference("/mycontainer/output/result.csv")}}}},"GlobalParameters":{}}""");
        Assert.Equal("NotStarted", (string?)(await StatusAsync(host, service, job))["StatusCode"]);
        Assert.Null((await StatusAsync(host, service, job))["Results"]);
        await StartJobAsync(host, service, job);
        var status = await WaitForAsync(host, service, job, "Finished", "Failed", "Cancelled");

        Assert.Equal("Finished", (string?)status["StatusCode"]);
        var result = status["Results"]!["output1"]!;
        Assert.Null((string?)result["ConnectionString"]);
        Assert.StartsWith("?", (string?)result["SasBlobToken"]);
        Assert.Contains("sp=r", (string?)result["SasBlobToken"]);
        var url = (string)result["BaseLocation"]! + (string)result["RelativeLocation"]! + (string)result["SasBlobToken"]!;
        using var http = new HttpClient();
        var csv = await http.GetStringAsync(url);
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("Col2,Col2_HashingFeature.0,Col2_HashingFeature.1,Col2_HashingFeature.2,Col2_HashingFeature.3,Col2_HashingFeature.4,Col2_HashingFeature.5,Col2_HashingFeature.6,Col2_HashingFeature.7", lines[0]);
        Assert.Equal("This is a good day,1,1,2,2,0,2,0,1", lines[1]);
        Assert.StartsWith("\"I loved this book, really\",", lines[2]);
        Assert.Equal(",0,0,0,0,0,0,0,0", lines[3]);
        Assert.Equal(4, lines.Length);

        // The SAS is read-only, and a second GET gives a fresh one that works too.
        using var put = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent("x") };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        using (var write = await http.SendAsync(put))
        {
            Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        }

        var again = (await StatusAsync(host, service, job))["Results"]!["output1"]!;
        Assert.Equal(csv, await http.GetStringAsync((string)again["BaseLocation"]! + (string)again["RelativeLocation"]! + (string)again["SasBlobToken"]!));

        // Studio's metrics count the job among the finished ones. The hosts of the tests run in this one process and
        // OpenTelemetry's meter listener is process-wide: a Studio host of another test class running at the same time
        // (BesStorageTests, StudioNodesTests) adds its own "Tollgate.Studio" gauge, with the same labels, to this
        // host's /metrics (a deployment runs one host per process). So: this host's series is among them.
        using (var metrics = await host.Metrics.GetAsync("/metrics"))
        {
            var samples = await PrometheusText.ParseAsync(await metrics.Content.ReadAsStringAsync());
            Assert.Contains(samples, s => s.Name == "tollgate_studio_bes_jobs" && s.Has("state", "Finished") && s.Value == 1);
        }

        // Starting again is refused; DELETE of a finished job removes it.
        using (var restart = await host.CallAsync(HttpMethod.Post, host.ServicePath(service.EndpointId) + $"/jobs/{job}/start?api-version=2.0", service.PrimaryKey))
        {
            var json = await StudioAssert.ErrorAsync(restart, 400, "InvalidOperation", "CannotStartJob");
            Assert.Equal("The job cannot be started because it is in Finished state.", (string?)json["error"]!["details"]![0]!["message"]);
        }

        using (var delete = await host.CallAsync(HttpMethod.Delete, host.ServicePath(service.EndpointId) + $"/jobs/{job}?api-version=2.0", service.PrimaryKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using (var gone = await host.CallAsync(HttpMethod.Get, host.ServicePath(service.EndpointId) + $"/jobs/{job}?api-version=2.0", service.PrimaryKey))
        {
            await StudioAssert.ErrorAsync(gone, 404, "NotFound", "JobNotFound");
        }
    }

    [Fact]
    public async Task SingleInput_AndNoOutputs_GoToTheWorkspacesDefaultStorage()
    {
        await using var host = await StartHostAsync();
        var service = await host.PublishTutorialAsync();
        await UploadAsync("in.tsv", "Col2\textra\nThis is a good day\tx\n");

        var job = await SubmitAsync(host, service, $$$"""{"Input":{{{Reference("mycontainer/in.tsv")}}},"Outputs":null,"GlobalParameters":null}""");
        await StartJobAsync(host, service, job);
        var status = await WaitForAsync(host, service, job, "Finished", "Failed");

        Assert.Equal("Finished", (string?)status["StatusCode"]);
        Assert.Equal($"studio-batch-outputs/{job}/output1.csv", (string?)status["Results"]!["output1"]!["RelativeLocation"]);
        var blob = new BlobServiceClient(_azurite.ConnectionString).GetBlobContainerClient("studio-batch-outputs").GetBlobClient($"{job}/output1.csv");
        var content = (await blob.DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("This is a good day,1,1,2,2,0,2,0,1", content);
    }

    [Fact]
    public async Task CancelRunningJob_EndsCancelled()
    {
        var gate = new TaskCompletionSource();
        var reached = new TaskCompletionSource();
        var hooks = new BatchJobHooks
        {
            AfterBatch = async (_, _, ct) =>
            {
                reached.TrySetResult();
                await gate.Task.WaitAsync(ct);
            },
        };
        await using var host = await StartHostAsync(hooks: hooks);
        var service = await host.PublishTutorialAsync();
        await UploadAsync("cancel.csv", "Col2\n" + string.Concat(Enumerable.Repeat("This is a good day\n", 10_000)));
        var job = await SubmitAsync(host, service, $$$"""{"Inputs":{"input1":{{{Reference("mycontainer/cancel.csv")}}}},"Outputs":{"output1":{{{Reference("mycontainer/cancel-out.csv")}}}}}""");
        await StartJobAsync(host, service, job);
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("Running", (string?)(await StatusAsync(host, service, job))["StatusCode"]);

        using (var delete = await host.CallAsync(HttpMethod.Delete, host.ServicePath(service.EndpointId) + $"/jobs/{job}?api-version=2.0", service.PrimaryKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        var status = await StatusAsync(host, service, job);
        Assert.Equal("Cancelled", (string?)status["StatusCode"]);
        Assert.Null(status["Results"]);
        Assert.False(await _container.GetBlobClient("cancel-out.csv").ExistsAsync());
    }

    [Fact]
    public async Task RestartDuringAJob_RunsItAgainToTheEnd()
    {
        var data = Directory.CreateTempSubdirectory("tollgate-studio-restart-").FullName;
        try
        {
            var reached = new TaskCompletionSource();
            var hooks = new BatchJobHooks
            {
                AfterBatch = async (_, _, ct) =>
                {
                    reached.TrySetResult();
                    await Task.Delay(Timeout.Infinite, ct); // held until the process stops
                },
            };
            StudioTutorialSetup.Published service;
            string job;
            await UploadAsync("restart.csv", "Col2\n" + string.Concat(Enumerable.Repeat("This is a good day\n", 5_000)));
            await using (var first = await StartHostAsync(data, hooks))
            {
                service = await first.PublishTutorialAsync();
                job = await SubmitAsync(first, service, $$$"""{"Inputs":{"input1":{{{Reference("mycontainer/restart.csv")}}}},"Outputs":{"output1":{{{Reference("mycontainer/restart-out.csv")}}}}}""");
                await StartJobAsync(first, service, job);
                await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal("Running", (string?)(await StatusAsync(first, service, job))["StatusCode"]);
            }

            // The process stopped with the job Running; the next start runs it again.
            await using var second = await StartHostAsync(data);
            var status = await WaitForAsync(second, service, job, "Finished", "Failed", "Cancelled");
            Assert.Equal("Finished", (string?)status["StatusCode"]);
            var content = (await _container.GetBlobClient("restart-out.csv").DownloadContentAsync()).Value.Content.ToString();
            Assert.Equal(5_001, content.TrimEnd('\n').Split('\n').Length);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task BadRequests_GetTheSpecsDetailCodes_AndTheServiceKeepsServing()
    {
        await using var host = await StartHostAsync();
        var service = await host.PublishTutorialAsync();
        await UploadAsync("ok.csv", "Col2\nThis is a good day\n");
        await UploadAsync("ok.txt", "Col2\nThis is a good day\n");
        var ok = Reference("mycontainer/ok.csv");
        var cases = new (string Body, string Code, string Detail)[]
        {
            ($$$"""{"Input":{{{ok}}},"Inputs":{"input1":{{{ok}}}}}""", "BadArgument", "DuplicateInputInBatchCall"),
            ("""{"Outputs":{}}""", "BadArgument", "BatchJobInputsNotSpecified"),
            ($$$"""{"Inputs":{"input9":{{{ok}}}}}""", "BadArgument", "InvalidInputNames"),
            ($$$"""{"Inputs":{"input1":{{{Reference("mycontainer/missing.csv")}}}}}""", "BadArgument", "BlobNotFound"),
            ($$$"""{"Inputs":{"input1":{{{Reference("nocontainer/missing.csv")}}}}}""", "BadArgument", "BlobNotFound"),
            ("""{"Inputs":{"input1":{"ConnectionString":"this is not one","RelativeLocation":"mycontainer/ok.csv"}}}""", "BadArgument", "InvalidBlobConnectionString"),
            ("{\"Inputs\":{\"input1\":" + Reference("mycontainer/ok.csv").Replace("AccountKey=Eby8", "AccountKey=Xby8", StringComparison.Ordinal) + "}}", "BadArgument", "InvalidBlobConnectionString"),
            ("""{"Inputs":{"input1":{"RelativeLocation":"mycontainer/ok.csv"}}}""", "BadArgument", "MissingInputBlobInformation"),
            ($$$"""{"Inputs":{"input1":{{{Reference("ok.csv")}}}}}""", "BadArgument", "InputBlobRelativeLocationInvalid"),
            ($$$"""{"Inputs":{"input1":{{{Reference("mycontainer/ok.txt")}}}}}""", "BadArgument", "InvalidBlobExtension"),
            ($$$"""{"Inputs":{"input1":{{{ok}}}},"Outputs":{"output1":{{{Reference("mycontainer/out.ilearner")}}}}}""", "BadArgument", "InvalidBlobExtension"),
            ($$$"""{"Inputs":{"input1":{{{ok}}}},"Outputs":{"Output1":{{{Reference("mycontainer/out.csv")}}}}}""", "BadArgument", "InvalidOutputOverrideName"),
            ($$$"""{"Inputs":{"input1":{{{ok}}}},"GlobalParameters":{"nope":1}}""", "BadArgument", "UnexpectedParameter"),
            ("""{"Inputs":""", "BadArgument", "RequestBodyInvalid"),
            ("", "BadArgument", "RequestIsEmpty"),
        };
        foreach (var (body, code, detail) in cases)
        {
            using var response = await host.CallAsync(HttpMethod.Post, host.ServicePath(service.EndpointId) + "/jobs?api-version=2.0", service.PrimaryKey, body);
            await StudioAssert.ErrorAsync(response, 400, code, detail);
        }

        using (var wrongKey = await host.CallAsync(HttpMethod.Post, host.ServicePath(service.EndpointId) + "/jobs?api-version=2.0", "nope", $$$"""{"Inputs":{"input1":{{{ok}}}}}"""))
        {
            await StudioAssert.ErrorAsync(wrongKey, 401, "Unauthorized", "ScoreRequestUnauthorized");
        }

        using (var wrongVersion = await host.CallAsync(HttpMethod.Get, host.ServicePath(service.EndpointId) + $"/jobs/{new string('a', 32)}?api-version=1.0", service.PrimaryKey))
        {
            await StudioAssert.ErrorAsync(wrongVersion, 400, "BadArgument", "BadVersionCall");
        }

        using (var unknown = await host.CallAsync(HttpMethod.Get, host.ServicePath(service.EndpointId) + $"/jobs/{new string('a', 32)}?api-version=2.0", service.PrimaryKey))
        {
            await StudioAssert.ErrorAsync(unknown, 404, "NotFound", "JobNotFound");
        }

        var job = await SubmitAsync(host, service, $$$"""{"Inputs":{"input1":{{{ok}}}},"Outputs":{"output1":{{{Reference("mycontainer/ok-out.csv")}}}}}""");
        await StartJobAsync(host, service, job);
        Assert.Equal("Finished", (string?)(await WaitForAsync(host, service, job, "Finished", "Failed"))["StatusCode"]);
    }

    [Fact]
    public async Task BrokenQuoteOrVanishedInput_FailsTheJobWithDetails()
    {
        await using var host = await StartHostAsync();
        var service = await host.PublishTutorialAsync();
        await UploadAsync("broken.csv", "Col2\nThis is fine\n\"This quote never ends\nmore text\n");
        var job = await SubmitAsync(host, service, $$$"""{"Inputs":{"input1":{{{Reference("mycontainer/broken.csv")}}}},"Outputs":{"output1":{{{Reference("mycontainer/broken-out.csv")}}}}}""");
        await StartJobAsync(host, service, job);
        var status = await WaitForAsync(host, service, job, "Finished", "Failed");
        Assert.Equal("Failed", (string?)status["StatusCode"]);
        Assert.Contains("InputParseError", (string?)status["Details"]);
        Assert.Contains("Row 3", (string?)status["Details"]);
        Assert.Null(status["Results"]);

        await UploadAsync("vanishing.csv", "Col2\nx\n");
        var second = await SubmitAsync(host, service, $$$"""{"Inputs":{"input1":{{{Reference("mycontainer/vanishing.csv")}}}},"Outputs":{"output1":{{{Reference("mycontainer/v-out.csv")}}}}}""");
        await _container.GetBlobClient("vanishing.csv").DeleteAsync();
        await StartJobAsync(host, service, second);
        var vanished = await WaitForAsync(host, service, second, "Finished", "Failed");
        Assert.Equal("Failed", (string?)vanished["StatusCode"]);
        Assert.Contains("BlobNotFound", (string?)vanished["Details"]);
    }
}
