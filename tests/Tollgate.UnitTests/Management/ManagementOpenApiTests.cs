using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Tollgate.Management.Api;

namespace Tollgate.UnitTests.Management;

public sealed class ManagementOpenApiTests
{
    [Fact]
    public void CommittedDocument_MatchesWhatTheSchemasGenerate()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Tollgate.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Repository root not found.");
        }

        var committed = File.ReadAllText(Path.Combine(root, "src", "Tollgate.Management", "management-openapi.json"));

        Assert.True(committed == ManagementOpenApi.Generate(),
            "src/Tollgate.Management/management-openapi.json is stale: run `dotnet run --project src/Tollgate -- openapi --output src/Tollgate.Management/management-openapi.json`.");
    }

    [Fact]
    public void Document_DescribesEveryResourceAndTheErrorShape()
    {
        var doc = JsonNode.Parse(ManagementOpenApi.Generate())!;
        var paths = doc["paths"]!.AsObject().Select(p => p.Key).ToList();
        const string Base = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service/{serviceName}";

        Assert.Equal("3.0.3", (string?)doc["openapi"]);
        foreach (var p in new[] { "/apis/{apiId}", "/apis/{apiId}/operations/{operationId}", "/products/{productId}/apis/{apiId}", "/subscriptions/{sid}/listSecrets", "/users/{userId}", "/groups/{groupId}/users/{userId}", "/namedValues/{namedValueId}" })
        {
            Assert.Contains(Base + p, paths);
        }

        Assert.NotNull(doc["components"]!["schemas"]!["ErrorResponse"]);
        Assert.Equal(1000, (int)doc["components"]!["schemas"]!["OperationContractProperties"]!["properties"]!["urlTemplate"]!["maxLength"]!);
        Assert.True((bool)doc["components"]!["schemas"]!["SubscriptionContractProperties"]!["properties"]!["primaryKey"]!["writeOnly"]!);
    }

    [Fact]
    public void CommittedDocument_HasExactlyTheMappedEndpoints()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Tollgate.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Repository root not found.");
        }

        var committed = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "src", "Tollgate.Management", "management-openapi.json")))!;
        var documented = committed["paths"]!.AsObject()
            .Where(p => p.Key != "/oauth2/v2.0/token") // OAuth 2.0, not a management resource: documented on its own

            .SelectMany(p => p.Value!.AsObject().Where(o => o.Key != "parameters").Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        var mapped = new List<string>();
        foreach (var endpoint in ManagementOpenApi.MappedEndpoints())
        {
            if (endpoint.Metadata.GetMetadata<Undocumented>() is not null)
            {
                continue;
            }

            var operations = endpoint.Metadata.GetOrderedMetadata<ManagementOperation>();
            Assert.True(operations.Count > 0, $"{endpoint.DisplayName} is mapped without its OpenAPI operation: add .Documented(…).");
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods;
            foreach (var operation in operations)
            {
                var method = ManagementOpenApi.MethodOf(endpoint, operation).ToUpperInvariant();
                Assert.Contains(method, methods);
                mapped.Add($"{method} {ManagementOpenApi.PathOf(endpoint)}");
            }
        }

        Assert.Equal(documented, mapped.Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void Document_ReadsAsValidOpenApi_WithOneOperationPerOperationId()
    {
        var result = OpenApiDocument.Parse(ManagementOpenApi.Generate(), OpenApiConstants.Json, new OpenApiReaderSettings { LoadExternalRefs = false });

        Assert.Empty(result.Diagnostic!.Errors.Select(e => $"{e.Pointer}: {e.Message}"));
        var ids = result.Document!.Paths.SelectMany(p => p.Value.Operations!.Values).Select(o => o.OperationId).ToList();
        Assert.Empty(ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key));
    }
}
