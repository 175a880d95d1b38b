using System.Net;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// Multi-line <c>@{ … }</c> blocks in attribute values keep their line breaks (XML would turn them into spaces, and a
/// <c>//</c> comment would swallow the rest of the code), and errors still point at the author's line and column.
/// </summary>
public sealed class ExpressionLineBreakTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private PolicyHost H => fixture.Host;

    [Fact]
    public async Task LineCommentInAMultiLineAttributeBlock_EndsAtTheLineBreak()
    {
        await H.SetApiPolicyAsync(inbound: """
            <set-variable name="greeting" value="@{
                // the method, lower case
                var m = context.Request.Method.ToLowerInvariant(); // trailing comment
                return m + "-" + "ok";
            }" />
            <set-header name="X-Greeting"><value>@((string)context.Variables["greeting"])</value></set-header>
            """);

        using var response = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("get-ok", H.Backend.Last.Header("X-Greeting"));
    }

    [Fact]
    public async Task LineCommentInAMultiLineElementBlock_EndsAtTheLineBreak()
    {
        await H.SetApiPolicyAsync(inbound: """
            <set-header name="X-Block">
                <value>@{
                    // a comment that must not swallow the code below
                    var parts = new[] { "a", "b" }; // trailing comment
                    return string.Join("-", parts);
                }</value>
            </set-header>
            """);

        using var response = await H.GetAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a-b", H.Backend.Last.Header("X-Block"));
    }

    [Fact]
    public async Task ErrorInAMultiLineElementBlock_IsReportedAtItsLineAndColumn()
    {
        var xml = "<policies>\n<inbound>\n<set-body>@{\n    // comment\n    return context.NoSuchThing;\n}</set-body>\n</inbound>\n</policies>";
        using var response = await H.Host.SendAsync(HttpMethod.Put, $"{PolicyHost.Svc}/apis/echo/operations/any/policies/policy", new
        {
            properties = new { format = "rawxml", value = xml },
        });

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        var messages = string.Join("\n", error["details"]!.AsArray().Select(d => (string)d!["message"]!));
        Assert.Contains("Line 5, column 20", messages);
        Assert.Contains("NoSuchThing", messages);
        Assert.DoesNotContain("CS0161", messages);
    }

    [Fact]
    public async Task ErrorInAMultiLineAttributeBlock_IsReportedAtItsLineAndColumn()
    {
        var xml = "<policies>\n<inbound>\n<set-variable name=\"v\" value=\"@{\n    var a = 1; // fine\n    return a.NoSuchMember;\n}\" />\n</inbound>\n</policies>";
        using var response = await H.Host.SendAsync(HttpMethod.Put, $"{PolicyHost.Svc}/apis/echo/operations/any/policies/policy", new
        {
            properties = new { format = "rawxml", value = xml },
        });

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        var messages = string.Join("\n", error["details"]!.AsArray().Select(d => (string)d!["message"]!));
        Assert.Contains("Line 5, column 14", messages);
        Assert.Contains("NoSuchMember", messages);
        Assert.DoesNotContain("CS0161", messages);
    }

    [Fact]
    public async Task EscapedXmlFormat_IsReadAsWritten()
    {
        using var saved = await H.Host.SendAsync(HttpMethod.Put, $"{PolicyHost.Svc}/apis/echo/operations/any/policies/policy", new
        {
            properties = new
            {
                format = "xml",
                value = "<policies><inbound><base /><set-header name=\"X-Quote\"><value>@(&quot;it's&quot; + (1 &lt; 2 ? &quot;!&quot; : &quot;?&quot;))</value></set-header>"
                    + "<set-variable name=\"v\" value=\"@(&quot;it's&quot;)\" /></inbound><backend><base /></backend></policies>",
            },
        });
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());

        using var response = await H.GetAsync("/echo/other");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("it's!", H.Backend.Last.Header("X-Quote"));
        await H.Host.SendAsync(HttpMethod.Delete, $"{PolicyHost.Svc}/apis/echo/operations/any/policies/policy");
    }
}
