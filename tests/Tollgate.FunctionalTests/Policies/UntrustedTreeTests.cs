using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// Bodies and policy documents that become trees cannot take the process down: deep nesting is refused while reading
/// (bodies 400, policies a validation error naming the line), DTDs are refused, and the gateway keeps serving.
/// Before the fix each deep input here ended the whole process with a stack overflow.
/// </summary>
public sealed class UntrustedTreeTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    private static string Nest(string open, string inner, string close, int depth) =>
        string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, depth));

    private static string DeepXml(int depth) => Nest("<a>", "x", "</a>", depth);

    private static string DeepJson(int depth) => Nest("[", "1", "]", depth);

    /// <summary>"Billion laughs": 483 bytes that a parser with DTDs on expands to megabytes.</summary>
    private const string BillionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
         <!ENTITY lol "lol">
         <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
         <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
         <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
         <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
         <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
        ]>
        <lolz>&lol6;</lolz>
        """;

    private async Task<HttpResponseMessage> PostAsync(string body, string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/echo/items") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.TryAddWithoutValidation("Ocp-Apim-Subscription-Key", H.Key);
        return await H.Host.Gateway.SendAsync(request);
    }

    private static async Task<string> BadRequestAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(400, (int)body["statusCode"]!);
        return (string)body["message"]!;
    }

    [Fact]
    public async Task XmlToJson_OfADeeplyNestedBody_Is400_AndTheGatewayServesTheNextRequest()
    {
        await H.SetApiPolicyAsync(inbound: """<xml-to-json kind="direct" apply="always" consider-accept-header="false" />""");

        using (var deep = await PostAsync(DeepXml(100_000), "application/xml"))
        {
            Assert.Contains("more than 64 levels deep", await BadRequestAsync(deep));
        }

        using var normal = await PostAsync("<item id=\"7\"><name>x</name></item>", "application/xml");
        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        Assert.Equal("""{"item":{"@id":"7","name":"x"}}""", H.Backend.Last.Body);
        await H.SetApiPolicyAsync();
    }

    [Fact]
    public async Task XmlToJson_At64Levels_Converts()
    {
        await H.SetApiPolicyAsync(inbound: """<xml-to-json kind="direct" apply="always" consider-accept-header="false" />""");

        using var response = await PostAsync(DeepXml(64), "application/xml");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("""{"a":{"a":""", H.Backend.Last.Body);
        await H.SetApiPolicyAsync();
    }

    [Fact]
    public async Task JsonToXml_OfADeeplyNestedBody_Is400()
    {
        await H.SetApiPolicyAsync(inbound: """<json-to-xml apply="always" consider-accept-header="false" />""");

        using (var deep = await PostAsync(DeepJson(100_000), "application/json"))
        {
            Assert.Contains("more than 64 levels deep", await BadRequestAsync(deep));
        }

        using var normal = await PostAsync("""{"name":"x"}""", "application/json");
        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        Assert.Equal("<Document><name>x</name></Document>", H.Backend.Last.Body);
        await H.SetApiPolicyAsync();
    }

    [Theory]
    [InlineData("JObject", "{\"a\":", "}")]
    [InlineData("JToken", "[", "]")]
    [InlineData("XElement", "<a>", "</a>")]
    [InlineData("XDocument", "<a>", "</a>")]
    public async Task BodyAs_OfADeeplyNestedBody_Is400(string type, string open, string close)
    {
        await H.SetApiPolicyAsync(inbound: $$"""<set-body>@{ return context.Request.Body.As<{{type}}>().ToString(); }</set-body>""");
        var xml = open.StartsWith('<');
        using (var deep = await PostAsync(Nest(open, xml ? "x" : "1", close, 100_000), xml ? "application/xml" : "application/json"))
        {
            Assert.Contains("more than 64 levels deep", await BadRequestAsync(deep));
        }

        using var normal = await PostAsync(xml ? "<a>1</a>" : type == "JObject" ? """{"a":1}""" : "[1]", "application/json");
        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        await H.SetApiPolicyAsync();
    }

    [Fact]
    public async Task XmlBodyWithADtd_Is400_AndNothingIsExpanded()
    {
        await H.SetApiPolicyAsync(inbound: """<xml-to-json kind="direct" apply="always" consider-accept-header="false" />""");
        var before = H.Backend.Requests.Count;

        using (var laughs = await PostAsync(BillionLaughs, "application/xml"))
        {
            Assert.Contains("document type declaration", await BadRequestAsync(laughs));
        }

        Assert.Equal(before, H.Backend.Requests.Count);
        await H.SetApiPolicyAsync(inbound: """<set-body>@(context.Request.Body.As<XDocument>().Root.Value)</set-body>""");
        using (var laughs = await PostAsync(BillionLaughs, "application/xml"))
        {
            Assert.Contains("document type declaration", await BadRequestAsync(laughs));
        }

        using var normal = await PostAsync("<lolz>lol</lolz>", "application/xml");
        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
        Assert.Equal("lol", H.Backend.Last.Body);
        await H.SetApiPolicyAsync();
    }

    /// <summary>N nested choose/when levels (each on its own line) inside inbound.</summary>
    private static string NestedChoose(int levels, string wrapOpen = "<policies><inbound>", string wrapClose = "</inbound></policies>")
    {
        var sb = new StringBuilder(wrapOpen);
        for (var i = 0; i < levels; i++)
        {
            sb.Append("\n<choose><when condition=\"true\">");
        }

        sb.Append("<set-header name=\"X\"><value>1</value></set-header>");
        for (var i = 0; i < levels; i++)
        {
            sb.Append("</when></choose>");
        }

        return sb.Append(wrapClose).ToString();
    }

    [Theory]
    [InlineData(5_000)]
    [InlineData(4_800)]
    [InlineData(40)]
    public async Task DeeplyNestedPolicy_IsRefusedOnSave_NamingTheLine(int levels)
    {
        using var response = await H.Host.SendAsync(HttpMethod.Put, $"{PolicyHost.Svc}/apis/echo/policies/policy", new
        {
            properties = new { format = "rawxml", value = NestedChoose(levels) },
        });

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(["value"], ArmAssert.Targets(error).Distinct());
        // policies and inbound on line 1, then a choose/when pair per line: the 65th level is the 32nd choose, on line 33.
        Assert.Contains("Line 33, column 2", Messages(error));
        Assert.Contains("more than 64 levels deep", Messages(error));

        using var served = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task PolicyNestedWithinTheLimit_IsAccepted_AndRuns()
    {
        await H.SetPolicyAsync("apis/echo", NestedChoose(30, "<policies><inbound><base />", "</inbound><backend><base /></backend></policies>"));

        using var response = await H.GetAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", H.Backend.Last.Header("X"));
        await H.SetApiPolicyAsync();
    }

    [Fact]
    public async Task DeeplyNestedFragment_IsRefusedOnSave()
    {
        using var response = await H.Host.SendAsync(HttpMethod.Put, $"{PolicyHost.Svc}/policyFragments/deep", new
        {
            properties = new { format = "rawxml", value = NestedChoose(5_000, "<fragment>", "</fragment>") },
        });

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("more than 64 levels deep", Messages(error));
    }

    [Fact]
    public async Task PolicyWithADtd_IsRefusedOnSave()
    {
        var document = """<?xml version="1.0"?><!DOCTYPE policies [<!ENTITY h "X-Hello">]><policies><inbound><set-header name="&h;"><value>1</value></set-header></inbound></policies>""";

        using var response = await H.Host.SendAsync(HttpMethod.Put, $"{PolicyHost.Svc}/apis/echo/policies/policy", new
        {
            properties = new { format = "xml", value = document },
        });

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("DTD", Messages(error));
    }

    private static string Messages(JsonObject error) => string.Join("\n", error["details"]!.AsArray().Select(d => (string)d!["message"]!));
}
