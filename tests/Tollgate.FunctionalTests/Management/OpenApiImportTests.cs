using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>OpenAPI import through the management API creates a routable API; export gives the document back.</summary>
public sealed class OpenApiImportTests
{
    private const string Document = """
        openapi: 3.0.1
        info:
          title: Scoring service
          version: "2.0"
        servers:
          - url: http://placeholder.invalid/v2
        paths:
          /workspaces/{workspace}/services/{service}/execute:
            post:
              operationId: rrs-execute
              summary: RRS Execute
              parameters:
                - { name: workspace, in: path, required: true, schema: { type: string } }
                - { name: service, in: path, required: true, schema: { type: string } }
                - { name: api-version, in: query, required: true, schema: { type: string } }
              requestBody:
                content:
                  application/json:
                    example: { Inputs: {} }
              responses:
                "200": { description: OK }
        """;

    [Fact]
    public async Task ImportedYaml_IsRoutable_AndExportsAsOpenApi3()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        await host.CreateServiceAsync("oa");
        var svc = TollgateHost.ServicePath("oa");

        using (var created = await host.SendAsync(HttpMethod.Put, $"{svc}/apis/scoring", new
        {
            properties = new { format = "openapi", value = Document, path = "scoring", serviceUrl = backend.Url, protocols = new[] { "http" } },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var operation = await host.OkAsync(HttpMethod.Get, $"{svc}/apis/scoring/operations/rrs-execute");
        Assert.Equal("/workspaces/{workspace}/services/{service}/execute?api-version={api-version}", (string?)operation["properties"]!["urlTemplate"]);
        var key = await host.CreateSubscriptionAsync("oa", "s1", "/apis/scoring");
        using (var call = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Post, "/scoring/workspaces/w/services/s/execute?api-version=2.0", key, "{}")))
        {
            Assert.Equal(HttpStatusCode.OK, call.StatusCode);
            Assert.Equal("/workspaces/w/services/s/execute", backend.Last.Path);
        }

        using var export = await host.SendAsync(HttpMethod.Get, $"{svc}/apis/scoring?export=true&format=openapi%2Bjson");
        var document = JsonNode.Parse(await export.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.StartsWith("3.0", (string?)document["openapi"]);
        Assert.Equal("Scoring service", (string?)document["info"]!["title"]);
        Assert.NotNull(document["paths"]!["/workspaces/{workspace}/services/{service}/execute"]!["post"]);
    }

    [Fact]
    public async Task BrokenDocument_Is400NamingValue_AndNothingStored()
    {
        await using var host = await TollgateHost.StartAsync();
        await host.CreateServiceAsync("oa");
        var svc = TollgateHost.ServicePath("oa");

        using var response = await host.SendAsync(HttpMethod.Put, $"{svc}/apis/broken", new
        {
            properties = new { format = "openapi+json", value = "{\"openapi\": \"3.0.1\", \"paths\": {", path = "broken" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("value", (string?)error["details"]![0]!["target"]);
        using var get = await host.SendAsync(HttpMethod.Get, $"{svc}/apis/broken");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }
}
