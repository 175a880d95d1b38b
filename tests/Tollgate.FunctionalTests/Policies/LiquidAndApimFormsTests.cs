using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// <c>set-body template="liquid"</c> in APIM's dialect (its documentation's examples unchanged), and the forms APIM
/// accepts that Tollgate used to refuse; saved through the management API, observed through the gateway.
/// </summary>
public sealed class LiquidAndApimFormsTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    private const string Order = """{"customer":{"name":"ada","purchase":{"identifier":"ord-17","orderShortDesc":"two books","items":[{"sku":"a"},{"sku":"b"}],"total":12.5}}}""";

    [Fact]
    public async Task LiquidTemplate_TransformsTheJsonRequestBody_WithBodyContextAndApimFilters()
    {
        // APIM's documentation example, plus context and Pascal-case filters.
        await H.SetApiPolicyAsync(inbound: """
            <set-variable name="channel" value="web" />
            <set-body template="liquid">
            {
            "order": {
                "id": "{{body.customer.purchase.identifier}}",
                "summary": "{{body.customer.purchase.orderShortDesc}}"
                },
            "who": "{{ body.customer.name | Upcase }}",
            "items": {{ body.customer.purchase.items | Size }},
            "skus": "{{ body.customer.purchase.items | Map: "sku" | Join: "+" }}",
            "atLeast": {{ body.customer.purchase.total | AtLeast: 20 }},
            "method": "{{context.Request.Method}}",
            "operation": "{{context.Operation.Id}}",
            "channel": "{{context.Variables["channel"]}}",
            "header": "{{context.Request.Headers["X-Client"] | Default: "none"}}"
            }
            </set-body>
            """);

        using var response = await H.SendAsync(HttpMethod.Post, "/echo/items", Order, configure: r => r.Headers.Add("X-Client", "cli"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = JsonNode.Parse(H.Backend.Last.Body)!;
        Assert.Equal("ord-17", (string)sent["order"]!["id"]!);
        Assert.Equal("two books", (string)sent["order"]!["summary"]!);
        Assert.Equal("ADA", (string)sent["who"]!);
        Assert.Equal(2, (int)sent["items"]!);
        Assert.Equal("a+b", (string)sent["skus"]!);
        Assert.Equal(20, (double)sent["atLeast"]!);
        Assert.Equal("POST", (string)sent["method"]!);
        Assert.Equal("post", (string)sent["operation"]!);
        Assert.Equal("web", (string)sent["channel"]!);
        Assert.Equal("cli", (string)sent["header"]!);
    }

    [Fact]
    public async Task LiquidTemplate_WithXmlMarkup_ConvertsJsonToSoap_AsInApimsExample()
    {
        await H.SetApiPolicyAsync(inbound: """
            <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
            <set-body template="liquid">
                <soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
                    <soap:Body>
                        <GetOpenOrders>
                            <cust>{{body.getOpenOrders.cust}}</cust>
                        </GetOpenOrders>
                    </soap:Body>
                </soap:Envelope>
            </set-body>
            """);

        using var response = await H.SendAsync(HttpMethod.Post, "/echo/items", """{"getOpenOrders":{"cust":"C-42"}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = H.Backend.Last.Body;
        Assert.StartsWith("<soap:Envelope", body);
        Assert.Contains("<cust>C-42</cust>", body);
        Assert.Contains("xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"", body);
    }

    [Fact]
    public async Task LiquidTemplate_Outbound_ReadsAnXmlResponse()
    {
        H.Backend.Response = ("application/xml", "<order id=\"9\"><status>shipped</status></order>");
        try
        {
            await H.SetApiPolicyAsync(outbound: """<set-body template="liquid">{"id":"{{body.order.id}}","status":"{{body.order.status | Capitalize}}","code":{{context.Response.StatusCode}}}</set-body>""");
            using var response = await H.GetAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("9", (string)json["id"]!);
            Assert.Equal("Shipped", (string)json["status"]!);
            Assert.Equal(200, (int)json["code"]!);
        }
        finally
        {
            H.Backend.Response = null;
        }
    }

    [Fact]
    public async Task LiquidTemplateThatDoesNotParse_IsRefusedOnSave_ByTheGatewaysOwnBuild()
    {
        var text = await H.RefusedAsync(inbound: """<set-body template="liquid">{% if body.x %}never closed</set-body>""");
        Assert.Contains("Liquid template does not parse", text);
    }

    [Fact]
    public async Task ApimForms_SetStatusWithoutReason_TraceWithText_CommentBeforeFragment()
    {
        await H.Host.PutAsync($"{PolicyHost.Svc}/policyFragments/commented", new
        {
            properties = new
            {
                format = "rawxml",
                value = "<!--\n    IMPORTANT:\n    - Policy fragment are included as-is whenever they are referenced.\n-->\n<fragment>\n\t<set-header name=\"X-Fragment\"><value>in</value></set-header>\n</fragment>\n<!-- trailing -->",
            },
        });
        await H.SetApiPolicyAsync(
            inbound: """
                <include-fragment fragment-id="commented" />
                <trace source="fidelity">@("method " + context.Request.Method)</trace>
                <trace source="fidelity" severity="information">plain text</trace>
                """,
            outbound: """<set-status code="202" />""");

        using var response = await H.GetAsync();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("in", H.Backend.Last.Header("X-Fragment"));
    }

    [Fact]
    public async Task ApimForms_TraceWithMessageAndMetadata_ReturnResponseWithSetStatusWithoutReason()
    {
        await H.SetApiPolicyAsync(inbound: """
            <trace source="fidelity" severity="verbose">
                <message>@("method " + context.Request.Method)</message>
                <metadata name="Operation Name" value="@(context.Operation.Name)" />
            </trace>
            <return-response>
                <set-status code="418" />
                <set-body>short and stout</set-body>
            </return-response>
            """);

        using var response = await H.GetAsync();
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("short and stout", await response.Content.ReadAsStringAsync());
    }
}
