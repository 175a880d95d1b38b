using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Tollgate.Core.Gateway;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.FunctionalTests.Store;
using Tollgate.Hosting;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// Two management nodes (<c>--roles management</c>) on one real PostgreSQL, as a team that outgrows one machine runs
/// them behind a load balancer: what one node changes, the other enforces at once.
/// </summary>
public sealed class ScaleOutTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task AdministratorKey_RegeneratedOnNodeA_IsRefusedOnNodeB_AtOnce()
    {
        var (a, b) = await StartTwoNodesAsync();
        await using var nodeA = a;
        await using var nodeB = b;
        await nodeA.CreateServiceAsync("shared");

        // Node A's token (signed with the primary key) works on node B.
        using (var before = await nodeB.SendAsync(HttpMethod.Get, TollgateHost.ServicePath("shared")))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await nodeA.OkAsync(HttpMethod.Post, $"{TollgateHost.ServicePath("shared")}/tenant/access/regeneratePrimaryKey");

        // The very next call on node B with a token of the old key is refused, and it cannot list the new keys.
        using (var after = await nodeB.SendAsync(HttpMethod.Get, TollgateHost.ServicePath("shared")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        }

        using (var secrets = await nodeB.SendAsync(HttpMethod.Post, $"{TollgateHost.ServicePath("shared")}/tenant/access/listSecrets"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, secrets.StatusCode);
        }

        // A token of the new key works on both nodes.
        var fresh = await nodeB.Server.TenantAccess!.CreateTokenAsync(TimeSpan.FromHours(1));
        foreach (var node in new[] { nodeA, nodeB })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, TollgateHost.ServicePath("shared") + "?api-version=2022-08-01");
            request.Headers.TryAddWithoutValidation("Authorization", fresh);
            using var response = await new HttpClient { BaseAddress = node.Management.BaseAddress }.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task PortalSignInFailures_OnBothNodes_LockTheSignInEverywhere()
    {
        var (a, b) = await StartTwoNodesAsync();
        await using var nodeA = a;
        await using var nodeB = b;

        // Five wrong passwords spread over the two nodes count as five.
        for (var i = 0; i < 5; i++)
        {
            using var refused = await SignInAsync(i % 2 == 0 ? nodeA : nodeB, "wrong-password-" + i);
            Assert.Equal(i < 4 ? HttpStatusCode.Unauthorized : (HttpStatusCode)429, refused.StatusCode);
        }

        foreach (var node in new[] { nodeA, nodeB })
        {
            using var locked = await SignInAsync(node, "still-wrong");
            Assert.Equal((HttpStatusCode)429, locked.StatusCode);
        }
    }

    [Fact]
    public async Task SamePath_CreatedOnBothNodesAtOnce_OnlyOneApiGetsIt()
    {
        var (a, b) = await StartTwoNodesAsync();
        await using var nodeA = a;
        await using var nodeB = b;
        var svc = TollgateHost.ServicePath("race");
        await nodeA.CreateServiceAsync("race");

        for (var round = 0; round < 10; round++)
        {
            var path = "orders-" + round;
            var responses = await Task.WhenAll(
                nodeA.SendAsync(HttpMethod.Put, $"{svc}/apis/a-{round}", new { properties = new { displayName = "A", path, serviceUrl = "http://127.0.0.1:9", protocols = new[] { "https" } } }),
                nodeB.SendAsync(HttpMethod.Put, $"{svc}/apis/b-{round}", new { properties = new { displayName = "B", path, serviceUrl = "http://127.0.0.1:9", protocols = new[] { "https" } } }));
            try
            {
                Assert.Single(responses, r => r.IsSuccessStatusCode);
                var refused = Assert.Single(responses, r => !r.IsSuccessStatusCode);
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!;
                Assert.Equal("path", (string?)error["details"]![0]!["target"]);
                Assert.Contains($"The path '{path}' is already used", (string?)error["details"]![0]!["message"]);
            }
            finally
            {
                foreach (var r in responses)
                {
                    r.Dispose();
                }
            }
        }

        var apis = await nodeB.OkAsync(HttpMethod.Get, $"{svc}/apis");
        var paths = ((JsonArray)apis["value"]!).Select(api => (string?)api!["properties"]!["path"]).Where(p => p!.StartsWith("orders-", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, paths.Count);
        Assert.Equal(10, paths.Distinct().Count());
    }

    [Fact]
    public async Task GatewayLongPollingNodeB_ServesChangesMadeThroughNodeA()
    {
        await using var backend = await RecordingBackend.StartAsync();
        var (a, b) = await StartTwoNodesAsync();
        await using var nodeA = a;
        await using var nodeB = b;
        var svc = TollgateHost.ServicePath("follow");
        await nodeA.CreateServiceAsync("follow");
        await nodeA.PutAsync($"{svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
        var key = await nodeA.CreateSubscriptionAsync("follow", "s1", "/apis/echo");

        var gatewayData = Directory.CreateTempSubdirectory("tollgate-gw-").FullName;
        try
        {
            await using var gateway = await TollgateServer.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Tollgate:Roles"] = "gateway",
                ["Tollgate:DataDirectory"] = gatewayData,
                ["Tollgate:Gateway:HttpUrl"] = "http://127.0.0.1:0",
                ["Tollgate:Gateway:HttpsUrl"] = "",
                ["Tollgate:Gateway:ManagementUrl"] = nodeB.Server.Settings.Management.Url,
                ["Tollgate:Gateway:ManagementToken"] = nodeB.Token,
                ["Logging:LogLevel:Default"] = "Warning",
            }).Build());
            using var client = new HttpClient { BaseAddress = new Uri(gateway.Settings.Gateway.HttpUrl!) };
            await GatewayWaits.ForAsync(gateway, s => s.ServiceName == "follow" && s.Apis.Any(api => api.Id == "echo"));

            // A new operation, written through node A, answers on the gateway that only knows node B.
            var operationSeen = GatewayWaits.ForAsync(gateway, s => s.Apis.Any(api => api.Operations.Any(o => o.UrlTemplate == "/hello")));
            await nodeA.PutAsync($"{svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
            await operationSeen;
            using (var response = await client.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/hello", key)))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("/hello", backend.Last.Path);
            }

            // The instance deleted through node A stops being served.
            var deleted = GatewayWaits.ForAsync(gateway, s => s.ServiceName == "follow" && s.Deleted);
            await nodeA.OkAsync(HttpMethod.Delete, svc);
            await deleted;
            using (var gone = await client.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/hello", key)))
            {
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            }
        }
        finally
        {
            Directory.Delete(gatewayData, recursive: true);
        }
    }

    /// <summary>Two management nodes on a fresh database, sharing the secrets key as every node of an installation must.</summary>
    internal static async Task<(TollgateHost A, TollgateHost B)> StartTwoNodesAsync(PostgresFixture postgres)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "management",
            ["Tollgate:Store:Provider"] = "postgres",
            ["Tollgate:Store:ConnectionString"] = await postgres.CreateDatabaseAsync(),
            ["Tollgate:Secrets:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            // No poll during a test: a change reaches the other node by LISTEN/NOTIFY or not at all.
            ["Tollgate:Store:PollInterval"] = "01:00:00",
        };
        var a = await TollgateHost.StartAsync(settings);
        try
        {
            return (a, await TollgateHost.StartAsync(settings));
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    private Task<(TollgateHost A, TollgateHost B)> StartTwoNodesAsync() => StartTwoNodesAsync(postgres);

    private static Task<HttpResponseMessage> SignInAsync(TollgateHost node, string password) =>
        node.Management.PostAsync("/internal/administrator/signin",
            new StringContent(System.Text.Json.JsonSerializer.Serialize(new { userName = "1", password }), Encoding.UTF8, "application/json"));
}
