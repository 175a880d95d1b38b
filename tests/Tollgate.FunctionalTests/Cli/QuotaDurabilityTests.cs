using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Cli;

/// <summary>
/// In-process quota counts survive a process that is killed without shutting down (<c>kill -9</c>): <c>tollgate run</c>
/// as its own process, calls counted, the process killed, started again on the same data directory.
/// </summary>
public sealed class QuotaDurabilityTests
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "tollgate.dll");
    private const string Svc = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/quota";

    /// <summary>
    /// How long a count may take to reach the file. The requirement is 1 s (the flush interval); the rest is room for a
    /// loaded machine. The old 10 s interval never makes it: the second batch is sent right after a write was seen.
    /// </summary>
    private static readonly TimeSpan PersistDeadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task QuotaCounts_SurviveKill9_LosingAtMostTheLastSecond()
    {
        await using var backend = await RecordingBackend.StartAsync();
        var data = Directory.CreateTempSubdirectory("tollgate-quota-").FullName;
        var (gatewayPort, managementPort, studioPort) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        const int firstBatch = 5, secondBatch = 7, limit = firstBatch + secondBatch + 2;
        var counters = Path.Combine(data, "quota-counters.json");
        Process? process = null;
        try
        {
            process = await StartAsync(data, gatewayPort, managementPort, studioPort);
            using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}") };
            management.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", await TokenAsync(data));
            await PutAsync(management, Svc, new { location = "local", properties = new { publisherName = "Contoso", publisherEmail = "a@contoso.example" } });
            await PutAsync(management, $"{Svc}/apis/q", new { properties = new { displayName = "Q", path = "q", serviceUrl = backend.Url, protocols = new[] { "http" } } });
            await PutAsync(management, $"{Svc}/apis/q/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
            await PutAsync(management, $"{Svc}/products/unlimited/apis/q", new { });
            await PutAsync(management, $"{Svc}/products/unlimited/policies/policy", new
            {
                properties = new
                {
                    format = "rawxml",
                    value = $"<policies><inbound><base /><quota calls=\"{limit}\" renewal-period=\"604800\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>",
                },
            });
            await PutAsync(management, $"{Svc}/subscriptions/s1", new { properties = new { scope = "/products/unlimited", displayName = "s1", state = "active" } });
            var key = (string)(await PostAsync(management, $"{Svc}/subscriptions/s1/listSecrets"))["primaryKey"]!;
            using var gateway = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };

            await CallAsync(gateway, key, firstBatch, HttpStatusCode.OK);
            await WaitForPersistedAsync(counters, firstBatch, TimeSpan.FromSeconds(30));
            // Right after a write: with a 10 s interval the next one would be ~10 s away.
            await CallAsync(gateway, key, secondBatch, HttpStatusCode.OK);
            await WaitForPersistedAsync(counters, firstBatch + secondBatch, PersistDeadline);

            // kill -9: no shutdown, no final write.
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();

            process = await StartAsync(data, gatewayPort, managementPort, studioPort);
            await WaitUntilRoutedAsync(gateway);
            // Every counted call is still counted: two calls left, then the quota answers 403.
            await CallAsync(gateway, key, 2, HttpStatusCode.OK);
            using var over = await gateway.SendAsync(Request(key));
            Assert.Equal(HttpStatusCode.Forbidden, over.StatusCode);
            Assert.StartsWith("""{"statusCode":403,"message":"Out of call volume quota.""", await over.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var health = await gateway.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process?.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }

    private static HttpRequestMessage Request(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/q/hello");
        request.Headers.TryAddWithoutValidation("Ocp-Apim-Subscription-Key", key);
        return request;
    }

    private static async Task CallAsync(HttpClient gateway, string key, int count, HttpStatusCode expected)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await gateway.SendAsync(Request(key));
            Assert.Equal(expected, response.StatusCode);
        }
    }

    /// <summary>Polls the counters file until it holds <paramref name="calls"/> calls (read as a user would: the JSON).</summary>
    private static async Task WaitForPersistedAsync(string path, long calls, TimeSpan deadline)
    {
        var watch = Stopwatch.StartNew();
        long seen = -1;
        while (watch.Elapsed < deadline)
        {
            try
            {
                var json = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
                seen = json["counters"]!.AsArray().Sum(c => (long)c!["calls"]!);
                if (seen == calls)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                // Not written yet.
            }

            await Task.Delay(20);
        }

        Assert.Fail($"{path} held {seen} calls, not {calls}, {deadline.TotalSeconds} s after the calls.");
    }

    private static async Task WaitUntilRoutedAsync(HttpClient gateway)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var response = await gateway.GetAsync("/q/hello");
            // 401 (no key) means the API is routed again; the call is not counted.
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("the restarted gateway never routed the API");
    }

    private static async Task<Process> StartAsync(string data, int gateway, int management, int studio)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in new[] { "run", "--data-dir", data })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["Tollgate__Gateway__HttpUrl"] = $"http://127.0.0.1:{gateway}";
        info.Environment["Tollgate__Gateway__HttpsUrl"] = "";
        info.Environment["Tollgate__Management__Url"] = $"http://127.0.0.1:{management}";
        info.Environment["Tollgate__Management__HttpsUrl"] = "";
        info.Environment["Tollgate__Studio__Url"] = $"http://127.0.0.1:{studio}";
        info.Environment["Tollgate__Studio__PreloadSample"] = "false";
        var process = Process.Start(info)!;
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        var lines = new StringBuilder();
        while (await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            lines.AppendLine(line);
            if (line.Contains("Press Ctrl+C", StringComparison.Ordinal))
            {
                // Keep draining the output so the process never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync();
                return process;
            }
        }

        lock (stderr)
        {
            Assert.Fail($"tollgate run did not start:\n{lines}\n{stderr}");
        }

        return process;
    }

    private static async Task<string> TokenAsync(string data)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Dll, "token", "--data-dir", data, "--lifetime", "01:00:00" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, await error);
        return (await output).Trim();
    }

    private static async Task PutAsync(HttpClient client, string path, object body)
    {
        using var content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await client.PutAsync(path + "?api-version=2022-08-01", content);
        Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<JsonNode> PostAsync(HttpClient client, string path)
    {
        using var response = await client.PostAsync(path + "?api-version=2022-08-01", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
