using System.Xml.Linq;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies;

/// <summary>
/// Trees from untrusted text: depth is checked while reading (a 100,000-level body or a 5,000-level policy used to end
/// the process with a stack overflow) and DTDs are refused (a 483-byte body used to expand to megabytes).
/// </summary>
public sealed class SafeParsingTests
{
    private static string Nest(string open, string inner, string close, int depth) =>
        string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, depth));

    private const string Laughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
        <lolz>&lol3;</lolz>
        """;

    [Theory]
    [InlineData(100_000)]
    [InlineData(65)]
    public void MessageBody_TooDeep_IsRefusedForEveryTreeType(int depth)
    {
        var xml = Nest("<a>", "x", "</a>", depth);
        var json = Nest("[", "1", "]", depth);

        Assert.True(Assert.Throws<BodyRejectedException>(() => new MessageBody(xml) { IsClientRequest = true }.As<XDocument>()).ClientRequest);
        Assert.Throws<BodyRejectedException>(() => new MessageBody(xml).As<XElement>());
        Assert.Throws<BodyRejectedException>(() => new MessageBody(json).As<JToken>());
        Assert.Throws<BodyRejectedException>(() => new MessageBody(json).As<JArray>());
        Assert.Throws<BodyRejectedException>(() => new MessageBody(Nest("{\"a\":", "1", "}", depth)).As<JObject>());
    }

    [Fact]
    public void MessageBody_At64Levels_IsRead()
    {
        Assert.Equal("x", new MessageBody(Nest("<a>", "x", "</a>", 64)).As<XDocument>().Root!.Value);
        var element = new MessageBody(Nest("<a>", "x", "</a>", 64)).As<XElement>();
        Assert.Null(element.Parent);
        Assert.Null(element.Document);
        Assert.Equal(JTokenType.Array, new MessageBody(Nest("[", "1", "]", 64)).As<JToken>().Type);
        Assert.Equal(1, (int)new MessageBody(Nest("{\"a\":", "1", "}", 64)).As<JObject>().SelectToken(string.Join(".", Enumerable.Repeat("a", 64)))!);
    }

    [Fact]
    public void MessageBody_WithADtd_IsRefused_NothingExpanded()
    {
        var e = Assert.Throws<BodyRejectedException>(() => new MessageBody(Laughs).As<XDocument>());
        Assert.Contains("document type declaration", e.Message);
        Assert.Throws<BodyRejectedException>(() => new MessageBody(Laughs).As<XElement>());
    }

    [Fact]
    public void MalformedXmlBody_StaysAnXmlException()
    {
        Assert.Throws<System.Xml.XmlException>(() => new MessageBody("<a>").As<XDocument>());
    }

    [Fact]
    public void Policy_5000NestedChooses_IsAValidationErrorNamingTheLine_NotAStackOverflow()
    {
        var xml = "<policies><inbound>" + Nest("\n<choose><when condition=\"true\">", "<base />", "</when></choose>", 5_000) + "</inbound></policies>";

        var error = Assert.Single(PolicyValidator.Validate(xml));

        Assert.Equal(33, error.Line);
        Assert.Contains("more than 64 levels deep", error.Message);
        Assert.Contains("more than 64 levels deep", Assert.Throws<PolicyDocumentException>(() => PolicyDocument.Parse(xml)).Message);
        Assert.NotEmpty(PolicyFragment.Validate("<fragment>" + Nest("<choose><when condition=\"true\">", "", "</when></choose>", 5_000) + "</fragment>"));
    }

    [Fact]
    public void Policy_WithADtd_IsAValidationError()
    {
        var xml = """<!DOCTYPE policies [<!ENTITY h "X">]><policies><inbound><set-header name="&h;"><value>1</value></set-header></inbound></policies>""";

        Assert.Contains("DTD", Assert.Single(PolicyValidator.Validate(xml)).Message);
    }
}
