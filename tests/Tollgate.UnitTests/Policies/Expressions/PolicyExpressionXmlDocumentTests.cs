using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies.Expressions;

/// <summary>
/// <c>XmlDocument</c> and its XPath (<c>SelectNodes</c>, <c>SelectSingleNode</c>) in expressions, as APIM's snippets use
/// them, and what hostile documents and XPath get: a refusal naming the limit or a budget, never a crashed process.
/// </summary>
public sealed class PolicyExpressionXmlDocumentTests
{
    private const string Soap = """<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetQuoteResponse xmlns="urn:quotes"><Quote symbol="MSFT"><Price>412.5</Price></Quote><Quote symbol="AAPL"><Price>190.25</Price></Quote></GetQuoteResponse></soap:Body></soap:Envelope>""";

    /// <summary>A clock that stands still: the step and depth budgets under test cannot lose to the time budget on a busy machine.</summary>
    private static ExpressionLimits StillClock(ExpressionLimits? limits = null) =>
        (limits ?? new ExpressionLimits()) with { TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider() };

    private static object? Evaluate(string code, IProxyContext? context = null, ExpressionLimits? limits = null)
    {
        using var compiled = new PolicyExpressionCompiler(StillClock(limits)).Compile([new PolicyExpressionSource("policies/inbound/set-body[1]", code)]);
        return compiled.Expressions[0].Evaluate(context ?? new TestProxyContext());
    }

    private static T Stopped<T>(string code, IProxyContext? context = null, ExpressionLimits? limits = null)
        where T : Exception
    {
        using var compiled = new PolicyExpressionCompiler(StillClock(limits)).Compile([new PolicyExpressionSource("policies/inbound/set-body[1]", code)]);
        return Assert.Throws<T>(() => compiled.Expressions[0].Evaluate(context ?? new TestProxyContext()));
    }

    private static IReadOnlyList<PolicyError> Check(string code) =>
        PolicyExpressionCompiler.Default.Check([new PolicyExpressionSource("policies/inbound/set-body[1]", code)]);

    private static TestProxyContext WithXml(string xml) => new() { VariableValues = { ["xml"] = xml } };

    // The XML part of APIM's snippet "Return a blob URL signed with a user delegation SAS token"
    // (Azure/api-management-policy-snippets): XmlDocument unqualified, LoadXml, DocumentElement.SelectSingleNode, InnerText.
    [Fact]
    public void Evaluate_ApimSnippetXmlDocument_ReadsTheValues()
    {
        const string Key = "<?xml version=\"1.0\" encoding=\"utf-8\"?><UserDelegationKey><SignedOid>oid-1</SignedOid><SignedTid>tid-2</SignedTid><Value>a2V5</Value></UserDelegationKey>";
        const string Code = """
            @{
                XmlDocument xml = new XmlDocument();
                string userDelegationKeyResponse = (string)context.Variables["xml"];
                xml.LoadXml(userDelegationKeyResponse);
                var signedKeyObjectId = xml.DocumentElement.SelectSingleNode("/UserDelegationKey/SignedOid").InnerText;
                var signedKeyTenantId = xml.DocumentElement.SelectSingleNode("/UserDelegationKey/SignedTid").InnerText;
                var signedKey = xml.DocumentElement.SelectSingleNode("/UserDelegationKey/Value").InnerText;
                return signedKeyObjectId + "|" + signedKeyTenantId + "|" + signedKey;
            }
            """;

        Assert.Equal("oid-1|tid-2|a2V5", Evaluate(Code, WithXml(Key)));
    }

    [Fact]
    public void Evaluate_SelectNodesAndReadingMembers_WorkAsInDotNet()
    {
        var context = WithXml(Soap);

        Assert.Equal("MSFT=412.5;AAPL=190.25", Evaluate("""
            @{
                var doc = new XmlDocument();
                doc.LoadXml((string)context.Variables["xml"]);
                var quotes = doc.SelectNodes("//*[local-name()='Quote']");
                var parts = new List<string>();
                foreach (XmlNode q in quotes)
                {
                    parts.Add(((XmlElement)q).GetAttribute("symbol") + "=" + q.FirstChild.InnerText);
                }
                return string.Join(";", parts) + (quotes.Count == 2 ? "" : "?");
            }
            """, context));
        Assert.Equal("Envelope|urn:quotes|Quote|True", Evaluate("""
            @{
                var doc = new XmlDocument();
                doc.Load(new StringReader((string)context.Variables["xml"]));
                var quote = doc.SelectSingleNode("/*/*/*/*[@symbol='AAPL']");
                return doc.DocumentElement.LocalName + "|" + quote.NamespaceURI + "|" + quote.Name + "|" + (quote.Attributes["symbol"].Value == "AAPL");
            }
            """, context));
        Assert.Equal("2", Evaluate("""
            @{
                var doc = new XmlDocument();
                using (var reader = XmlReader.Create(new StringReader((string)context.Variables["xml"])))
                {
                    doc.Load(reader);
                }
                return doc.SelectNodes("//*[local-name()='Price']").Count.ToString();
            }
            """, context));
        Assert.Null(Evaluate("@{ var d = new XmlDocument(); d.LoadXml(\"<a><b/></a>\"); return d.SelectSingleNode(\"/a/c\"); }"));
        Assert.Equal("<a><b>x</b></a>", Evaluate("@{ var d = new XmlDocument(); d.LoadXml(\"<a>\\n  <b>x</b>\\n</a>\"); return d.OuterXml; }"));
    }

