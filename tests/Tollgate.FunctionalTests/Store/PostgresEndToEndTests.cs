using System.Net;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Store;

/// <summary>The whole product on PostgreSQL: configure through the management API, call through the gateway, restart, call again.</summary>
public sealed class PostgresEndToEndTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task ManagementAndGateway_OnPostgres_SurviveRestart()
    {
        await using var backend = await RecordingBackend.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Tollgate:Store:Provider"] = "postgres",
            ["Tollgate:Store:ConnectionString"] = await postgres.CreateDatabaseAsync(),
        };
        var dataDirectory = Directory.CreateTempSubdirectory("tollgate-pg-").FullName;
        try
        {
            string key;
            await using (var host = await TollgateHost.StartAsync(settings, dataDirectory))
            {
                var svc = TollgateHost.ServicePath("pg");
                await host.CreateServiceAsync("pg");
                await host.PutAsync($"{svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
                await host.PutAsync($"{svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
                key = await host.CreateSubscriptionAsync("pg", "s1", "/apis/echo");
                using var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/hello", key));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.False(File.Exists(Path.Combine(dataDirectory, "tollgate.db")));
            }

            await using (var restarted = await TollgateHost.StartAsync(settings, dataDirectory))
            {
                using var response = await restarted.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/hello", key));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
