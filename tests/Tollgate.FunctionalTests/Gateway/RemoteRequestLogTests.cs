using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Core.Analytics;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Hosting;
using Tollgate.Management.Analytics;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// The request log of a gateway running apart from management: its calls reach management's reports, and those made
/// while management is down are kept on the gateway's disk and delivered when it is back.
/// </summary>
public sealed class RemoteRequestLogTests
{
    private const string Service = "remotelog";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    [Fact]
    public async Task RemoteGateway_CallsReachTheReports_AndThoseMadeWhileManagementWasDownArriveWhenItIsBack()
    {
        await using var backend = await RecordingBackend.StartAsync();
        var managementData = Directory.CreateTempSubdirectory("tollgate-mgmt-").FullName;
        var gatewayData = Directory.CreateTempSubdirectory("tollgate-gw-").FullName;
        var managementSettings = new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "management",
            ["Tollgate:Management:Url"] = $"http://127.0.0.1:{FreePort.Next()}",
        };
        try
        {
            var management = await TollgateHost.StartAsync(managementSettings, managementData);
            string key;
            try
            {
                await management.CreateServiceAsync(Service);
                await management.PutAsync($"{Svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
                await management.PutAsync($"{Svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
                key = await management.CreateSubscriptionAsync(Service, "s1", "/apis/echo");
            }
            catch
            {
                await management.DisposeAsync();
                throw;
            }

            var gatewaySettings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Tollgate:Roles"] = "gateway",
                ["Tollgate:DataDirectory"] = gatewayData,
                ["Tollgate:Gateway:HttpUrl"] = "http://127.0.0.1:0",
                ["Tollgate:Gateway:HttpsUrl"] = "",
                ["Tollgate:Gateway:ManagementUrl"] = management.Server.Settings.Management.Url,
                ["Tollgate:Gateway:ManagementToken"] = management.Token,
                ["Logging:LogLevel:Default"] = "Warning",
            }).Build();
            await using var gateway = await TollgateServer.StartAsync(gatewaySettings);
            await GatewayWaits.ForAsync(gateway, s => s.Apis.Any(a => a.Operations.Count > 0));
            using var client = new HttpClient { BaseAddress = new Uri(gateway.Settings.Gateway.HttpUrl!) };

            async Task CallAsync(int times, HttpStatusCode expected, string? withKey)
            {
                for (var i = 0; i < times; i++)
                {
                    using var response = await client.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/hello", withKey));
                    Assert.Equal(expected, response.StatusCode);
                }
            }

            await CallAsync(3, HttpStatusCode.OK, key);
            await CallAsync(1, HttpStatusCode.Unauthorized, null);
            await Writer(management).WaitForWrittenAsync(4, TimeSpan.FromSeconds(30));
            Assert.Equal(4, Writer(management).Received);
            Assert.Equal((3, 1), await CountsAsync(management));

            // Management goes away; the gateway keeps serving from its snapshot and keeps its records on disk.
            await management.DisposeAsync();
            await CallAsync(5, HttpStatusCode.OK, key);

            await using var restarted = await TollgateHost.StartAsync(managementSettings, managementData);
            await Writer(restarted).WaitForWrittenAsync(5, TimeSpan.FromSeconds(60));
            Assert.Equal((8, 1), await CountsAsync(restarted));
            Assert.Empty(Directory.GetFiles(Path.Combine(gatewayData, "gateway-records")));
        }
        finally
        {
            Directory.Delete(gatewayData, recursive: true);
            Directory.Delete(managementData, recursive: true);
        }
    }

    [Fact]
    public async Task RecordsEndpoint_NeedsTheManagementCredential_AndNamesTheRecordAndFieldThatIsWrong()
    {
        await using var host = await TollgateHost.StartAsync();
        var good = new JsonObject
        {
            ["timestamp"] = DateTimeOffset.UtcNow, ["requestId"] = Guid.NewGuid().ToString(), ["serviceName"] = "any", ["method"] = "GET",
            ["url"] = "/x", ["responseCode"] = 200, ["cache"] = "none",
        };
        var bad = good.DeepClone();
        bad["responseCode"] = 42;

        using (var anonymous = new HttpClient { BaseAddress = host.Management.BaseAddress })
        using (var refused = await anonymous.PostAsJsonAsync("/internal/gateway/records", new JsonArray(good.DeepClone())))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var wrong = await host.Management.PostAsJsonAsync("/internal/gateway/records", new JsonArray(good.DeepClone(), bad)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            var error = JsonNode.Parse(await wrong.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal("[1].responseCode must be an HTTP status (100–599).", (string?)error["message"]);
        }

        using (var notJson = await host.Management.PostAsync("/internal/gateway/records", new StringContent("{\"no\":", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        }

        using var accepted = await host.Management.PostAsJsonAsync("/internal/gateway/records", new JsonArray(good.DeepClone()));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(1, (int?)JsonNode.Parse(await accepted.Content.ReadAsStringAsync())!["accepted"]);
        Assert.Equal(1, Writer(host).Received);
    }

    [Fact]
    public async Task ABatchSentAgain_IsTakenOnce()
    {
        // A gateway killed after management took a batch, before it saw the answer, sends the batch again on restart:
        // the same records in the same order, named by the same id.
        await using var host = await TollgateHost.StartAsync();
        JsonNode Record(string id) => new JsonObject
        {
            ["timestamp"] = DateTimeOffset.UtcNow, ["requestId"] = id, ["serviceName"] = "any", ["method"] = "GET",
            ["url"] = "/x", ["responseCode"] = 200, ["cache"] = "none",
        };
        var records = new JsonArray(Record("00000000-0000-0000-0000-000000000001"), Record("00000000-0000-0000-0000-000000000002"));
        var batchId = RecordBatch.IdOf(records.Deserialize<List<RequestRecord>>(RecordBatch.Json)!);

        async Task<JsonNode> PostAsync(JsonArray body, string? id)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/internal/gateway/records") { Content = JsonContent.Create(body) };
            if (id is not null)
            {
                request.Headers.Add(RecordBatch.IdHeader, id);
            }

            using var response = await host.Management.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }

        Assert.Equal(2, (int?)(await PostAsync((JsonArray)records.DeepClone(), batchId))["accepted"]);
        var again = await PostAsync((JsonArray)records.DeepClone(), batchId);
        Assert.Equal((0, true), ((int?)again["accepted"], (bool?)again["duplicate"]));
        Assert.Equal(2, Writer(host).Received);

        // Another batch, and a post without an id (an older gateway), are taken as they come.
        Assert.Equal(1, (int?)(await PostAsync(new JsonArray(Record("00000000-0000-0000-0000-000000000003")), RecordBatch.IdOf([records.Deserialize<List<RequestRecord>>(RecordBatch.Json)![0] with { RequestId = "00000000-0000-0000-0000-000000000003" }])))["accepted"]);
        Assert.Equal(2, (int?)(await PostAsync((JsonArray)records.DeepClone(), null))["accepted"]);
        Assert.Equal(5, Writer(host).Received);
    }

    private static AnalyticsWriter Writer(TollgateHost host) => host.Server.Services!.GetRequiredService<AnalyticsWriter>();

    /// <summary>Successful and blocked calls in the last hours, from the byApi report.</summary>
    private static async Task<(int Success, int Blocked)> CountsAsync(TollgateHost host)
    {
        var range = $"timestamp ge datetime'{DateTimeOffset.UtcNow.AddHours(-1):yyyy-MM-ddTHH:mm:ss}' and timestamp le datetime'{DateTimeOffset.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm:ss}'";
        var report = await host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byApi?$filter={range}");
        var rows = report["value"]!.AsArray();
        return (rows.Sum(r => (int)r!["callCountSuccess"]!), rows.Sum(r => (int)r!["callCountBlocked"]!));
    }
}
