using Tollgate.Core.Policies;

namespace Tollgate.UnitTests.Policies;

public sealed class PolicyDocumentTests
{
    private const string Starter =
        "<policies><inbound><base /><rate-limit calls=\"5\" renewal-period=\"60\" /><quota calls=\"100\" renewal-period=\"604800\" /></inbound>"
        + "<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";

    private const string SpecExample =
        "<policies><inbound><base /><rate-limit calls=\"20\" renewal-period=\"90\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";

    private static string Inbound(string body) => $"<policies><inbound>{body}</inbound></policies>";

    private static PolicyError Single(string xml) => Assert.Single(PolicyValidator.Validate(xml));

    [Fact]
    public void Parse_StarterProductPolicy_ParsesCleanWithAllSections()
    {
        var doc = PolicyDocument.Parse(Starter);

        Assert.Empty(PolicyValidator.Validate(doc));
        Assert.Equal(["inbound", "backend", "outbound", "on-error"], doc.Sections.Select(s => s.Name));
        var inbound = doc.Inbound!.Elements;
        Assert.Equal(["base", "rate-limit", "quota"], inbound.Select(e => e.Name));
        Assert.Equal("5", inbound[1]["calls"]);
        Assert.Equal("60", inbound[1]["renewal-period"]);
        Assert.Equal(["calls", "renewal-period"], inbound[2].Attributes.Select(a => a.Name));
        Assert.All(inbound[2].Attributes, a => Assert.False(a.IsExpression));
        Assert.Equal("base", Assert.Single(doc.OnError!.Elements).Name);
    }

    [Fact]
    public void Parse_SpecPolicyExample_ParsesClean()
    {
        Assert.Empty(PolicyValidator.Validate(SpecExample));
        var rl = PolicyDocument.Parse(SpecExample).Inbound!.Elements[1];
        Assert.Equal("rate-limit", rl.Name);
        Assert.Equal("20", rl["calls"]);
    }

    [Fact]
    public void Parse_SectionsOptionalAndInAnyOrder()
    {
        var doc = PolicyDocument.Parse("<policies><outbound /><inbound><base /></inbound></policies>");

        Assert.Equal(["outbound", "inbound"], doc.Sections.Select(s => s.Name));
        Assert.Null(doc.Backend);
        Assert.Null(doc.OnError);
        Assert.Empty(doc.Outbound!.Elements);
        Assert.Empty(PolicyValidator.Validate(doc));
    }

    [Fact]
    public void Parse_DetectsExpressionsInAttributesAndText()
    {
        var xml = Inbound(
            "<rate-limit-by-key calls=\"10\" renewal-period=\"60\" counter-key=\"@(context.Request.IpAddress)\" increment-condition=\"@{ return context.Response.StatusCode == 200; }\" />"
            + "<set-header name=\"X-A\" exists-action=\"override\"><value>@(context.RequestId.ToString())</value><value>plain</value></set-header>");
        var doc = PolicyDocument.Parse(xml);
        var rlk = doc.Inbound!.Elements[0];

        Assert.False(rlk.GetAttribute("calls")!.IsExpression);
        Assert.True(rlk.GetAttribute("counter-key")!.IsExpression);
        Assert.True(rlk.GetAttribute("increment-condition")!.IsExpression);
        var values = doc.Inbound.Elements[1].Children;
        Assert.True(values[0].TextIsExpression);
        Assert.Equal("@(context.RequestId.ToString())", values[0].Text);
        Assert.False(values[1].TextIsExpression);
        Assert.Equal("plain", values[1].Text);
        Assert.Empty(PolicyValidator.Validate(doc));
    }

    [Theory]
    [InlineData("@(x)", true)]
    [InlineData(" @{ return 1; } ", true)]
    [InlineData("@x", false)]
    [InlineData("(x)", false)]
    [InlineData("@(x", false)]
    [InlineData("", false)]
    public void IsExpression_RecognisesBothForms(string value, bool expected) =>
        Assert.Equal(expected, PolicyDocument.IsExpression(value));

    [Fact]
    public void Parse_RecordsLineAndColumn()
    {
        var xml = "<policies>\n  <inbound>\n    <base />\n    <rate-limit calls=\"5\"\n                renewal-period=\"60\" />\n  </inbound>\n</policies>";
        var doc = PolicyDocument.Parse(xml);
        var rl = doc.Inbound!.Elements[1];

        Assert.Equal((2, 4), (doc.Inbound.Line, doc.Inbound.Column));
        Assert.Equal((3, 6), (doc.Inbound.Elements[0].Line, doc.Inbound.Elements[0].Column));
        Assert.Equal((4, 6), (rl.Line, rl.Column));
        Assert.Equal((5, 17), (rl.GetAttribute("renewal-period")!.Line, rl.GetAttribute("renewal-period")!.Column));
    }

    [Fact]
    public void Validate_ErrorLineNumbersPointAtTheElementAndAttribute()
    {
        var xml = "<policies>\n  <inbound>\n    <rate-limt />\n    <rate-limit calls=\"5\"\n      renewal-period=\"600\" />\n  </inbound>\n</policies>";
        var errors = PolicyValidator.Validate(xml);

        Assert.Equal(2, errors.Count);
        Assert.Equal(new PolicyError("policies/inbound/rate-limt[1]", 3, 6, "Element 'rate-limt' is not a known policy."), errors[0]);
        Assert.Equal(new PolicyError("policies/inbound/rate-limit[1]/@renewal-period", 5, 7, "Attribute 'renewal-period' of 'rate-limit' must be at most 300, not '600'."), errors[1]);
    }

    [Fact]
    public void Parse_MalformedXml_ThrowsWithOneErrorAtParserPosition()
    {
        var ex = Assert.Throws<PolicyDocumentException>(() => PolicyDocument.Parse("<policies>\n<inbound>\n</policies>"));
        var error = Assert.Single(ex.Errors);

        Assert.Equal(3, error.Line);
        Assert.True(error.Column > 0);
        Assert.StartsWith("The policy document is not well-formed XML: ", error.Message, StringComparison.Ordinal);
        Assert.Single(PolicyValidator.Validate("<policies>\n<inbound>\n</policies>"));
    }

    [Fact]
    public void Parse_WrongRoot_IsAnError()
    {
        var ex = Assert.Throws<PolicyDocumentException>(() => PolicyDocument.Parse("<policy><inbound /></policy>"));

        Assert.Equal("The root element must be 'policies', not 'policy'.", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Parse_DuplicateAndUnknownSections_AreReportedTogether()
    {
        var ex = Assert.Throws<PolicyDocumentException>(() => PolicyDocument.Parse("<policies><inbound /><inbound /><inbund /></policies>"));

        Assert.Equal(
            ["Section 'inbound' appears more than once.", "Element 'inbund' is not a known section; expected 'inbound', 'backend', 'outbound' or 'on-error'."],
            ex.Errors.Select(e => e.Message));
    }

    [Fact]
    public void Model_CollectionsAreReadOnly()
    {
        var doc = PolicyDocument.Parse(Starter);

        Assert.IsNotType<List<PolicySection>>(doc.Sections);
        Assert.IsNotType<PolicyElement[]>(doc.Inbound!.Elements);
        Assert.IsNotType<PolicyAttribute[]>(doc.Inbound.Elements[1].Attributes);
    }
}
