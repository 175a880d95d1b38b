using System.Net;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary><c>json-to-xml</c>, <c>xml-to-json</c> and <c>send-request</c> through the real gateway.</summary>
public sealed class TransformAndSendRequestPolicyTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    [Fact]
    public async Task JsonToXml_Inbound_ConvertsTheRequestBodyAndContentType()
    {
        await H.SetApiPolicyAsync(inbound: """<json-to-xml apply="content-type-json" consider-accept-header="false" parse-date="false" attribute-block-name="#attrs" />""");

        using var response = await H.SendAsync(HttpMethod.Post, "/echo/items", """{"name":"x","tags":["a","b"],"when":"2026-03-02T09:00:00Z","meta":{"#attrs":{"id":"7"},"v":1}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""<Document><name>x</name><tags>a</tags><tags>b</tags><when>2026-03-02T09:00:00Z</when><meta id="7"><v>1</v></meta></Document>""", H.Backend.Last.Body);
        Assert.StartsWith("application/xml", H.Backend.Last.Header("Content-Type"));
    }

    // APIM's page: "xmlns:p" properties declare p on the element whose object holds them, "p:name" is qualified there
    // and below; the one property of the body is the root. Without namespace attributes ':' is kept as written.
    [Fact]
    public async Task JsonToXml_NamespacePrefixAndSeparator_DeclareAndQualify_WhereTheDeclarationStands()
    {
        const string Json = """
            {"s:Envelope":{"xmlns:s":"urn:s","s:Body":{"xmlns:v":"urn:v","v:Item":{"#attrs":{"v:id":"7","plain":"p"},"v:name":"x"}},"v:Outside":"undeclared here"}}
            """;
        await H.SetApiPolicyAsync(inbound: """<json-to-xml apply="always" consider-accept-header="false" namespace-separator=":" namespace-prefix="xmlns" attribute-block-name="#attrs" />""");
        using (var response = await H.SendAsync(HttpMethod.Post, "/echo/items", Json))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(
                """<s:Envelope xmlns:s="urn:s"><s:Body xmlns:v="urn:v"><v:Item v:id="7" plain="p"><v:name>x</v:name></v:Item></s:Body><v_x003A_Outside>undeclared here</v_x003A_Outside></s:Envelope>""",
                H.Backend.Last.Body);
        }

        // The prefix alone: APIM's default separator, an underscore.
        await H.SetApiPolicyAsync(inbound: """<json-to-xml apply="always" consider-accept-header="false" namespace-prefix="xmlns" />""");
        using (var response = await H.SendAsync(HttpMethod.Post, "/echo/items", """{"a_Root":{"xmlns_a":"urn:a","a_b":1},"other":2}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("""<Document><a:Root xmlns:a="urn:a"><a:b>1</a:b></a:Root><other>2</other></Document>""", H.Backend.Last.Body);
        }

        // No namespace attributes: names are kept as written (encoded where XML does not allow them).
        await H.SetApiPolicyAsync(inbound: """<json-to-xml apply="always" consider-accept-header="false" />""");
        using (var response = await H.SendAsync(HttpMethod.Post, "/echo/items", """{"p:Root":{"xmlns:p":"urn:p"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("""<p_x003A_Root><xmlns_x003A_p>urn:p</xmlns_x003A_p></p_x003A_Root>""", H.Backend.Last.Body);
        }

        // A declaration XML cannot carry (no namespace, or rebinding xml) is left out, and its prefix stays as written.
        await H.SetApiPolicyAsync(inbound: """<json-to-xml apply="always" consider-accept-header="false" namespace-separator=":" />""");
        using (var response = await H.SendAsync(HttpMethod.Post, "/echo/items", """{"p:Root":{"xmlns:p":"","xmlns:xml":"urn:x","xml:lang":"en"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("""<p_x003A_Root><xml_x003A_lang>en</xml_x003A_lang></p_x003A_Root>""", H.Backend.Last.Body);
        }
    }

    [Fact]
    public async Task XmlToJson_Outbound_DirectAndJavascriptFriendly()
    {
        H.Backend.Response = ("application/xml", """<item id="7"><name>x</name><tag>a</tag><tag>b</tag></item>""");
        try
        {
            await H.SetApiPolicyAsync(outbound: """<xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="false" />""");
            using (var direct = await H.GetAsync())
            {
                Assert.Equal("""{"item":{"@id":"7","name":"x","tag":["a","b"]}}""", await direct.Content.ReadAsStringAsync());
                Assert.Equal("application/json", direct.Content.Headers.ContentType?.MediaType);
            }

            await H.SetApiPolicyAsync(outbound: """<xml-to-json kind="javascript-friendly" apply="always" />""");
            using (var friendly = await H.GetAsync(configure: r => r.Headers.Add("Accept", "application/json")))
            {
                Assert.Equal("""{"item":{"id":"7","name":"x","tag":["a","b"]}}""", await friendly.Content.ReadAsStringAsync());
            }

            // consider-accept-header (default true): a client asking for XML gets the XML.
            using var xml = await H.GetAsync(configure: r => r.Headers.Add("Accept", "application/xml"));
            Assert.StartsWith("<item", await xml.Content.ReadAsStringAsync());
        }
        finally
        {
            H.Backend.Response = null;
        }
    }

    [Fact]
    public async Task JsonToXml_Outbound_OnlyForJsonWhenApplyIsContentTypeJson()
    {
        await H.SetApiPolicyAsync(outbound: """<json-to-xml apply="content-type-json" />""");

        using var response = await H.GetAsync(configure: r => r.Headers.Add("Accept", "application/xml"));

        Assert.Equal("""<Document><backend>recording</backend><path>/items/42</path></Document>""", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task SendRequest_StoresTheResponseForExpressions()
    {
        await using var other = await RecordingBackend.StartAsync();
        await H.SetApiPolicyAsync(inbound: $$"""
            <send-request mode="new" response-variable-name="lookup" timeout="20" ignore-error="false">
              <set-url>@("{{other.Url}}/lookup?id=" + context.Request.MatchedParameters["id"])</set-url>
              <set-method>POST</set-method>
              <set-header name="X-Caller" exists-action="override"><value>@(context.Operation.Id)</value></set-header>
              <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
              <set-body>{"q":1}</set-body>
            </send-request>
            <set-header name="X-Lookup"><value>@(((IResponse)context.Variables["lookup"]).Body.As<JObject>()["path"].ToString())</value></set-header>
            <set-header name="X-Lookup-Status"><value>@(((IResponse)context.Variables["lookup"]).StatusCode.ToString())</value></set-header>
            """);

        using var response = await H.GetAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = other.Last;
        Assert.Equal("POST", sent.Method);
        Assert.Equal("/lookup", sent.Path);
        Assert.Equal("?id=42", sent.QueryString);
        Assert.Equal("get", sent.Header("X-Caller"));
        Assert.Equal("""{"q":1}""", sent.Body);
        Assert.StartsWith("application/json", sent.Header("Content-Type"));
        Assert.Equal("/lookup", H.Backend.Last.Header("X-Lookup"));
        Assert.Equal("200", H.Backend.Last.Header("X-Lookup-Status"));
    }

    [Fact]
    public async Task ReturnResponse_FromAResponseVariable_AnswersWithItAndItsChildrenChangeIt()
    {
        await using var other = await RecordingBackend.StartAsync();
        other.StatusCode = 202;
        await H.SetApiPolicyAsync(
            inbound: $$"""
            <send-request mode="new" response-variable-name="answer">
              <set-url>{{other.Url}}/precomputed</set-url>
              <set-method>GET</set-method>
            </send-request>
            <return-response response-variable-name="answer">
              <set-header name="X-From" exists-action="override"><value>send-request</value></set-header>
            </return-response>
            """,
            onError: """<set-header name="X-Error" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>""");

        var before = H.Backend.Requests.Count;
        using var response = await H.GetAsync();

        Assert.Equal((HttpStatusCode)202, response.StatusCode);
        Assert.Equal("send-request", response.Headers.GetValues("X-From").Single());
        Assert.Equal("/precomputed", (string?)System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["path"]);
        Assert.Equal(before, H.Backend.Requests.Count);

        // A variable that holds no response is an error, handled by on-error.
        await H.SetApiPolicyAsync(
            inbound: """<set-variable name="answer" value="text" /><return-response response-variable-name="answer" />""",
            onError: """<set-header name="X-Error" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>""");
        using var failed = await H.GetAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("ResponseVariableNotFound", failed.Headers.GetValues("X-Error").Single());
    }

    [Fact]
    public async Task SendRequest_Unreachable_FailsOrGivesNullWithIgnoreError()
    {
        const string Closed = "http://127.0.0.1:1/nothing";
        await H.SetApiPolicyAsync(
            inbound: $"""<send-request response-variable-name="r"><set-url>{Closed}</set-url></send-request>""",
            onError: """<set-header name="X-Error" exists-action="override"><value>@(context.LastError.Source + "/" + context.LastError.Reason)</value></set-header>""");
        using (var failed = await H.GetAsync())
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Equal("send-request/SendRequestFailure", failed.Headers.GetValues("X-Error").Single());
        }

        await H.SetApiPolicyAsync(inbound: $"""
            <send-request response-variable-name="r" ignore-error="true"><set-url>{Closed}</set-url></send-request>
            <set-header name="X-R"><value>@(context.Variables["r"] == null ? "null" : "set")</value></set-header>
            """);
        using var ignored = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, ignored.StatusCode);
        Assert.Equal("null", H.Backend.Last.Header("X-R"));
    }

    [Theory]
    [InlineData("""<json-to-xml apply="always" wrap="true" />""", "", "Attribute 'wrap' is not allowed on 'json-to-xml'")]
    [InlineData("""<json-to-xml consider-accept-header="false" />""", "", "Attribute 'apply' of 'json-to-xml' is required")]
    [InlineData("", """<xml-to-json kind="pretty" apply="always" />""", "Attribute 'kind' of 'xml-to-json' must be one of 'javascript-friendly', 'direct'")]
    [InlineData("""<send-request response-variable-name="r" mode="old"><set-url>http://x</set-url></send-request>""", "", "Attribute 'mode' of 'send-request' must be one of 'new', 'copy'")]
    [InlineData("""<send-request><set-url>http://x</set-url></send-request>""", "", "Attribute 'response-variable-name' of 'send-request' is required")]
    [InlineData("""<send-request response-variable-name="r" />""", "", "requires a 'set-url' element")]
    public async Task BadPolicies_AreRefusedOnSave(string inbound, string outbound, string message)
    {
        var body = await H.RefusedAsync(inbound: inbound, outbound: outbound);

        Assert.Contains(message, body);
    }
}
