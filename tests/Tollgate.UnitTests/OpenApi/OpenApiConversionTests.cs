using System.Text.Json.Nodes;
using Tollgate.Core.Resources;
using Tollgate.Routing;
using Tollgate.Management.Api;

namespace Tollgate.UnitTests.OpenApi;

public sealed class OpenApiConversionTests
{
    private const string PetStoreJson = """
        {
          "openapi": "3.0.1",
          "info": { "title": "Pet Store", "description": "Pets for sale.", "version": "2.1" },
          "servers": [ { "url": "https://backend.example/v1/" }, { "url": "http://backend.example/v1" } ],
          "paths": {
            "/pets/{petId}": {
              "parameters": [
                { "name": "petId", "in": "path", "required": true, "description": "The pet.", "schema": { "type": "integer", "enum": [1, 2, 3] } }
              ],
              "get": {
                "operationId": "getPet",
                "summary": "Get a pet",
                "description": "Returns one pet.",
                "parameters": [
                  { "name": "limit", "in": "query", "schema": { "type": "integer", "default": 10 } },
                  { "name": "filter", "in": "query", "required": true, "schema": { "$ref": "#/components/schemas/Filter" } },
                  { "name": "X-Trace", "in": "header", "required": true, "description": "Trace id.", "schema": { "type": "string" } }
                ],
                "responses": {
                  "200": {
                    "description": "The pet.",
                    "headers": { "X-Rate": { "description": "Calls left.", "schema": { "type": "integer" } } },
                    "content": { "application/json": { "example": { "id": 1, "name": "Rex" } } }
                  },
                  "404": { "description": "No such pet." },
                  "default": { "description": "Error." }
                }
              },
              "put": {
                "requestBody": {
                  "description": "The new pet.",
                  "content": {
                    "application/json": {
                      "examples": { "dog": { "summary": "A dog", "value": { "name": "Rex" } } }
                    }
                  }
                },
                "responses": { "default": { "description": "Done." } }
              }
            }
          },
          "components": { "schemas": { "Filter": { "type": "string", "enum": ["all", "sold"] } } }
        }
        """;

    private const string PetStoreYaml = """
        openapi: 3.1.0
        info:
          title: Yaml Pets
          version: '1'
        servers:
          - url: '{scheme}://yaml.example/{base}'
            variables:
              scheme: { default: https }
              base: { default: api }
        paths:
          /pets:
            post:
              operationId: addPet
              parameters:
                - name: dryRun
                  in: query
                  schema: { type: boolean }
                - name: X-Request-Id
                  in: header
                  schema: { type: string }
              requestBody:
                content:
                  application/json:
                    example:
                      name: Rex
                      age: 3
              responses:
                '201':
                  description: Created
                  content:
                    application/json:
                      examples:
                        created:
                          value: { id: 7 }
            get:
              responses:
                '200':
                  description: All pets
        """;

    private const string SwaggerJson = """
        {
          "swagger": "2.0",
          "info": { "title": "Legacy", "version": "1.0" },
          "host": "legacy.example",
          "basePath": "/api",
          "schemes": ["http", "https"],
          "paths": {
            "/orders/{orderId}": {
              "post": {
                "operationId": "Orders_Update",
                "consumes": ["application/json"],
                "produces": ["application/json"],
                "parameters": [
                  { "name": "orderId", "in": "path", "required": true, "type": "string" },
                  { "name": "verbose", "in": "query", "type": "boolean" },
                  { "name": "tenant", "in": "query", "required": true, "type": "string", "enum": ["a", "b"] },
                  { "name": "X-Client", "in": "header", "type": "string" },
                  { "name": "body", "in": "body", "schema": { "type": "object" } }
                ],
                "responses": {
                  "200": { "description": "Updated", "examples": { "application/json": { "ok": true } } }
                }
              }
            },
            "/forms": {
              "post": {
                "consumes": ["application/x-www-form-urlencoded"],
                "parameters": [
                  { "name": "field", "in": "formData", "type": "string", "required": true, "description": "A field." }
                ],
                "responses": { "204": { "description": "Stored" } }
              }
            }
          }
        }
        """;

