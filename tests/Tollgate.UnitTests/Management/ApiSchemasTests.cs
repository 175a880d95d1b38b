using System.Text.Json.Nodes;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;

namespace Tollgate.UnitTests.Management;

/// <summary>An API's schemas as the gateway gets them: definitions by schema id, whatever the document's form.</summary>
public sealed class ApiSchemasTests
{
    private static StoredResource Schema(string id, string document) =>
        new(new ResourceKey("svc", ResourceKind.ApiSchema.Kind, "orders", id), new JsonObject
        {
            ["contentType"] = "application/vnd.oai.openapi.components+json",
            ["document"] = JsonNode.Parse(document),
        }, null, "\"1\"", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Definitions_OpenApiComponents_BecomeDefinitionsWithTheirReferencesRewritten()
    {
        // Arrange
        var schema = Schema("Defs", """{"components":{"schemas":{"Order":{"type":"object","properties":{"line":{"$ref":"#/components/schemas/Line"}}},"Line":{"type":"string"}}}}""");

        // Act
        var definitions = ApiSchemas.Definitions([schema]);

        // Assert: found by id ignoring case, refs point into #/definitions.
        var json = JsonNode.Parse(definitions["defs"])!;
        Assert.Equal("#/definitions/Line", (string?)json["definitions"]!["Order"]!["properties"]!["line"]!["$ref"]);
        Assert.Equal("string", (string?)json["definitions"]!["Line"]!["type"]);
    }

    [Fact]
    public void Definitions_SwaggerDefinitionsAreKept_AndXmlSchemasLeftOut()
    {
        var definitions = ApiSchemas.Definitions(
        [
            Schema("swagger", """{"definitions":{"Pet":{"type":"object","required":["name"]}}}"""),
            Schema("xsd", """{"value":"<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'/>"}"""),
        ]);

        Assert.Equal(["swagger"], definitions.Keys);
        Assert.Contains("\"required\":[\"name\"]", definitions["swagger"]);
    }
}