    [Fact]
    public void Evaluate_BillionLaughsDocument_IsRefusedWithoutExpandingAnything()
    {
        const string Laughs = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]><lolz>&lol9;</lolz>""";
        var context = WithXml(Laughs);

        var loadXml = Stopped<PolicyExpressionException>("@{ var d = new XmlDocument(); d.LoadXml((string)context.Variables[\"xml\"]); return d.InnerText.Length; }", context);
        var load = Stopped<PolicyExpressionException>("@{ var d = new XmlDocument(); d.Load(new StringReader((string)context.Variables[\"xml\"])); return d.InnerText.Length; }", context);

        Assert.Contains("DTD", loadXml.Message, StringComparison.Ordinal);
        Assert.Contains("DTD", load.Message, StringComparison.Ordinal);
        Assert.IsNotType<ExpressionBudgetExceededException>(loadXml);
    }

    [Fact]
    public void Evaluate_DocumentNestedDeeperThanTheBudget_IsTheDepthBudget()
    {
        var context = WithXml(string.Concat(Enumerable.Repeat("<a>", 100_000)) + string.Concat(Enumerable.Repeat("</a>", 100_000)));

        var e = Stopped<ExpressionBudgetExceededException>("@{ var d = new XmlDocument(); d.LoadXml((string)context.Variables[\"xml\"]); return d.OuterXml; }", context);

        Assert.Equal("depth", e.Budget);
    }

    [Fact]
    public void Evaluate_DocumentWithMoreNodesThanTheBudget_IsTheElementsBudget()
    {
        var context = WithXml("<a>" + string.Concat(Enumerable.Repeat("<b/>", 200)) + "</a>");
        const string Code = "@{ var d = new XmlDocument(); d.LoadXml((string)context.Variables[\"xml\"]); return d.DocumentElement.ChildNodes.Count; }";

        Assert.Equal(200, Evaluate(Code, context));
        Assert.Equal("elements", Stopped<ExpressionBudgetExceededException>(Code, context, new ExpressionLimits { MaxElements = 100 }).Budget);
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    public void Evaluate_HugeXPath_IsRefusedNamingTheLengthLimit(int depth)
    {
        // 100k-deep parentheses: .NET's XPath parser would recurse once per level; the text never reaches it.
        var context = new TestProxyContext { VariableValues = { ["xpath"] = new string('(', depth) + "1" + new string(')', depth) } };

        var e = Stopped<PolicyExpressionException>("@{ var d = new XmlDocument(); d.LoadXml(\"<a/>\"); return d.SelectNodes((string)context.Variables[\"xpath\"]).Count; }", context);

        Assert.Contains("MaxXPathLength", e.Message, StringComparison.Ordinal);
        Assert.Contains("1,024", e.Message, StringComparison.Ordinal);
        Assert.IsNotType<ExpressionBudgetExceededException>(e);
    }

    [Fact]
    public void Evaluate_XPathNestedDeeperThanTheLimit_IsRefusedNamingTheNestingLimit()
    {
        var context = new TestProxyContext { VariableValues = { ["xpath"] = "/a[" + new string('(', 40) + "1" + new string(')', 40) + "]" } };

        var e = Stopped<PolicyExpressionException>("@{ var d = new XmlDocument(); d.LoadXml(\"<a/>\"); return d.SelectSingleNode((string)context.Variables[\"xpath\"]); }", context);

        Assert.Contains("MaxXPathNesting", e.Message, StringComparison.Ordinal);
        Assert.Contains("32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_XPathWithinTheLimits_Works()
    {
        // Brackets inside string literals are text, not nesting; 17 levels of real nesting are fine.
        var context = new TestProxyContext
        {
            VariableValues =
            {
                ["literal"] = "/a[@v='" + new string('(', 100) + "']",
                ["nested"] = "/a[" + new string('(', 16) + "1" + new string(')', 16) + "]",
            },
        };
        const string Code = "@{ var d = new XmlDocument(); d.LoadXml(\"<a v='\" + new string('(', 100) + \"'/>\"); return d.SelectNodes((string)context.Variables[\"literal\"]).Count + d.SelectNodes((string)context.Variables[\"nested\"]).Count; }";

        Assert.Equal(2, Evaluate(Code, context));
        // 500 steps (1,000 characters): a chain of queries as long as the text allows, evaluated without trouble.
        Assert.Equal(0, Evaluate("@{ var d = new XmlDocument(); d.LoadXml(\"<a/>\"); return d.SelectNodes(string.Concat(Enumerable.Repeat(\"/a\", 500))).Count; }"));
    }

    [Theory]
    [InlineData("d.SelectSingleNode(\"//*[count(//*[count(//*) > 1]) > 1]\")")]
    [InlineData("d.DocumentElement.SelectNodes(\"e[count(//*[count(//*) > 1]) > 1]\").Count")]
    [InlineData("d.DocumentElement.FirstChild.SelectSingleNode(\"following-sibling::*[count(preceding-sibling::*[count(following-sibling::*) > 0]) > 0][last()]\")")]
    public void Evaluate_PolynomialXPath_IsStoppedByTheStepBudgetInsideTheCall(string select)
    {
        // Nested axes over 2,000 elements: billions of node visits inside one call without the navigator's checks; catching
        // the budget's exception does not let the expression go on.
        var context = WithXml("<r>" + string.Concat(Enumerable.Repeat("<e/>", 2_000)) + "</r>");
        var code = "@{ var d = new XmlDocument(); d.LoadXml((string)context.Variables[\"xml\"]); try { return " + select + "; } catch (Exception) { return \"caught\"; } }";

        var e = Stopped<ExpressionBudgetExceededException>(code, context);

        Assert.Equal("steps", e.Budget);
    }

    [Theory]
    [InlineData("@{ var d = new XmlDocument(); d.XmlResolver = null; return 1; }", "System.Xml.XmlDocument.XmlResolver")]
    [InlineData("@{ var d = new XmlDocument(); d.LoadXml(\"<a/>\"); d.DocumentElement.InnerXml = \"<b/>\"; return d.OuterXml; }", "Setting 'System.Xml.XmlElement.InnerXml'")]
    [InlineData("@(new XmlDocument { InnerText = \"x\" }.OuterXml)", "'new XmlDocument(…) { … }'")]
    [InlineData("@(JsonConvert.DeserializeObject<XmlDocument>(\"{}\").OuterXml)", "JsonConvert.DeserializeObject<System.Xml.XmlDocument>")]
    [InlineData("@(new XmlDocument().CreateNavigator().Evaluate(\"1\"))", "XmlDocument.CreateNavigator()")]
    [InlineData("@{ var d = new XmlDocument(); d.LoadXml(\"<a/>\"); return d.SelectNodes(\"/a\", new System.Xml.XmlNamespaceManager(new System.Xml.NameTable())).Count; }", "System.Xml.XmlNamespaceManager")]
    [InlineData("@(System.Xml.XPath.Extensions.XPathSelectElement(XElement.Parse(\"<a><b/></a>\"), \"b\").Name.LocalName)", "System.Xml.XPath.Extensions")]
    [InlineData("@{ var d = new XmlDocument(); d.Load(\"/etc/hosts\"); return d.OuterXml; }", "XmlDocument.Load(string)")]
    [InlineData("@(new XmlDocument().CreateElement(\"a\"))", "System.Xml.XmlDocument.CreateElement(string)")]
    [InlineData("@(new XmlDocument().CloneNode(true))", "System.Xml.XmlDocument.CloneNode(bool)")]
    [InlineData("@{ T Make<T>() where T : new() { return new T(); } var d = Make<XmlDocument>(); d.LoadXml(\"<a/>\"); return d.OuterXml; }", "'new T()' is not allowed")]
    [InlineData("@{ T Make<T>() where T : new() => new T(); return Make<StringBuilder>().Append('x', 10).ToString(); }", "'new T()' is not allowed")]
    public void Check_WhatStaysRefused_IsRefusedNamingIt(string code, string named)
    {
        var errors = Check(code);

        Assert.Contains(errors, e => e.Message.Contains(named, StringComparison.Ordinal) && e.Message.Contains("not allowed", StringComparison.Ordinal));
    }
}
