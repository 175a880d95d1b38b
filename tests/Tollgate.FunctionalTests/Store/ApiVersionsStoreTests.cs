using System.Net;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Store;

/// <summary>
/// Version sets, versions, revisions and releases kept by each store (SQLite file, PostgreSQL server): written through
/// the management API, read back and routed by the gateway after a restart.
/// </summary>
public abstract class ApiVersionsStoreTests
{
    private const string Service = "stored";

    protected abstract Task<Dictionary<string, string?>> SettingsAsync();

    [Fact]
    public async Task VersionsRevisionsAndReleases_SurviveARestart()
    {
        await using var backend = await RecordingBackend.StartAsync();
        var settings = await SettingsAsync();
        var dataDirectory = Directory.CreateTempSubdirectory("tollgate-versions-").FullName;
        var svc = TollgateHost.ServicePath(Service);
        try
        {
            string key;
            await using (var host = await TollgateHost.StartAsync(settings, dataDirectory))
            {
                await host.CreateServiceAsync(Service);
                await host.PutAsync($"{svc}/apiVersionSets/scoring", new { properties = new { displayName = "Scoring", versioningScheme = "Header", versionHeaderName = "Api-Version", description = "by header" } });
                foreach (var (id, version, target) in new[] { ("scoring", (string?)null, "original"), ("scoring-v2", "v2", "two") })
                {
                    await host.PutAsync($"{svc}/apis/{id}", new
                    {
                        properties = new { displayName = "Scoring", path = "scoring", serviceUrl = $"{backend.Url}/{target}", protocols = new[] { "http" }, apiVersionSetId = "/apiVersionSets/scoring", apiVersion = version },
                    });
                    await host.PutAsync($"{svc}/apis/{id}/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/get" } });
                }

                await host.PutAsync($"{svc}/apis/scoring;rev=2", new { properties = new { sourceApiId = "/apis/scoring;rev=1", serviceUrl = $"{backend.Url}/rev2", apiRevisionDescription = "Rev 2" } });
                await host.PutAsync($"{svc}/apis/scoring;rev=3", new { properties = new { sourceApiId = "/apis/scoring", serviceUrl = $"{backend.Url}/rev3" } });
                await host.PutAsync($"{svc}/apis/scoring/releases/r2", new { properties = new { apiId = "/apis/scoring;rev=2", notes = "Rev 2 live" } });
                key = await host.CreateSubscriptionAsync(Service, "all", "/apis");
            }

            await using (var restarted = await TollgateHost.StartAsync(settings, dataDirectory))
            {
                var set = await restarted.OkAsync(HttpMethod.Get, $"{svc}/apiVersionSets/scoring");
                Assert.Equal("Api-Version", (string?)set["properties"]!["versionHeaderName"]);
                var v2 = await restarted.OkAsync(HttpMethod.Get, $"{svc}/apis/scoring-v2");
                Assert.Equal("v2", (string?)v2["properties"]!["apiVersion"]);
                Assert.Equal("Header", (string?)v2["properties"]!["apiVersionSet"]!["versioningScheme"]);
                var revisions = (await restarted.OkAsync(HttpMethod.Get, $"{svc}/apis/scoring/revisions"))["value"]!.AsArray();
                Assert.Equal(["1", "2", "3"], revisions.Select(r => (string?)r!["apiRevision"]));
                Assert.Equal([false, true, false], revisions.Select(r => (bool)r!["isCurrent"]!));
                Assert.Equal("Rev 2", (string?)revisions[1]!["description"]);
                var release = await restarted.OkAsync(HttpMethod.Get, $"{svc}/apis/scoring/releases/r2");
                Assert.Equal("Rev 2 live", (string?)release["properties"]!["notes"]);

                foreach (var (path, version, expected) in new[]
                {
                    ("/scoring/get", (string?)null, "/rev2/get"),
                    ("/scoring;rev=1/get", null, "/original/get"),
                    ("/scoring;rev=3/get", null, "/rev3/get"),
                    ("/scoring/get", "v2", "/two/get"),
                })
                {
                    using var request = TollgateHost.GatewayRequest(HttpMethod.Get, path, key);
                    if (version is not null)
                    {
                        request.Headers.Add("Api-Version", version);
                    }

                    using var response = await restarted.Gateway.SendAsync(request);
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} {version}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    Assert.Equal(expected, backend.Last.Path);
                }

                using var unknown = await restarted.Gateway.SendAsync(WithVersion(TollgateHost.GatewayRequest(HttpMethod.Get, "/scoring/get", key), "v9"));
                Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            }
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static HttpRequestMessage WithVersion(HttpRequestMessage request, string version)
    {
        request.Headers.Add("Api-Version", version);
        return request;
    }
}

public sealed class SqliteApiVersionsStoreTests : ApiVersionsStoreTests
{
    protected override Task<Dictionary<string, string?>> SettingsAsync() => Task.FromResult(new Dictionary<string, string?>());
}

public sealed class PostgresApiVersionsStoreTests(PostgresFixture postgres) : ApiVersionsStoreTests, IClassFixture<PostgresFixture>
{
    protected override async Task<Dictionary<string, string?>> SettingsAsync() => new()
    {
        ["Tollgate:Store:Provider"] = "postgres",
        ["Tollgate:Store:ConnectionString"] = await postgres.CreateDatabaseAsync(),
    };
}
