using System.Diagnostics;
using System.Net;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// Three separate <c>tollgate run --roles gateway</c> processes, configured by one management role and sharing one real
/// redis-server for their counters, enforce one rate limit together.
/// </summary>
public sealed class SharedRedisGatewaysTests
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "tollgate.dll");

    [Fact]
    public async Task ThreeGatewayProcesses_OneRedis_EnforceOneRateLimit()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var backend = await RecordingBackend.StartAsync();
        await using var management = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        var svc = TollgateHost.ServicePath("shared");
        await management.CreateServiceAsync("shared");
        await management.PutAsync($"{svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
        await management.PutAsync($"{svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
        await management.PutAsync($"{svc}/apis/echo/policies/policy", new
        {
            properties = new { format = "rawxml", value = PolicyHost.Document(inbound: """<rate-limit calls="1000" renewal-period="300" />""") },
        });
        var key = await management.CreateSubscriptionAsync("shared", "s1", "/apis/echo");

        var gateways = new List<(Process Process, HttpClient Client, string Data)>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                gateways.Add(await StartGatewayAsync(management, redis, key));
            }

            // 3,000 calls, round-robin over the three processes, 24 at a time.
            var admitted = 0;
            var rejected = 0;
            var other = 0;
            await Parallel.ForAsync(0, 3000, new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (i, ct) =>
            {
                var client = gateways[i % 3].Client;
                using var request = TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/hello", key);
                using var response = await client.SendAsync(request, ct);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        Interlocked.Increment(ref admitted);
                        break;
                    case HttpStatusCode.TooManyRequests:
                        Interlocked.Increment(ref rejected);
                        break;
                    default:
                        Interlocked.Increment(ref other);
                        break;
                }
            });

            Assert.Equal(0, other);
            Assert.InRange(admitted, 995, 1000);
            Assert.Equal(3000, admitted + rejected);
            Assert.Equal(admitted, backend.Requests.Count);
        }
        finally
        {
            foreach (var (process, client, data) in gateways)
            {
                client.Dispose();
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                await process.WaitForExitAsync();
                process.Dispose();
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static async Task<(Process, HttpClient, string)> StartGatewayAsync(TollgateHost management, RedisServer redis, string key)
    {
        var data = Directory.CreateTempSubdirectory("tollgate-gw-redis-").FullName;
        var port = FreePort.Next();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        info.ArgumentList.Add("run");
        info.ArgumentList.Add("--roles");
        info.ArgumentList.Add("gateway");
        info.ArgumentList.Add("--data-dir");
        info.ArgumentList.Add(data);
        info.Environment["Tollgate__Gateway__HttpUrl"] = $"http://127.0.0.1:{port}";
        info.Environment["Tollgate__Gateway__HttpsUrl"] = "";
        info.Environment["Tollgate__Gateway__ManagementUrl"] = management.Server.Settings.Management.Url;
        info.Environment["Tollgate__Gateway__ManagementToken"] = management.Token;
        info.Environment["Tollgate__Gateway__Counters__Provider"] = "redis";
        info.Environment["Tollgate__Gateway__Counters__RedisConfiguration"] = redis.Configuration;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        // Ready once it serves the API (it has fetched the snapshot from management); the probe is not counted
        // because it carries no key (401 before any policy runs).
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(process.HasExited, "the gateway process exited during start-up");
            try
            {
                using var probe = await client.GetAsync("/echo/hello");
                if (probe.StatusCode == HttpStatusCode.Unauthorized)
                {
                    return (process, client, data);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "the gateway process did not serve the API within 60 s");
            await Task.Delay(100);
        }
    }
}