    private const string RrsYaml = """
        openapi: 3.0.0
        info:
          title: Scoring
          version: '2.0'
        servers:
          - url: https://ussouthcentral.services.azureml.net
        paths:
          /workspaces/{workspace}/services/{service}/execute:
            post:
              operationId: execute
              summary: Execute
              parameters:
                - { name: workspace, in: path, required: true, schema: { type: string } }
                - { name: service, in: path, required: true, schema: { type: string } }
                - { name: api-version, in: query, required: true, schema: { type: string, default: '2.0' } }
                - { name: details, in: query, required: true, schema: { type: string, default: 'true' } }
                - { name: format, in: query, schema: { type: string } }
                - { name: Authorization, in: header, required: true, schema: { type: string } }
              requestBody:
                content:
                  application/json:
                    example: { Inputs: { input1: [] } }
              responses:
                '200':
                  description: OK
        """;

    [Fact]
    public void OpenApi3Json_ImportsApiAndParameters()
    {
        var (api, operations) = OpenApiConverter.Import(PetStoreJson);

        Assert.Equal("Pet Store", (string?)api["displayName"]);
        Assert.Equal("Pets for sale.", (string?)api["description"]);
        Assert.Equal("https://backend.example/v1", (string?)api["serviceUrl"]);
        Assert.Equal(["https", "http"], Strings(api["protocols"]));
        Assert.Null(api["apiVersion"]);

        Assert.Equal(2, operations.Count);
        var (name, get) = operations[0];
        Assert.Equal("getPet", name);
        Assert.Equal("GET", (string?)get["method"]);
        Assert.Equal("Get a pet", (string?)get["displayName"]);
        Assert.Equal("Returns one pet.", (string?)get["description"]);
        Assert.Equal("/pets/{petId}?filter={filter}", (string?)get["urlTemplate"]);

        var templateParameters = Objects(get["templateParameters"]);
        Assert.Equal(["petId", "filter"], templateParameters.Select(p => (string)p["name"]!));
        var petId = templateParameters[0];
        Assert.Equal("integer", (string?)petId["type"]);
        Assert.True((bool)petId["required"]!);
        Assert.Equal("The pet.", (string?)petId["description"]);
        Assert.Equal(["1", "2", "3"], Strings(petId["values"]));
        Assert.Equal(["all", "sold"], Strings(templateParameters[1]["values"]));

        var query = Objects(get["request"]!["queryParameters"]);
        var limit = Assert.Single(query);
        Assert.Equal("limit", (string?)limit["name"]);
        Assert.Equal("integer", (string?)limit["type"]);
        Assert.Equal("10", (string?)limit["defaultValue"]);
        Assert.False((bool)limit["required"]!);

        var header = Assert.Single(Objects(get["request"]!["headers"]));
        Assert.Equal("X-Trace", (string?)header["name"]);
        Assert.True((bool)header["required"]!);
        Assert.Equal("Trace id.", (string?)header["description"]);

        var responses = Objects(get["responses"]);
        Assert.Equal([200L, 404L], responses.Select(r => (long)r["statusCode"]!));
        var ok = responses[0];
        Assert.Equal("The pet.", (string?)ok["description"]);
        var okRepresentation = Assert.Single(Objects(ok["representations"]));
        Assert.Equal("application/json", (string?)okRepresentation["contentType"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"default":{"value":{"id":1,"name":"Rex"}}}"""), okRepresentation["examples"]));
        var rate = Assert.Single(Objects(ok["headers"]));
        Assert.Equal("X-Rate", (string?)rate["name"]);
        Assert.Equal("integer", (string?)rate["type"]);

        var (putName, put) = operations[1];
        Assert.Equal("put-pets-petid", putName);
        Assert.Equal("PUT /pets/{petId}", (string?)put["displayName"]);
        Assert.Equal("/pets/{petId}", (string?)put["urlTemplate"]);
        Assert.Equal("The new pet.", (string?)put["request"]!["description"]);
        var body = Assert.Single(Objects(put["request"]!["representations"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"dog":{"summary":"A dog","value":{"name":"Rex"}}}"""), body["examples"]));
        // Only "default" is described, so it stands for the success response.
        Assert.Equal(200, (long)Assert.Single(Objects(put["responses"]))["statusCode"]!);

        AssertValidOperations(operations);
    }

    [Fact]
    public void OpenApi3Yaml_Imports()
    {
        var (api, operations) = OpenApiConverter.Import(PetStoreYaml);

        Assert.Equal("Yaml Pets", (string?)api["displayName"]);
        Assert.Equal("https://yaml.example/api", (string?)api["serviceUrl"]);
        Assert.Equal(["https"], Strings(api["protocols"]));

        Assert.Equal(["addPet", "get-pets"], operations.Select(o => o.Name));
        var post = operations[0].Properties;
        Assert.Equal("/pets", (string?)post["urlTemplate"]);
        var dryRun = Assert.Single(Objects(post["request"]!["queryParameters"]));
        Assert.Equal("boolean", (string?)dryRun["type"]);
        Assert.Equal("X-Request-Id", (string?)Assert.Single(Objects(post["request"]!["headers"]))["name"]);
        var body = Assert.Single(Objects(post["request"]!["representations"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"default":{"value":{"name":"Rex","age":3}}}"""), body["examples"]), body["examples"]?.ToJsonString());
        var created = Assert.Single(Objects(post["responses"]));
        Assert.Equal(201, (long)created["statusCode"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"created":{"value":{"id":7}}}"""), Objects(created["representations"])[0]["examples"]));

        AssertValidOperations(operations);
    }

    [Fact]
    public void Swagger2Json_Imports()
    {
        var (api, operations) = OpenApiConverter.Import(SwaggerJson);

        Assert.Equal("Legacy", (string?)api["displayName"]);
        Assert.Equal("http://legacy.example/api", (string?)api["serviceUrl"]);
        Assert.Equal(["http", "https"], Strings(api["protocols"]));

        var (name, update) = operations.Single(o => (string?)o.Properties["urlTemplate"] != "/forms");
        Assert.Equal("Orders_Update", name);
        Assert.Equal("POST", (string?)update["method"]);
        Assert.Equal("/orders/{orderId}?tenant={tenant}", (string?)update["urlTemplate"]);
        Assert.Equal(["orderId", "tenant"], Objects(update["templateParameters"]).Select(p => (string)p["name"]!));
        Assert.Equal(["a", "b"], Strings(Objects(update["templateParameters"])[1]["values"]));
        Assert.Equal("verbose", (string?)Assert.Single(Objects(update["request"]!["queryParameters"]))["name"]);
        Assert.Equal("X-Client", (string?)Assert.Single(Objects(update["request"]!["headers"]))["name"]);
        Assert.Equal("application/json", (string?)Assert.Single(Objects(update["request"]!["representations"]))["contentType"]);
        var ok = Assert.Single(Objects(update["responses"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"default":{"value":{"ok":true}}}"""), Objects(ok["representations"])[0]["examples"]));

        var (formName, form) = operations.Single(o => (string?)o.Properties["urlTemplate"] == "/forms");
        Assert.Equal("post-forms", formName);
        var representation = Assert.Single(Objects(form["request"]!["representations"]));
        Assert.Equal("application/x-www-form-urlencoded", (string?)representation["contentType"]);
        var field = Assert.Single(Objects(representation["formParameters"]));
        Assert.Equal("field", (string?)field["name"]);
        Assert.True((bool)field["required"]!);
        var stored = Assert.Single(Objects(form["responses"]));
        Assert.Equal(204, (long)stored["statusCode"]!);
        Assert.Empty(Objects(stored["representations"]));

        AssertValidOperations(operations);
    }

    [Theory]
    [InlineData("\"host\":\"h.example:8080\",\"basePath\":\"/v1\",", "https://h.example:8080/v1")]
    [InlineData("\"basePath\":\"/v1\",", null)]
    [InlineData("", null)]
    public void Swagger2WithoutSchemesOrHost_GetsHttpsOrNoServiceUrl(string hostAndBase, string? serviceUrl)
    {
        var (api, _) = OpenApiConverter.Import("{\"swagger\":\"2.0\",\"info\":{\"title\":\"S\",\"version\":\"1\"}," + hostAndBase + "\"paths\":{}}");

        Assert.Equal(serviceUrl, (string?)api["serviceUrl"]);
        Assert.Equal(["https"], Strings(api["protocols"]));
    }

    [Fact]
    public void RequiredQueryParameters_BecomeTemplateParameters()
    {
        var (_, operations) = OpenApiConverter.Import(RrsYaml);

        var (name, execute) = Assert.Single(operations);
        Assert.Equal("execute", name);
        Assert.Equal("/workspaces/{workspace}/services/{service}/execute?api-version={api-version}&details={details}", (string?)execute["urlTemplate"]);
        var templateParameters = Objects(execute["templateParameters"]);
        Assert.Equal(["workspace", "service", "api-version", "details"], templateParameters.Select(p => (string)p["name"]!));
        Assert.All(templateParameters, p => Assert.True((bool)p["required"]!));
        Assert.Equal("2.0", (string?)templateParameters[2]["defaultValue"]);
        Assert.Equal("format", (string?)Assert.Single(Objects(execute["request"]!["queryParameters"]))["name"]);
        Assert.Equal("Authorization", (string?)Assert.Single(Objects(execute["request"]!["headers"]))["name"]);

        var template = UrlTemplate.Parse((string)execute["urlTemplate"]!);
        Assert.Equal(["workspace", "service", "api-version", "details"], template.AllParameters);
        AssertValidOperations(operations);
    }

    [Fact]
    public void RequiredQueryParameters_StayQueryParametersInQueryMode()
    {
        var (_, operations) = OpenApiConverter.FromImportBody(ImportBody("openapi", RrsYaml, extra: new JsonObject { ["translateRequiredQueryParameters"] = "query" }));

        var execute = Assert.Single(operations).Properties;
        Assert.Equal("/workspaces/{workspace}/services/{service}/execute", (string?)execute["urlTemplate"]);
        Assert.Equal(["workspace", "service"], Objects(execute["templateParameters"]).Select(p => (string)p["name"]!));
        var query = Objects(execute["request"]!["queryParameters"]);
        Assert.Equal(["api-version", "details", "format"], query.Select(p => (string)p["name"]!));
        Assert.Equal([true, true, false], query.Select(p => (bool)p["required"]!));
    }

    [Fact]
    public void ImportBody_MergesGivenPropertiesOverTheDocument()
    {
        var (api, _) = OpenApiConverter.FromImportBody(ImportBody("openapi+json", PetStoreJson, extra: new JsonObject
        {
            ["displayName"] = "Given",
            ["serviceUrl"] = "https://override.example",
            ["protocols"] = new JsonArray("https"),
            ["subscriptionRequired"] = false,
            ["subscriptionKeyParameterNames"] = new JsonObject { ["header"] = "X-Key", ["query"] = "key" },
        }));

        Assert.Equal("Given", (string?)api["displayName"]);
        Assert.Equal("Pets for sale.", (string?)api["description"]);
        Assert.Equal("https://override.example", (string?)api["serviceUrl"]);
        Assert.Equal(["https"], Strings(api["protocols"]));
        Assert.Equal("ml/pets", (string?)api["path"]);
        Assert.False((bool)api["subscriptionRequired"]!);
        Assert.Equal("X-Key", (string?)api["subscriptionKeyParameterNames"]!["header"]);
        Assert.Null(api["format"]);
        Assert.Null(api["value"]);

        var errors = new List<ValidationError>();
        SchemaValidator.Validate(api, ResourceSchemas.Api, "", errors, applyDefaults: true);
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("{\"openapi\": \"3.0.1\", \"info\": {", "line 1")]
    [InlineData("{\n  \"openapi\": \"3.0.1\",\n  \"info\": { \"title\": \"x\" \"version\": \"1\" }\n}", "line 3")]
    [InlineData("openapi: 3.0.1\ninfo:\n  title: [broken\n", "line")]
    [InlineData("{\"foo\": 1}", "Version")]
    [InlineData("just some text", "not supported")]
    [InlineData("  ", "empty")]
    public void BrokenDocument_IsAValidationErrorNamingValue(string document, string expected)
    {
        var ex = Assert.Throws<ArmException>(() => OpenApiConverter.FromImportBody(ImportBody("openapi", document)));

        Assert.Equal(400, ex.StatusCode);
        var detail = Assert.Single(ex.Details!);
        Assert.Equal("value", detail.Target);
        Assert.Contains(expected, detail.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("openapi-link", "format", "offline")]
    [InlineData("swagger-link-json", "format", "offline")]
    [InlineData("wsdl", "format", "not supported")]
    public void UnsupportedFormats_AreRefused(string format, string target, string expected)
    {
        var ex = Assert.Throws<ArmException>(() => OpenApiConverter.FromImportBody(ImportBody(format, PetStoreJson)));

        var detail = Assert.Single(ex.Details!);
        Assert.Equal(target, detail.Target);
        Assert.Contains(expected, detail.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void MissingPath_IsAValidationErrorNamingPath()
    {
        var body = ImportBody("openapi+json", PetStoreJson);
        body["properties"]!.AsObject().Remove("path");

        var ex = Assert.Throws<ArmException>(() => OpenApiConverter.FromImportBody(body));

        Assert.Equal("path", Assert.Single(ex.Details!).Target);
    }

    [Fact]
    public void InvalidTranslateMode_IsRefused()
    {
        var ex = Assert.Throws<ArmException>(() => OpenApiConverter.FromImportBody(ImportBody("openapi", RrsYaml, extra: new JsonObject { ["translateRequiredQueryParameters"] = "sometimes" })));

        Assert.Equal("translateRequiredQueryParameters", Assert.Single(ex.Details!).Target);
    }

    [Fact]
    public void OperationNames_AreSanitizedAndUnique()
    {
        const string document = """
            {"openapi":"3.0.1","info":{"title":"N","version":"1"},"paths":{
              "/a":{"get":{"operationId":"Things/List all","responses":{"200":{"description":"x"}}},
                    "post":{"operationId":"things-list-all","responses":{"200":{"description":"x"}}}},
              "/b/{id}":{"get":{"responses":{"200":{"description":"x"}}}},
              "/b/{id}/":{"get":{"responses":{"200":{"description":"x"}}}}
            }}
            """;

        var (_, operations) = OpenApiConverter.Import(document);

        Assert.Equal(["Things-List-all", "things-list-all-2", "get-b-id", "get-b-id-2"], operations.Select(o => o.Name));
        Assert.All(operations, o => Assert.True(o.Name.Length <= OpenApiConverter.MaxOperationNameLength));
    }

    [Fact]
    public void Export_WritesOpenApi3WithGatewayServerAndKeySchemes()
    {
        var api = new JsonObject
        {
            ["displayName"] = "Scoring",
            ["description"] = "ML scoring.",
            ["path"] = "ml/scoring",
            ["subscriptionKeyParameterNames"] = new JsonObject { ["header"] = "X-Key", ["query"] = "key" },
        };
        var (_, operations) = OpenApiConverter.Import(RrsYaml);

        var json = JsonNode.Parse(OpenApiConverter.Export(api, operations, "https://gw.example:5443/"))!;

        Assert.StartsWith("3.0", (string?)json["openapi"]);
        Assert.Equal("Scoring", (string?)json["info"]!["title"]);
        Assert.Equal("ML scoring.", (string?)json["info"]!["description"]);
        Assert.Equal("1.0", (string?)json["info"]!["version"]);
        Assert.Equal("https://gw.example:5443/ml/scoring", (string?)json["servers"]![0]!["url"]);

        var post = json["paths"]!["/workspaces/{workspace}/services/{service}/execute"]!["post"]!;
        Assert.Equal("execute", (string?)post["operationId"]);
        Assert.Equal("Execute", (string?)post["summary"]);
        var parameters = post["parameters"]!.AsArray().Select(p => ((string)p!["name"]!, (string)p["in"]!, (bool?)p["required"] ?? false)).ToList();
        Assert.Equal(
            [("workspace", "path", true), ("service", "path", true), ("api-version", "query", true), ("details", "query", true), ("format", "query", false), ("Authorization", "header", true)],
            parameters);
        Assert.Equal("2.0", (string?)post["parameters"]![2]!["schema"]!["default"]);
        Assert.NotNull(post["requestBody"]!["content"]!["application/json"]!["examples"]!["default"]!["value"]!["Inputs"]);
        Assert.Equal("OK", (string?)post["responses"]!["200"]!["description"]);

        var schemes = json["components"]!["securitySchemes"]!;
        Assert.Equal("apiKey", (string?)schemes["apiKeyHeader"]!["type"]);
        Assert.Equal("X-Key", (string?)schemes["apiKeyHeader"]!["name"]);
        Assert.Equal("header", (string?)schemes["apiKeyHeader"]!["in"]);
        Assert.Equal("key", (string?)schemes["apiKeyQuery"]!["name"]);
        Assert.Equal("query", (string?)schemes["apiKeyQuery"]!["in"]);
        Assert.Equal(["apiKeyHeader", "apiKeyQuery"], json["security"]!.AsArray().Select(s => s!.AsObject().Single().Key));
    }

    [Fact]
    public void Export_WithoutSubscription_HasNoSecurity()
    {
        var api = new JsonObject { ["displayName"] = "Open", ["path"] = "", ["subscriptionRequired"] = false, ["apiVersion"] = "v2" };

        var json = JsonNode.Parse(OpenApiConverter.Export(api, [], "http://localhost:5000"))!;

        Assert.Equal("v2", (string?)json["info"]!["version"]);
        Assert.Equal("http://localhost:5000", (string?)json["servers"]![0]!["url"]);
        Assert.Null(json["security"]);
        Assert.Null(json["components"]?["securitySchemes"]);
    }

    [Fact]
    public void Export_KeepsOperationsThatDifferOnlyByQuery()
    {
        var api = new JsonObject { ["displayName"] = "Q", ["path"] = "q" };
        List<(string, JsonObject)> operations =
        [
            ("by-date", Operation("GET", "/items?date={date}", "date")),
            ("by-id", Operation("GET", "/items?id={id}", "id")),
            ("fixed", Operation("GET", "/items?kind=book")),
        ];

        var exported = OpenApiConverter.Export(api, operations, "https://gw");
        var (_, reimported) = OpenApiConverter.Import(exported);

        Assert.Equal(["by-date", "by-id", "fixed"], reimported.Select(o => o.Name));
        Assert.Equal("/items?date={date}", (string?)reimported[0].Properties["urlTemplate"]);
        Assert.Equal("/items?id={id}", (string?)reimported[1].Properties["urlTemplate"]);
        Assert.Equal("/items?kind=book", (string?)reimported[2].Properties["urlTemplate"]);
        AssertValidOperations(reimported);
    }

    [Theory]
    [InlineData(PetStoreJson)]
    [InlineData(PetStoreYaml)]
    [InlineData(SwaggerJson)]
    [InlineData(RrsYaml)]
    public void ExportThenImport_RoundTripsOperations(string document)
    {
        var (api, operations) = OpenApiConverter.Import(document);
        api["path"] = "round/trip";

        var exported = OpenApiConverter.Export(api, operations, "https://gw.example");
        var (again, reimported) = OpenApiConverter.Import(exported);

        Assert.Equal((string?)api["displayName"], (string?)again["displayName"]);
        Assert.Equal("https://gw.example/round/trip", (string?)again["serviceUrl"]);
        Assert.Equal(operations.Count, reimported.Count);
        for (var i = 0; i < operations.Count; i++)
        {
            var (name, before) = operations[i];
            var (nameAfter, after) = reimported[i];
            Assert.Equal(name, nameAfter);
            foreach (var field in new[] { "displayName", "method", "urlTemplate", "description", "templateParameters", "request", "responses" })
            {
                Assert.True(JsonNode.DeepEquals(before[field], after[field]), $"{name}.{field}:\n{before[field]?.ToJsonString()}\n{after[field]?.ToJsonString()}");
            }
        }
    }

    private static JsonObject ImportBody(string format, string value, JsonObject? extra = null)
    {
        var properties = new JsonObject { ["format"] = format, ["value"] = value, ["path"] = "ml/pets" };
        foreach (var (key, node) in extra ?? [])
        {
            properties[key] = node?.DeepClone();
        }

        return new JsonObject { ["properties"] = properties };
    }

    private static JsonObject Operation(string method, string urlTemplate, params string[] parameters) => new()
    {
        ["displayName"] = urlTemplate,
        ["method"] = method,
        ["urlTemplate"] = urlTemplate,
        ["templateParameters"] = new JsonArray(parameters.Select(p => (JsonNode?)new JsonObject { ["name"] = p, ["type"] = "string", ["required"] = true }).ToArray()),
    };

    private static List<JsonObject> Objects(JsonNode? node) => [.. (node as JsonArray ?? []).OfType<JsonObject>()];

    private static List<string> Strings(JsonNode? node) => [.. (node as JsonArray ?? []).Select(n => (string)n!)];

    /// <summary>What ResourceService checks without a store: the operation contract and template parameters matching the urlTemplate.</summary>
    private static void AssertValidOperations(IEnumerable<(string Name, JsonObject Properties)> operations)
    {
        foreach (var (name, properties) in operations)
        {
            var errors = new List<ValidationError>();
            SchemaValidator.Validate(properties, ResourceSchemas.Operation, "", errors, applyDefaults: true);
            Assert.True(errors.Count == 0, $"{name}: {string.Join("; ", errors.Select(e => $"{e.Target}: {e.Message}"))}");
            var template = UrlTemplate.Parse((string)properties["urlTemplate"]!);
            var declared = Objects(properties["templateParameters"]).Select(p => (string)p["name"]!).ToHashSet(StringComparer.OrdinalIgnoreCase);
            Assert.True(declared.SetEquals(template.AllParameters), $"{name}: templateParameters {string.Join(",", declared)} vs {string.Join(",", template.AllParameters)}");
        }
    }
}
