using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies.Expressions;

/// <summary>Errors name the expression, its path, and the line and column in the policy document.</summary>
public sealed class PolicyExpressionLocationTests
{
    private const string Document =
        "<policies>\n"
        + "  <inbound>\n"
        + "    <set-header name=\"X-A\" exists-action=\"override\">\n"
        + "      <value>@(context.Request.Headers.GetValueOrDefault(\"X\", \"\") + nope)</value>\n"
        + "    </set-header>\n"
        + "    <set-variable name=\"v\" value=\"@(&quot;a&quot; + &quot;b&quot; + missing)\" />\n"
        + "    <set-variable name=\"f\" value=\"@(System.IO.File.Exists(&quot;/x&quot;))\" />\n"
        + "  </inbound>\n"
        + "  <outbound>\n"
        + "    <set-body><![CDATA[@{\n"
        + "        var x = 1;\n"
        + "        return x + unknown;\n"
        + "    }]]></set-body>\n"
        + "    <set-body>\r\n      @{\r\n        return 1 &lt; 2 ? gone : 0;\r\n      }\r\n    </set-body>\n"
        + "  </outbound>\n"
        + "</policies>";

    private static readonly string[] Lines = Document.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');

    private static (int Line, int Column) Find(string text)
    {
        for (var i = 0; i < Lines.Length; i++)
        {
            var at = Lines[i].IndexOf(text, StringComparison.Ordinal);
            if (at >= 0)
            {
                return (i + 1, at + 1);
            }
        }

        throw new InvalidOperationException(text);
    }

    private static IReadOnlyList<PolicyError> Errors() => PolicyExpressionCompiler.Default.Check(PolicyDocument.Parse(Document));

    [Fact]
    public void Check_ElementTextError_PointsAtTheNameInTheDocument()
    {
        var error = Assert.Single(Errors(), e => e.Message.Contains("'nope'", StringComparison.Ordinal));

        Assert.Equal("policies/inbound/set-header[1]/value[1]", error.Path);
        Assert.Equal(Find("nope)"), (error.Line, error.Column));
        Assert.Contains("CS0103", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Expression '@(context.Request.Headers.GetValueOrDefault(", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_AttributeWithEntities_PointsAtTheRawPosition()
    {
        var error = Assert.Single(Errors(), e => e.Message.Contains("'missing'", StringComparison.Ordinal));

        Assert.Equal("policies/inbound/set-variable[1]/@value", error.Path);
        Assert.Equal(Find("missing)"), (error.Line, error.Column));
    }

    [Fact]
    public void Check_ForbiddenSymbol_PointsAtItsUse()
    {
        var error = Assert.Single(Errors(), e => e.Message.Contains("System.IO.File", StringComparison.Ordinal));

        Assert.Equal("policies/inbound/set-variable[2]/@value", error.Path);
        Assert.Equal(Find("System.IO.File"), (error.Line, error.Column));
    }

    [Fact]
    public void Check_MultiLineBlockInCData_PointsAtTheLineInsideTheBlock()
    {
        var error = Assert.Single(Errors(), e => e.Message.Contains("'unknown'", StringComparison.Ordinal));

        Assert.Equal("policies/outbound/set-body[1]", error.Path);
        Assert.Equal(Find("unknown;"), (error.Line, error.Column));
    }

    [Fact]
    public void Check_TextWithCrLfAndEntities_PointsAtTheRawPosition()
    {
        var error = Assert.Single(Errors(), e => e.Message.Contains("'gone'", StringComparison.Ordinal));

        Assert.Equal("policies/outbound/set-body[2]", error.Path);
        Assert.Equal(Find("gone"), (error.Line, error.Column));
    }

    [Fact]
    public void Check_ValidDocument_HasNoErrors()
    {
        const string Valid = "<policies><inbound><set-header name=\"X-Id\" exists-action=\"override\"><value>@(context.RequestId.ToString())</value></set-header></inbound></policies>";

        Assert.Empty(PolicyExpressionCompiler.Default.Check(PolicyDocument.Parse(Valid)));
    }

    [Fact]
    public void Source_WithoutDocument_CountsLinesOfItsOwnCode()
    {
        var error = Assert.Single(PolicyExpressionCompiler.Default.Check([new PolicyExpressionSource("p", "@{\n  return zzz;\n}", line: 10, column: 5)]));

        Assert.Equal((11, 10), (error.Line, error.Column));
    }
}
