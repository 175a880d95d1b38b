using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Tollgate.Security;
using Tollgate.Demo;
using Tollgate.Studio.Storage;
using Tollgate.Tests.Common;
using Xunit.Abstractions;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>
/// The acceptance run: a 1,000,000-row CSV through BES (Feature Hashing, bitsize 10, n-grams 2) in a separate
/// <c>tollgate run --roles studio</c> process, whose peak resident memory (VmHWM in /proc) must stay under 500 MB.
/// </summary>
public sealed class BesMillionRowsTests(ITestOutputHelper output)
{
    private const int Rows = 1_000_000;

    [Fact]
    [Trait("Category", "Large")]
    public async Task MillionRowCsv_BitsizeTen_FinishesUnder500MegabytesPeak()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var data = Directory.CreateTempSubdirectory("tollgate-million-").FullName;
        var input = Path.Combine(data, "million.csv");
        Process? process = null;
        try
        {
            // The workspace (and its token) is created up front in the data directory the process will use.
            var store = new StudioStore(Path.Combine(Directory.CreateDirectory(Path.Combine(data, "studio")).FullName, "studio.db"), SecretProtector.Load(null, data));
            await store.InitializeAsync();
            var workspace = await store.GetOrCreateWorkspaceAsync(TimeProvider.System);

            var phrases = new[] { "This is a good day", "I loved this book", "The plot never gets going", "A wonderful story and highly recommended", "Not for everyone 2015" };
            await using (var writer = new StreamWriter(input, false, new UTF8Encoding(false)))
            {
                await writer.WriteAsync("Col1,Col2\n");
                for (var i = 0; i < Rows; i++)
                {
                    await writer.WriteAsync($"{i % 5 + 1},{phrases[i % phrases.Length]} number {i}\n");
                }
            }

            var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("big");
            await container.CreateIfNotExistsAsync();
            await container.GetBlobClient("million.csv").UploadAsync(input, overwrite: true);

            var port = FreePort.Next();
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "tollgate.dll"), "run", "--roles", "studio", "--data-dir", data })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["Tollgate__Studio__Url"] = $"http://127.0.0.1:{port}";
            info.Environment["Tollgate__Studio__PreloadSample"] = "true";
            info.Environment["Tollgate__Studio__AllowedStorageHosts"] = $"127.0.0.1:{azurite.Port}";
            info.Environment["NO_COLOR"] = "1";
            process = Process.Start(info)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    using var live = await http.GetAsync("/health/live");
                    if (live.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                }

                Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "tollgate did not start");
                await Task.Delay(100);
            }

            // Publish the tutorial's experiment with bitsize 10 (1,024 features per row).
            var graph = StudioTutorialSetup.Experiment();
            graph["name"] = "Million rows";
            graph["modules"]![2]!["parameters"]!["Hashing bitsize"] = 10;
            var studio = new AuthenticationHeaderValue("Bearer", workspace.AuthorizationToken);
            async Task<JsonNode> Post(string path, JsonNode body)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
                request.Headers.Authorization = studio;
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, text);
                return JsonNode.Parse(text)!;
            }

            var experiment = await Post("/studio/experiments", graph);
            var dashboard = await Post($"/studio/experiments/{(string)experiment["id"]!}/publish", new JsonObject());
            var endpoint = (string)dashboard["defaultEndpoint"]!["id"]!;
            var key = new AuthenticationHeaderValue("Bearer", (string)dashboard["defaultEndpoint"]!["primaryKey"]!);
            var baseline = PeakResidentBytes(process.Id);
            var reference = new JsonObject { ["ConnectionString"] = azurite.ConnectionString, ["RelativeLocation"] = "big/million.csv" };
            var outputReference = new JsonObject { ["ConnectionString"] = azurite.ConnectionString, ["RelativeLocation"] = "big/million-hashed.csv" };
            using var submit = new HttpRequestMessage(HttpMethod.Post, $"/workspaces/{workspace.Id}/services/{endpoint}/jobs?api-version=2.0")
            {
                Content = new StringContent(new JsonObject { ["Inputs"] = new JsonObject { ["input1"] = reference }, ["Outputs"] = new JsonObject { ["output1"] = outputReference } }.ToJsonString(),
                    Encoding.UTF8, "application/json"),
            };
            submit.Headers.Authorization = key;
            using var submitted = await http.SendAsync(submit);
            var job = (await submitted.Content.ReadAsStringAsync()).Trim('"');
            using var start = new HttpRequestMessage(HttpMethod.Post, $"/workspaces/{workspace.Id}/services/{endpoint}/jobs/{job}/start?api-version=2.0");
            start.Headers.Authorization = key;
            (await http.SendAsync(start)).EnsureSuccessStatusCode();
            var clock = Stopwatch.StartNew();

            // Poll once a second, as the tutorial's client does, with a deadline.
            JsonNode status;
            while (true)
            {
                using var get = new HttpRequestMessage(HttpMethod.Get, $"/workspaces/{workspace.Id}/services/{endpoint}/jobs/{job}?api-version=2.0");
                get.Headers.Authorization = key;
                using var response = await http.SendAsync(get);
                status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                if ((string?)status["StatusCode"] is "Finished" or "Failed" or "Cancelled")
                {
                    break;
                }

                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(10), "the job did not end within 10 minutes");
                await Task.Delay(1000);
            }

            var elapsed = clock.Elapsed;
            var peak = PeakResidentBytes(process.Id);
            Assert.True((string?)status["StatusCode"] == "Finished", status.ToJsonString());

            // Count the output's rows by streaming it back, and check the first one.
            var result = status["Results"]!["output1"]!;
            using var download = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            await using var stream = await download.GetStreamAsync((string)result["BaseLocation"]! + (string)result["RelativeLocation"]! + (string)result["SasBlobToken"]!);
            using var reader = new StreamReader(stream);
            var header = (await reader.ReadLineAsync())!;
            var first = (await reader.ReadLineAsync())!;
            long lines = 1;
            var buffer = new char[1 << 16];
            int read;
            long bytes = header.Length + first.Length + 2;
            while ((read = await reader.ReadAsync(buffer)) > 0)
            {
                bytes += read;
                lines += buffer.AsSpan(0, read).Count('\n');
            }

            Assert.Equal(1 + 1024, header.Split(',').Length);
            Assert.StartsWith("This is a good day number 0,", first);
            Assert.Equal(Rows, lines);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"1,000,000 rows, bitsize 10: {elapsed.TotalSeconds:F1} s ({Rows / elapsed.TotalSeconds:F0} rows/s), output {bytes / 1e9:F2} GB; tollgate peak RSS {peak / 1e6:F0} MB (before the job: {baseline / 1e6:F0} MB)"));
            Assert.True(peak < 500L * 1024 * 1024, $"peak resident memory {peak / 1e6:F0} MB");
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
    }

    /// <summary>
    /// A trained model through BES: the census sample's Two-Class Decision Forest (seed 7), trained, set up as a web
    /// service and published, scores a 1,000,000-row census CSV in the same separate process; peak RSS under 500 MB.
    /// </summary>
    [Fact]
    [Trait("Category", "Large")]
    public async Task MillionRowCsv_TrainedDecisionForest_ScoresUnder500MegabytesPeak()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var data = Directory.CreateTempSubdirectory("tollgate-million-forest-").FullName;
        var input = Path.Combine(data, "census.csv");
        Process? process = null;
        try
        {
            var store = new StudioStore(Path.Combine(Directory.CreateDirectory(Path.Combine(data, "studio")).FullName, "studio.db"), SecretProtector.Load(null, data));
            await store.InitializeAsync();
            var workspace = await store.GetOrCreateWorkspaceAsync(TimeProvider.System);

            // Census-like rows (the sample's columns, income empty): values cycle so that every row is different enough.
            string[] work = ["Private", "Self-emp-not-inc", "Local-gov", "State-gov", "Federal-gov"];
            string[] marital = ["Never-married", "Married-civ-spouse", "Divorced", "Separated", "Widowed"];
            await using (var writer = new StreamWriter(input, false, new UTF8Encoding(false)))
            {
                await writer.WriteAsync("age,workclass,education-num,marital-status,sex,hours-per-week,income\n");
                for (var i = 0; i < Rows; i++)
                {
                    await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                        $"{17 + (i % 58)},{work[i % 5]},{1 + (i % 16)},{marital[(i / 5) % 5]},{(i % 3 == 0 ? "Female" : "Male")},{5 + (i % 86)},\n"));
                }
            }

            var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("big");
            await container.CreateIfNotExistsAsync();
            await container.GetBlobClient("census.csv").UploadAsync(input, overwrite: true);
            (process, var http) = await StartStudioAsync(data, azurite);
            using var _ = http;
            var studio = new AuthenticationHeaderValue("Bearer", workspace.AuthorizationToken);
            async Task<JsonNode> Post(string path, JsonNode body)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
                request.Headers.Authorization = studio;
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, text);
                return JsonNode.Parse(text)!;
            }

            static JsonObject End(string module, string port) => new() { ["module"] = module, ["port"] = port };
            static JsonObject Link(string from, string fromPort, string to, string toPort) => new() { ["from"] = End(from, fromPort), ["to"] = End(to, toPort) };
            var experiment = await Post("/studio/experiments", new JsonObject
            {
                ["name"] = "Census forest",
                ["modules"] = new JsonArray(
                    new JsonObject { ["id"] = "data", ["module"] = "Saved dataset", ["parameters"] = new JsonObject { ["Dataset"] = "Adult Census Income Binary Classification dataset" } },
                    new JsonObject { ["id"] = "learner", ["module"] = "Two-Class Decision Forest", ["parameters"] = new JsonObject { ["Random number seed"] = 7 } },
                    new JsonObject { ["id"] = "train", ["module"] = "Train Model", ["parameters"] = new JsonObject { ["Label column"] = "income" } },
                    new JsonObject { ["id"] = "score", ["module"] = "Score Model" }),
                ["connections"] = new JsonArray(
                    Link("data", "Dataset", "train", "Dataset"), Link("learner", "Untrained model", "train", "Untrained model"),
                    Link("train", "Trained model", "score", "Trained model"), Link("data", "Dataset", "score", "Dataset")),
            });
            var run = await Post($"/studio/experiments/{(string)experiment["id"]!}/run", new JsonObject());
            Assert.True((string?)run["status"] == "Finished", run.ToJsonString());
            var predictive = await Post($"/studio/experiments/{(string)experiment["id"]!}/setUpWebService", new JsonObject());
            var dashboard = await Post($"/studio/experiments/{(string)predictive["id"]!}/publish", new JsonObject());
            var endpoint = (string)dashboard["defaultEndpoint"]!["id"]!;
            var key = new AuthenticationHeaderValue("Bearer", (string)dashboard["defaultEndpoint"]!["primaryKey"]!);

            var baseline = PeakResidentBytes(process.Id);
            var (status, elapsed) = await RunJobAsync(http, workspace.Id, endpoint, key, azurite.ConnectionString, "big/census.csv", "big/census-scored.csv");
            var peak = PeakResidentBytes(process.Id);
            Assert.True((string?)status["StatusCode"] == "Finished", status.ToJsonString());

            var result = status["Results"]!["output1"]!;
            using var download = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            await using var stream = await download.GetStreamAsync((string)result["BaseLocation"]! + (string)result["RelativeLocation"]! + (string)result["SasBlobToken"]!);
            using var reader = new StreamReader(stream);
            Assert.Equal("age,workclass,education-num,marital-status,sex,hours-per-week,income,Scored Labels,Scored Probabilities", await reader.ReadLineAsync());
            long lines = 0;
            var positive = 0L;
            while (await reader.ReadLineAsync() is { } line)
            {
                lines++;
                positive += line.Contains(",>50K,", StringComparison.Ordinal) ? 1 : 0;
            }

            Assert.Equal(Rows, lines);
            Assert.InRange(positive, 1, Rows - 1);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"1,000,000 census rows, Two-Class Decision Forest: {elapsed.TotalSeconds:F1} s ({Rows / elapsed.TotalSeconds:F0} rows/s), {positive} scored >50K; tollgate peak RSS {peak / 1e6:F0} MB (before the job: {baseline / 1e6:F0} MB)"));
            Assert.True(peak < 500L * 1024 * 1024, $"peak resident memory {peak / 1e6:F0} MB");
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
    }

    /// <summary>
    /// Starts <c>tollgate run --roles studio</c> on a free port of 127.0.0.1 over <paramref name="data"/>, with
    /// <paramref name="environment"/> added to its settings (<c>Tollgate__…</c>), and waits until it is live.
    /// </summary>
    internal static async Task<(Process Process, HttpClient Http)> StartStudioAsync(string data, AzuriteServer azurite, IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreePort.Next();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "tollgate.dll"), "run", "--roles", "studio", "--data-dir", data })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["Tollgate__Studio__Url"] = $"http://127.0.0.1:{port}";
        info.Environment["Tollgate__Studio__PreloadSample"] = "true";
        info.Environment["Tollgate__Studio__AllowedStorageHosts"] = $"127.0.0.1:{azurite.Port}";
        info.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var live = await http.GetAsync("/health/live");
                if (live.IsSuccessStatusCode)
                {
                    return (process, http);
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
            }

            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, "tollgate did not start");
            await Task.Delay(100);
        }
    }

    /// <summary>Submits and starts a BES job from one blob to another, then polls it once a second, as the tutorial's client does.</summary>
    private static async Task<(JsonNode Status, TimeSpan Elapsed)> RunJobAsync(HttpClient http, string workspace, string endpoint, AuthenticationHeaderValue key,
        string connectionString, string input, string output)
    {
        var reference = new JsonObject { ["ConnectionString"] = connectionString, ["RelativeLocation"] = input };
        var outputReference = new JsonObject { ["ConnectionString"] = connectionString, ["RelativeLocation"] = output };
        using var submit = new HttpRequestMessage(HttpMethod.Post, $"/workspaces/{workspace}/services/{endpoint}/jobs?api-version=2.0")
        {
            Content = new StringContent(new JsonObject { ["Inputs"] = new JsonObject { ["input1"] = reference }, ["Outputs"] = new JsonObject { ["output1"] = outputReference } }.ToJsonString(),
                Encoding.UTF8, "application/json"),
        };
        submit.Headers.Authorization = key;
        using var submitted = await http.SendAsync(submit);
        var job = (await submitted.Content.ReadAsStringAsync()).Trim('"');
        using var start = new HttpRequestMessage(HttpMethod.Post, $"/workspaces/{workspace}/services/{endpoint}/jobs/{job}/start?api-version=2.0");
        start.Headers.Authorization = key;
        (await http.SendAsync(start)).EnsureSuccessStatusCode();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/workspaces/{workspace}/services/{endpoint}/jobs/{job}?api-version=2.0");
            get.Headers.Authorization = key;
            using var response = await http.SendAsync(get);
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if ((string?)status["StatusCode"] is "Finished" or "Failed" or "Cancelled")
            {
                return (status, clock.Elapsed);
            }

            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(10), "the job did not end within 10 minutes");
            await Task.Delay(1000);
        }
    }

    /// <summary>The process's peak resident set size (VmHWM), in bytes.</summary>
    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
