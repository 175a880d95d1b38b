using System.Net;
using Microsoft.Extensions.Configuration;
using Tollgate.Core.Gateway;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Hosting;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// Roles on their own (<c>--roles</c>): a gateway apart from management long-polls it for snapshots, as APIM's
/// self-hosted gateway does, and starts from its local backup when management is down.
/// </summary>
public sealed class SplitRolesTests
{
    [Fact]
    public async Task RemoteGateway_FollowsManagement_AndStartsFromBackupWhenManagementIsDown()
    {
        await using var backend = await RecordingBackend.StartAsync();
        var managementData = Directory.CreateTempSubdirectory("tollgate-mgmt-").FullName;
        var gatewayData = Directory.CreateTempSubdirectory("tollgate-gw-").FullName;
        try
        {
            await using var management = await TollgateHost.StartAsync(new Dictionary<string, string?>
            {
                ["Tollgate:Roles"] = "management",
                ["Tollgate:Management:Url"] = "http://127.0.0.1:0",
            }, managementData);
            var managementUrl = management.Server.Settings.Management.Url;
            Assert.Null(management.Server.Gateway);
            var svc = TollgateHost.ServicePath("remote");
            await management.CreateServiceAsync("remote");
            await management.PutAsync($"{svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
            var key = await management.CreateSubscriptionAsync("remote", "s1", "/apis/echo");

            var gatewaySettings = new Dictionary<string, string?>
            {
                ["Tollgate:Roles"] = "gateway",
                ["Tollgate:DataDirectory"] = gatewayData,
                ["Tollgate:Gateway:HttpUrl"] = "http://127.0.0.1:0",
                ["Tollgate:Gateway:HttpsUrl"] = "",
                ["Tollgate:Gateway:ManagementUrl"] = managementUrl,
                ["Tollgate:Gateway:ManagementToken"] = management.Token,
                ["Logging:LogLevel:Default"] = "Warning",
            };
            await using (var gateway = await TollgateServer.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(gatewaySettings).Build()))
            {
                Assert.Null(gateway.Store);
                using var client = new HttpClient { BaseAddress = new Uri(gateway.Settings.Gateway.HttpUrl!) };
                var operationSeen = GatewayWaits.ForAsync(gateway, s => s.Apis.Any(a => a.Operations.Count > 0));
                await management.PutAsync($"{svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
                await operationSeen;

                using var response = await client.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/hello", key));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("/hello", backend.Last.Path);

                // Stopped as the tollgate command stops a role: the poller finishes what it was doing (the backup is
                // written just after a snapshot is applied). Disposing alone cancels it without waiting for it.
                await gateway.StopAsync();
            }

            Assert.True(File.Exists(Path.Combine(gatewayData, "gateway-snapshot.json")));
            await management.Server.StopAsync();

            // Management is down: the gateway starts from its backup and serves.
            await using (var restarted = await TollgateServer.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(gatewaySettings).Build()))
            {
                await GatewayWaits.ForAsync(restarted, s => s.Apis.Any(a => a.Operations.Count > 0));
                using var client = new HttpClient { BaseAddress = new Uri(restarted.Settings.Gateway.HttpUrl!) };
                using var response = await client.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/hello", key));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        finally
        {
            Directory.Delete(gatewayData, recursive: true);
        }
    }

    [Fact]
    public async Task RemoteGateway_ServesEveryInstanceByHostName_OrTheListed_AndStopsServingADeletedOne()
    {
        await using var backendA = await RecordingBackend.StartAsync();
        await using var backendB = await RecordingBackend.StartAsync();
        await using var management = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        var keys = new Dictionary<string, string>();
        foreach (var (service, backend) in new[] { ("alpha", backendA), ("beta", backendB) })
        {
            var svc = TollgateHost.ServicePath(service);
            await management.CreateServiceAsync(service);
            await management.PutAsync($"{svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
            await management.PutAsync($"{svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
            keys[service] = await management.CreateSubscriptionAsync(service, "s1", "/apis/echo");
        }

        async Task<HttpStatusCode> CallAsync(TollgateServer gateway, string service)
        {
            using var client = new HttpClient { BaseAddress = new Uri(gateway.Settings.Gateway.HttpUrl!) };
            using var request = TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/hello", keys[service]);
            request.Headers.Host = service + ".localhost";
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        var data = Directory.CreateTempSubdirectory("tollgate-gw-").FullName;
        var listed = Directory.CreateTempSubdirectory("tollgate-gw-").FullName;
        try
        {
            IConfiguration Settings(string dataDirectory, string services) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Tollgate:Roles"] = "gateway",
                ["Tollgate:DataDirectory"] = dataDirectory,
                ["Tollgate:Gateway:HttpUrl"] = "http://127.0.0.1:0",
                ["Tollgate:Gateway:HttpsUrl"] = "",
                ["Tollgate:Gateway:Services"] = services,
                ["Tollgate:Gateway:ManagementUrl"] = management.Server.Settings.Management.Url,
                ["Tollgate:Gateway:ManagementToken"] = management.Token,
                ["Logging:LogLevel:Default"] = "Warning",
            }).Build();

            await using var all = await TollgateServer.StartAsync(Settings(data, "*"));
            await using var onlyBeta = await TollgateServer.StartAsync(Settings(listed, "beta"));
            await GatewayWaits.ForAsync(all, _ => all.Gateway!.Instances.ByName.Count == 2);
            await GatewayWaits.ForAsync(onlyBeta, s => s.ServiceName == "beta");
            Assert.Equal(HttpStatusCode.OK, await CallAsync(all, "alpha"));
            Assert.Equal(HttpStatusCode.OK, await CallAsync(all, "beta"));
            Assert.Equal(HttpStatusCode.NotFound, await CallAsync(onlyBeta, "alpha"));
            Assert.Equal(HttpStatusCode.OK, await CallAsync(onlyBeta, "beta"));
            Assert.Equal(2, backendB.Requests.Count);
            Assert.Single(backendA.Requests);

            var deleted = GatewayWaits.ForAsync(all, s => s.ServiceName == "alpha" && s.Deleted);
            await management.OkAsync(HttpMethod.Delete, TollgateHost.ServicePath("alpha"));
            await deleted;
            Assert.Equal(HttpStatusCode.NotFound, await CallAsync(all, "alpha"));
            Assert.Equal(HttpStatusCode.OK, await CallAsync(all, "beta"));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            Directory.Delete(listed, recursive: true);
        }
    }

    [Fact]
    public async Task GatewayAlone_WithoutManagementUrl_RefusesToStart()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tollgate:Roles"] = "gateway",
            ["Tollgate:DataDirectory"] = Directory.CreateTempSubdirectory("tollgate-gw-").FullName,
        }).Build();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TollgateServer.StartAsync(configuration));

        Assert.Contains("Tollgate:Gateway:ManagementUrl", ex.Message);
    }
}
