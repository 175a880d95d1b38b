using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// <c>validate-parameters</c>, <c>validate-headers</c> and <c>validate-content</c> against an API described through the
/// management API (an operation's parameters, headers and representations, the definitions in an API schema), with
/// APIM's documentation examples, observed through the gateway.
/// </summary>
public sealed class ValidationPoliciesTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    private static string Orders => $"{PolicyHost.Svc}/apis/orders";

    /// <summary>
    /// API <c>orders</c>: POST /orders/{region} (region eu or us; query dryRun boolean; header X-Tenant integer,
    /// required; body application/json as definition Order) answering 200 with header X-Trace and the body Echo.
    /// </summary>
    private async Task OrdersApiAsync(string policy)
    {
        await H.Host.PutAsync(Orders, new { properties = new { displayName = "Orders", path = "orders", serviceUrl = H.Backend.Url, protocols = new[] { "http" } } });
        await H.Host.PutAsync($"{Orders}/schemas/definitions", new
        {
            properties = new
            {
                contentType = "application/vnd.oai.openapi.components+json",
                document = JsonNode.Parse("""
                    {"components":{"schemas":{
                      "Order":{"type":"object","required":["name","quantity"],"properties":{
                        "name":{"type":"string"},"quantity":{"type":"integer","minimum":1},"note":{"type":"string","nullable":true},
                        "lines":{"type":"array","items":{"$ref":"#/components/schemas/Line"}}}},
                      "Line":{"type":"object","required":["sku"],"properties":{"sku":{"type":"string"}}},
                      "Echo":{"type":"object","required":["backend"],"properties":{"backend":{"type":"string"}}}}}}
                    """),
            },
        });
        await H.Host.PutAsync($"{Orders}/operations/create", new
        {
            properties = new
            {
                displayName = "Create order",
                method = "POST",
                urlTemplate = "/{region}",
                templateParameters = new[] { new { name = "region", type = "string", required = true, values = new[] { "eu", "us" } } },
                request = new
                {
                    queryParameters = new[] { new { name = "dryRun", type = "boolean", required = false } },
                    headers = new[] { new { name = "X-Tenant", type = "integer", required = true } },
                    representations = new[] { new { contentType = "application/json", schemaId = "definitions", typeName = "Order" } },
                },
                responses = new[]
                {
                    new
                    {
                        statusCode = 200,
                        headers = new[] { new { name = "X-Trace", type = "string", required = false } },
                        representations = new[] { new { contentType = "application/json", schemaId = "definitions", typeName = "Echo" } },
                    },
                },
            },
        });
        await H.Host.PutAsync($"{PolicyHost.Svc}/products/gold/apis/orders", new { });
        await H.SetPolicyAsync("apis/orders", policy);
    }

    private Task<HttpResponseMessage> PostAsync(string path, string? body, string? tenant = "7", string contentType = "application/json", Action<HttpRequestMessage>? configure = null) =>
        H.SendAsync(HttpMethod.Post, path, body, configure: r =>
        {
            if (tenant is not null)
            {
                r.Headers.TryAddWithoutValidation("X-Tenant", tenant);
            }

            if (r.Content is not null)
            {
                r.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }

            configure?.Invoke(r);
        });

    private static async Task<string> MessageAsync(HttpResponseMessage response) => (string)(await PolicyHost.JsonAsync(response))["message"]!;

    private const string Order = """{"name":"pen","quantity":2}""";

    private const string LastErrorHeader = """<set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason + ": " + context.LastError.Message)</value></set-header>""";

    [Fact]
    public async Task ValidateParameters_PreventsUndeclaredAndNonConformingParameters_With400_AndDetectsHeaders()
    {
        // APIM's example: query and path parameters prevented, headers detected, one header prevented by name.
        await OrdersApiAsync(PolicyHost.Document(
            inbound: """
                <validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="prevent" errors-variable-name="requestParametersValidation">
                    <headers specified-parameter-action="detect" unspecified-parameter-action="detect">
                        <parameter name="X-Tenant" action="prevent" />
                        <parameter name="User-Agent" action="ignore" />
                    </headers>
                </validate-parameters>
                """,
            outbound: """<set-header name="X-Detected" exists-action="override"><value>@(string.Join(",", ((JArray)context.Variables["requestParametersValidation"]).Select(e => (string)e["Name"])))</value></set-header>""",
            onError: LastErrorHeader));

        using (var valid = await PostAsync("/orders/eu?dryRun=true", Order))
        {
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
            Assert.Contains("Host", valid.Headers.GetValues("X-Detected").Single().Split(','));
            Assert.Equal("?dryRun=true", H.Backend.Last.QueryString);
        }

        var cases = new (string Path, string? Tenant, string Message)[]
        {
            ("/orders/eu?dryRun=maybe", "7", "Value of the query parameter dryRun couldn't be parsed according to the definition. 'maybe' is not a valid boolean."),
            ("/orders/eu?debug=1", "7", "Unspecified query parameter debug is not allowed."),
            ("/orders/eu?dryRun=true&dryRun=false", "7", "Request cannot contain multiple values for the query parameter dryRun."),
            ("/orders/asia", "7", "The value of the path parameter region does not conform to the definition. Value 'asia' is not one of 'eu', 'us'."),
            ("/orders/eu", null, "Request must contain the header X-Tenant."),
            ("/orders/eu", "seven", "Value of the header X-Tenant couldn't be parsed according to the definition. 'seven' is not a valid integer."),
        };
        foreach (var (path, tenant, message) in cases)
        {
            using var refused = await PostAsync(path, Order, tenant);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(message, await MessageAsync(refused));
            Assert.StartsWith("Bad request: ", refused.Headers.GetValues("X-Reason").Single());
        }
    }

    [Fact]
    public async Task ValidateHeaders_PreventsUndeclaredResponseHeaders_With502_UnlessOverriddenByName()
    {
        // APIM's example, after a policy that adds a header the operation does not declare.
        await OrdersApiAsync(PolicyHost.Document(
            outbound: """
                <set-header name="X-Trace" exists-action="override"><value>abc</value></set-header>
                <choose><when condition="@(context.Request.Url.Query.ContainsKey("debug"))"><set-header name="X-Debug" exists-action="override"><value>on</value></set-header></when></choose>
                <validate-headers specified-header-action="ignore" unspecified-header-action="prevent" errors-variable-name="responseHeadersValidation" />
                """,
            onError: LastErrorHeader));

        using (var declared = await PostAsync("/orders/eu", Order))
        {
            Assert.Equal(HttpStatusCode.OK, declared.StatusCode);
            Assert.Equal("abc", declared.Headers.GetValues("X-Trace").Single());
        }

        using (var undeclared = await PostAsync("/orders/eu?debug=1", Order))
        {
            Assert.Equal(HttpStatusCode.BadGateway, undeclared.StatusCode);
            Assert.Equal("The request could not be processed due to an internal error. Contact the API owner.", await MessageAsync(undeclared));
            Assert.Equal("Response not allowed: Unspecified header X-Debug is not allowed.", undeclared.Headers.GetValues("X-Reason").Single());
        }

        await H.SetPolicyAsync("apis/orders", PolicyHost.Document(outbound: """
            <set-header name="X-Debug" exists-action="override"><value>on</value></set-header>
            <validate-headers specified-header-action="ignore" unspecified-header-action="prevent"><header name="x-debug" action="detect" /></validate-headers>
            """));
        using var detected = await PostAsync("/orders/eu", Order);
        Assert.Equal(HttpStatusCode.OK, detected.StatusCode);
    }

    [Fact]
    public async Task ValidateContent_ChecksTheRequestBodyAgainstTheOperationsDefinition_AndItsContentType()
    {
        // APIM's example, with the body prevented instead of detected.
        await OrdersApiAsync(PolicyHost.Document(
            inbound: """
                <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="requestBodyValidation">
                    <content-type-map missing-content-type-value="application/json">
                        <type from="application/hal+json" to="application/json" />
                    </content-type-map>
                    <content type="application/json" validate-as="json" action="prevent" allow-additional-properties="false" />
                </validate-content>
                """,
            onError: LastErrorHeader));

        foreach (var (body, contentType) in new[]
        {
            (Order, "application/json; charset=utf-8"),
            ("""{"name":"pen","quantity":1,"note":null,"lines":[{"sku":"A-1"}]}""", "application/json"),
            (Order, "application/hal+json"),
        })
        {
            using var valid = await PostAsync("/orders/eu", body, contentType: contentType);
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
            Assert.Equal(body, H.Backend.Last.Body);
        }

        var cases = new (string Body, string ContentType, string Message)[]
        {
            ("""{"name":"pen"}""", "application/json", "Body of the request does not conform to the definition Order, which is associated with the content type application/json. Required properties are missing from object: quantity. Line: 1, Position: 1"),
            ("{\"name\":\"pen\",\n\"quantity\":0}", "application/json", "Body of the request does not conform to the definition Order, which is associated with the content type application/json. Number too small at '#/quantity'. Line: 2, Position: 12"),
            ("""{"name":"pen","quantity":1,"lines":[{}]}""", "application/json", "Body of the request does not conform to the definition Order, which is associated with the content type application/json. Required properties are missing from object: sku. Line: 1, Position: 37"),
            ("""{"name":"pen","quantity":1,"color":"red"}""", "application/json", "Body of the request does not conform to the definition Order, which is associated with the content type application/json. Property 'color' has not been defined and the schema does not allow additional properties. Line: 1, Position: 35"),
            ("name=pen", "text/plain", "Unspecified content type text/plain is not allowed."),
        };
        foreach (var (body, contentType, message) in cases)
        {
            using var refused = await PostAsync("/orders/eu", body, contentType: contentType);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(message, await MessageAsync(refused));
            Assert.StartsWith("Bad request: ", refused.Headers.GetValues("X-Reason").Single());
        }

        using var malformed = await PostAsync("/orders/eu", """{"name":""", contentType: "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.StartsWith("Body of the request does not conform to the definition Order, which is associated with the content type application/json. Unexpected end", await MessageAsync(malformed));
    }

    [Fact]
    public async Task ValidateContent_RefusesABodyOverMaxSize_With413_AndForwardsItWholeWhenOnlyDetected()
    {
        await OrdersApiAsync(PolicyHost.Document(inbound: """
            <validate-content unspecified-content-type-action="prevent" max-size="100" size-exceeded-action="prevent">
                <content type="application/json" validate-as="json" action="prevent" />
            </validate-content>
            """));
        var large = "{\"name\":\"" + new string('x', 150) + "\",\"quantity\":1}";
        using (var refused = await PostAsync("/orders/eu", large))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.Equal("Request's body is 174 bytes long and it exceeds the limit of 100 bytes.", await MessageAsync(refused));
        }

        // Streamed without Content-Length and over the limit, only detected: the backend gets every byte.
        await H.SetPolicyAsync("apis/orders", PolicyHost.Document(
            inbound: """
                <validate-content unspecified-content-type-action="prevent" max-size="100" size-exceeded-action="detect" errors-variable-name="sizeErrors">
                    <content type="application/json" validate-as="json" action="prevent" />
                </validate-content>
                <set-header name="X-Size" exists-action="override"><value>@((string)((JArray)context.Variables["sizeErrors"])[0]["Details"])</value></set-header>
                """));
        var huge = "{\"name\":\"" + new string('y', 50_000) + "\",\"quantity\":1}";
        using var streamed = await PostAsync("/orders/eu", null, configure: r =>
        {
            r.Content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(huge)));
            r.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        });
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Equal(huge, H.Backend.Last.Body);
        Assert.Equal("Request's body is more than 100 bytes long and it exceeds the configured limit of 100 bytes.", H.Backend.Last.Header("X-Size"));
    }

    [Fact]
    public async Task ValidateContent_InOutbound_AnswersAResponseThatDoesNotConform_With502()
    {
        await OrdersApiAsync(PolicyHost.Document(
            outbound: """
                <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
                    <content type="application/json" validate-as="json" action="prevent" />
                </validate-content>
                """,
            onError: LastErrorHeader));

        using (var conforming = await PostAsync("/orders/eu", Order))
        {
            Assert.Equal(HttpStatusCode.OK, conforming.StatusCode);
            Assert.Equal("recording", (string)(await PolicyHost.JsonAsync(conforming))["backend"]!);
        }

        H.Backend.Response = ("application/json", """{"path":"/eu"}""");
        try
        {
            using var refused = await PostAsync("/orders/eu", Order);
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
            Assert.Equal("The request could not be processed due to an internal error. Contact the API owner.", await MessageAsync(refused));
            Assert.StartsWith("Response not allowed: Body of the response does not conform to the definition Echo, which is associated with the content type application/json. Required properties are missing from object: backend.",
                refused.Headers.GetValues("X-Reason").Single());
        }
        finally
        {
            H.Backend.Response = null;
        }
    }

    [Fact]
    public async Task ApiSchemas_AreResourcesOfTheApi_AndABadDocumentIsRefusedNamingTheField()
    {
        await OrdersApiAsync(PolicyHost.Document());
        var schema = await H.Host.OkAsync(HttpMethod.Get, $"{Orders}/schemas/definitions");
        Assert.EndsWith("/apis/orders/schemas/definitions", (string)schema["id"]!);
        Assert.Equal("Microsoft.ApiManagement/service/apis/schemas", (string)schema["type"]!);
        var list = await H.Host.OkAsync(HttpMethod.Get, $"{Orders}/schemas");
        Assert.Equal(1, (int)list["count"]!);

        using var refused = await H.Host.SendAsync(HttpMethod.Put, $"{Orders}/schemas/broken", new { properties = new { contentType = "application/vnd.oai.openapi.components+json", document = new { components = new { schemas = "no" } } } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal("document", (string)error["error"]!["details"]![0]!["target"]!);
        Assert.Equal("'document.components.schemas' must be an object of JSON schemas by name.", (string)error["error"]!["details"]![0]!["message"]!);

        // A representation naming a schema the API does not have: APIM's ApiSchema error, 500-free.
        await H.Host.SendAsync(HttpMethod.Delete, $"{Orders}/schemas/definitions");
        await H.SetPolicyAsync("apis/orders", PolicyHost.Document(
            inbound: """<validate-content unspecified-content-type-action="prevent" max-size="1000" size-exceeded-action="prevent"><content validate-as="json" action="prevent" /></validate-content>""",
            onError: LastErrorHeader));
        using var unresolved = await PostAsync("/orders/eu", Order);
        Assert.Equal(HttpStatusCode.BadRequest, unresolved.StatusCode);
        Assert.Equal("The request could not be processed due to an internal error. Contact the API owner.", await MessageAsync(unresolved));
        Assert.Equal("Bad request: API's schema does not exist or it could not be resolved.", unresolved.Headers.GetValues("X-Reason").Single());
    }

    [Fact]
    public async Task ValidateContent_UsesTheSchemasOfAnImportedOpenApiDocument()
    {
        // Arrange: an OpenAPI import stores components.schemas as the API's schema and names it from the operations.
        const string Document = """
            {"openapi":"3.0.1","info":{"title":"Pets","version":"1"},"paths":{"/pets":{"post":{"operationId":"addPet",
              "requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Pet"}}}},
              "responses":{"200":{"description":"ok"}}}}},
             "components":{"schemas":{"Pet":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"tag":{"$ref":"#/components/schemas/Tag"}}},
               "Tag":{"type":"string","maxLength":5}}}}
            """;
        await H.Host.PutAsync($"{PolicyHost.Svc}/apis/pets", new { properties = new { format = "openapi+json", value = Document, path = "pets", serviceUrl = H.Backend.Url, protocols = new[] { "http" } } });
        await H.Host.PutAsync($"{PolicyHost.Svc}/products/gold/apis/pets", new { });
        await H.SetPolicyAsync("apis/pets", PolicyHost.Document(inbound: """
            <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
                <content type="application/json" validate-as="json" action="prevent" />
            </validate-content>
            """));
        var operation = await H.Host.OkAsync(HttpMethod.Get, $"{PolicyHost.Svc}/apis/pets/operations/addPet");
        Assert.Equal("Pet", (string)operation["properties"]!["request"]!["representations"]![0]!["typeName"]!);
        var schemaId = (string)operation["properties"]!["request"]!["representations"]![0]!["schemaId"]!;
        await H.Host.OkAsync(HttpMethod.Get, $"{PolicyHost.Svc}/apis/pets/schemas/{schemaId}");

        // Act / Assert
        using (var valid = await H.SendAsync(HttpMethod.Post, "/pets/pets", """{"name":"rex","tag":"dog"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        }

        using var refused = await H.SendAsync(HttpMethod.Post, "/pets/pets", """{"name":"rex","tag":"labrador"}""");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("Body of the request does not conform to the definition Pet, which is associated with the content type application/json. String too long at '#/tag'. Line: 1, Position: 30",
            await MessageAsync(refused));
    }

    [Fact]
    public async Task ValidateContent_WithSchemaId_ChecksAgainstAnInstanceSchema_AtSchemaRef()
    {
        // Arrange: an instance-level schema (schemas/{id}), named by schema-id, its part chosen by schema-ref.
        await H.Host.PutAsync($"{PolicyHost.Svc}/schemas/shipping", new
        {
            properties = new
            {
                schemaType = "json",
                description = "Shipping documents",
                value = """{"components":{"schemas":{"address":{"type":"object","required":["city"],"properties":{"city":{"type":"string"},"zip":{"$ref":"#/components/schemas/zip"}}},"zip":{"type":"string","pattern":"^[0-9]{5}$"}}}}""",
            },
        });
        await OrdersApiAsync(PolicyHost.Document(inbound: """
            <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
                <content type="application/json" validate-as="json" schema-id="shipping" schema-ref="#/components/schemas/address" action="prevent" />
            </validate-content>
            """));

        // Act / Assert: the instance schema applies, not the operation's Order.
        using (var valid = await PostAsync("/orders/eu", """{"city":"Lyon","zip":"69001"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        }

        using var refused = await PostAsync("/orders/eu", """{"city":"Lyon","zip":"6900"}""");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.StartsWith("Body of the request does not conform to the definition address, which is associated with the content type application/json. Pattern mismatch at '#/zip'.", await MessageAsync(refused));

        var missing = await H.RefusedAsync(inbound: """<validate-content unspecified-content-type-action="prevent" max-size="100" size-exceeded-action="prevent"><content validate-as="json" schema-id="nowhere" action="prevent" /></validate-content>""");
        Assert.Contains("schema 'nowhere' does not exist.", missing);
    }

    /// <summary>A body HttpClient cannot measure, so it is sent chunked.</summary>
    private sealed class NonSeekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }
}
