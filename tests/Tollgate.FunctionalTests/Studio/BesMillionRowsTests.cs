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

    /// <summary>The process's peak resident set size (VmHWM), in bytes.</summary>
    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
