using System.Net;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// An instance with many APIs, each with a policy with expressions, set through the management API: changing one
/// API's policy compiles only that document and leaves every other API's pipeline the same instance; deleting an API
/// removes exactly its routes.
/// </summary>
public sealed class LargeInstancePolicyTests
{
    private const string Service = "large";
    private const int Apis = 50;

    [Fact]
    public async Task ChangingOneApisPolicy_KeepsEveryOtherPipeline_AndDeletingAnApi_RemovesExactlyItsRoutes()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        var svc = TollgateHost.ServicePath(Service);
        await host.CreateServiceAsync(Service);
        for (var i = 0; i < Apis; i++)
        {
            await host.PutAsync($"{svc}/apis/api{i}", new { properties = new { displayName = $"API {i}", path = $"api{i}", serviceUrl = backend.Url, protocols = new[] { "http" } } });
            await host.PutAsync($"{svc}/apis/api{i}/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/items/{id}", templateParameters = new[] { new { name = "id", type = "string", required = true } } } });
            await host.PutAsync($"{svc}/apis/api{i}/policies/policy", new { properties = new { format = "rawxml", value = Policy($"v1-{i}") } });
        }

        var key = await host.CreateSubscriptionAsync(Service, "all", "/apis");
        var gateway = host.Server.Gateway!;
        var before = gateway.StateOf(Service)!;
        Assert.Empty(before.Policies.Problems);
        var pipelines = Pipelines(before);
        Assert.Equal(Apis, pipelines.Count);

        // One API's policy changes: only its document is compiled, only its pipeline is new.
        await host.PutAsync($"{svc}/apis/api7/policies/policy", new { properties = new { format = "rawxml", value = Policy("v2-7") } });
        var changed = gateway.StateOf(Service)!;
        Assert.Equal(1, changed.Policies.DocumentsCompiled);
        var after = Pipelines(changed);
        var routesBeforeChange = before.Routes.ToDictionary(r => r.RouteId);
        for (var i = 0; i < Apis; i++)
        {
            var route = RouteOf(i);
            if (i == 7)
            {
                Assert.NotSame(pipelines[route], after[route]);
                Assert.NotSame(routesBeforeChange[route], changed.Routes.Single(r => r.RouteId == route));
            }
            else
            {
                // Not rebuilt: the same pipeline, the same route, the same API object from management's snapshot.
                Assert.Same(pipelines[route], after[route]);
                Assert.Same(routesBeforeChange[route], changed.Routes.Single(r => r.RouteId == route));
                Assert.Same(before.Snapshot.Apis[i], changed.Snapshot.Apis[i]);
            }
        }

        using (var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/api7/items/1", key)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("v2-7:GET", backend.Last.Header("X-Version"));
        }

        using (var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/api8/items/1", key)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("v1-8:GET", backend.Last.Header("X-Version"));
        }

        // Deleting an API removes exactly its routes; the others keep their pipelines.
        var routesBefore = changed.Routes.Select(r => r.RouteId).ToHashSet();
        using (var deleted = await host.SendAsync(HttpMethod.Delete, $"{svc}/apis/api13"))
        {
            Assert.True(deleted.IsSuccessStatusCode, $"{(int)deleted.StatusCode}");
        }

        var removed = gateway.StateOf(Service)!;
        Assert.Equal(0, removed.Policies.DocumentsCompiled);
        var routesAfter = removed.Routes.Select(r => r.RouteId).ToHashSet();
        Assert.Equal(routesBefore.Where(r => r.StartsWith($"{Service}/api13/", StringComparison.Ordinal)).ToArray(), routesBefore.Except(routesAfter).ToArray());
        Assert.Empty(routesAfter.Except(routesBefore));
        Assert.Equal(Apis - 1, removed.Policies.PipelinesReused);
        Assert.All(Pipelines(removed), p => Assert.Same(after[p.Key], p.Value));

        using (var gone = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/api13/items/1", key)))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    private static string RouteOf(int api) => $"{Service}/api{api}/get";

    private static Dictionary<string, PolicyPipeline> Pipelines(Tollgate.Gateway.Configuration.GatewayState state) =>
        state.Operations.Keys.ToDictionary(r => r, r => state.Policies.Find(r)!.WithoutProduct!);

    /// <summary>A policy with three expressions (a header from the version and the method, a variable, a condition).</summary>
    private static string Policy(string version) =>
        $$"""
        <policies>
          <inbound>
            <base />
            <set-variable name="version" value="@("{{version}}")" />
            <choose>
              <when condition="@(context.Request.Method == "GET")">
                <set-header name="X-Version" exists-action="override"><value>@((string)context.Variables["version"] + ":" + context.Request.Method)</value></set-header>
              </when>
            </choose>
          </inbound>
          <backend><base /></backend>
          <outbound><base /></outbound>
          <on-error><base /></on-error>
        </policies>
        """;
}
