using System.Net;
using System.Text.Json.Nodes;
using Tollgate.Core.Resources;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Persistence;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>A thousand APIs with ten operations each load at start, route correctly, and still take changes.</summary>
public sealed class ScaleTests
{
    private const string Service = "big";
    private const int Apis = 1000;
    private const int OperationsPerApi = 10;

    [Fact]
    public async Task ThousandApisWithTenOperations_LoadAndRoute()
    {
        await using var backend = await RecordingBackend.StartAsync();
        var dataDirectory = Directory.CreateTempSubdirectory("tollgate-scale-").FullName;
        try
        {
            string key;
            await using (var first = await TollgateHost.StartAsync(dataDirectory: dataDirectory))
            {
                await first.CreateServiceAsync(Service);
                key = await first.CreateSubscriptionAsync(Service, "all", "/apis");
            }

            await SeedAsync(dataDirectory, backend.Url);

            await using var host = await TollgateHost.StartAsync(dataDirectory: dataDirectory);
            Assert.Equal(Apis * OperationsPerApi, host.Server.Gateway!.State.Routes.Count);
            for (var a = 0; a < Apis; a++)
            {
                var op = a % OperationsPerApi;
                using var response = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(
                    op % 2 == 0 ? HttpMethod.Get : HttpMethod.Post, $"/api{a}/resource{op}/item-{a}?page={op}", key));
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"api{a} op{op}: {(int)response.StatusCode}");
                var seen = backend.Last;
                Assert.Equal($"/backend{a}/resource{op}/item-{a}", seen.Path);
                Assert.Equal($"?page={op}", seen.QueryString);
            }

            await host.PutAsync($"{TollgateHost.ServicePath(Service)}/apis/api500/operations/extra", new { properties = new { displayName = "Extra", method = "PUT", urlTemplate = "/extra" } });
            using var added = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Put, "/api500/extra", key));
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            Assert.Equal("/backend500/extra", backend.Last.Path);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>Writes the APIs as the management API stores them (validated properties), in one transaction.</summary>
    private static async Task SeedAsync(string dataDirectory, string backendUrl)
    {
        await using var store = SqliteResourceStore.ForDataDirectory(dataDirectory, TimeProvider.System);
        var changes = new List<ResourceChange>();
        var errors = new List<ValidationError>();
        for (var a = 0; a < Apis; a++)
        {
            var api = SchemaValidator.Validate(new JsonObject
            {
                ["displayName"] = $"API {a}", ["path"] = $"api{a}", ["serviceUrl"] = $"{backendUrl}/backend{a}", ["protocols"] = new JsonArray("http"),
            }, ResourceSchemas.Api, "", errors, applyDefaults: true);
            changes.Add(new ResourceChange.Put(new ResourceKey(Service, "api", "", $"api{a}"), api, null));
            for (var o = 0; o < OperationsPerApi; o++)
            {
                var op = SchemaValidator.Validate(new JsonObject
                {
                    ["displayName"] = $"Op {o}", ["method"] = o % 2 == 0 ? "GET" : "POST", ["urlTemplate"] = $"/resource{o}/{{id}}",
                    ["templateParameters"] = new JsonArray(new JsonObject { ["name"] = "id", ["type"] = "string", ["required"] = true }),
                }, ResourceSchemas.Operation, "", errors, applyDefaults: true);
                changes.Add(new ResourceChange.Put(new ResourceKey(Service, "operation", $"api{a}", $"op{o}"), op, null));
            }
        }

        Assert.Empty(errors);
        await store.ApplyAsync(Service, changes);
    }
}
