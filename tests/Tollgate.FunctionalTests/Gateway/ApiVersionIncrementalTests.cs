using System.Net;
using Tollgate.Core.Gateway;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// A revision or version is one more API of the instance's snapshot: creating one, changing its policy, releasing it
/// or changing its version set rebuilds the APIs concerned and leaves every other API the same object (with its
/// routes), as any API write does on a large instance.
/// </summary>
public sealed class ApiVersionIncrementalTests
{
    private const string Service = "incremental";
    private const int Apis = 20;

    [Fact]
    public async Task RevisionsReleasesAndVersionSets_RebuildOnlyTheirApis()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        var svc = TollgateHost.ServicePath(Service);
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{svc}/apiVersionSets/set", new { properties = new { displayName = "Set", versioningScheme = "Header", versionHeaderName = "Api-Version" } });
        for (var i = 0; i < Apis; i++)
        {
            // api0 and api1 are the versions of the set (api0 the original).
            await host.PutAsync($"{svc}/apis/api{i}", new
            {
                properties = new
                {
                    displayName = $"API {i}", path = i < 2 ? "versioned" : $"api{i}", serviceUrl = $"{backend.Url}/api{i}", protocols = new[] { "http" },
                    apiVersionSetId = i < 2 ? "/apiVersionSets/set" : null, apiVersion = i == 1 ? "v1" : null,
                },
            });
            await host.PutAsync($"{svc}/apis/api{i}/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/get" } });
        }

        var key = await host.CreateSubscriptionAsync(Service, "all", "/apis");
        var gateway = host.Server.Gateway!;
        GatewaySnapshot Snapshot() => gateway.StateOf(Service)!.Snapshot;
        void OnlyRebuilt(GatewaySnapshot before, GatewaySnapshot after, params string[] rebuilt)
        {
            var old = before.Apis.ToDictionary(a => a.Id);
            foreach (var api in after.Apis)
            {
                if (rebuilt.Contains(api.Id))
                {
                    Assert.False(old.TryGetValue(api.Id, out var was) && ReferenceEquals(was, api), $"{api.Id} was not rebuilt");
                }
                else
                {
                    Assert.Same(old[api.Id], api);
                }
            }
        }

        var start = Snapshot();
        await host.PutAsync($"{svc}/apis/api7;rev=2", new { properties = new { sourceApiId = "/apis/api7", serviceUrl = $"{backend.Url}/api7-rev2" } });
        var withRevision = Snapshot();
        OnlyRebuilt(start, withRevision, "api7;rev=2");
        Assert.Equal(Apis + 1, withRevision.Apis.Count);

        await host.PutAsync($"{svc}/apis/api7;rev=2/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><set-header name=\"X-Rev\" exists-action=\"override\"><value>2</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });
        var withPolicy = Snapshot();
        OnlyRebuilt(withRevision, withPolicy, "api7;rev=2");

        await host.PutAsync($"{svc}/apis/api7/releases/r", new { properties = new { apiId = "/apis/api7;rev=2" } });
        var released = Snapshot();
        OnlyRebuilt(withPolicy, released, "api7", "api7;rev=1");
        using (var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/api7/get", key)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("/api7-rev2/get", backend.Last.Path);
            Assert.Equal("2", backend.Last.Header("X-Rev"));
        }

        // The version set's header is the versions' own: they are rebuilt with it, nothing else.
        await host.OkAsync(HttpMethod.Patch, $"{svc}/apiVersionSets/set", new { properties = new { versionHeaderName = "X-Version" } });
        var renamed = Snapshot();
        OnlyRebuilt(released, renamed, "api0", "api1");
        using (var request = TollgateHost.GatewayRequest(HttpMethod.Get, "/versioned/get", key))
        {
            request.Headers.Add("X-Version", "v1");
            using var response = await host.Gateway.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("/api1/get", backend.Last.Path);
        }
    }
}
