using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// Named values (<c>{{name}}</c>) in policy documents and fragments, as APIM substitutes them: textually, before the
/// document is read, in attributes, element text and expressions, at every scope. Set through the management API,
/// observed through the gateway.
/// </summary>
public sealed class NamedValuePolicyTests
{
    private static string Svc => PolicyHost.Svc;

    private static Task PutNamedValueAsync(PolicyHost h, string id, string value, bool secret = false) =>
        h.Host.PutAsync($"{Svc}/namedValues/{id}", new { properties = new { displayName = id, value, secret } });

    private static string Messages(JsonObject error) => string.Join("\n", error["details"]!.AsArray().Select(d => (string)d!["message"]!));

    [Fact]
    public async Task NamedValues_AreSubstitutedInAttributesTextAndExpressions_AtEveryScopeAndInFragments()
    {
        await using var h = await PolicyHost.StartAsync();
        await PutNamedValueAsync(h, "header-name", "X-From-Named-Value");
        await PutNamedValueAsync(h, "greeting", "hello");
        await PutNamedValueAsync(h, "call-count", "3");
        await PutNamedValueAsync(h, "now-expression", "@(context.Request.Method.ToLowerInvariant())");
        await PutNamedValueAsync(h, "backend-url-1", h.Backend.Url + "/moved");
        await PutNamedValueAsync(h, "fragment-value", "from-fragment");

        await h.Host.PutAsync($"{Svc}/policyFragments/tagged", new
        {
            properties = new { format = "rawxml", value = "<fragment><set-header name=\"X-Fragment\"><value>{{fragment-value}}</value></set-header></fragment>" },
        });
        await h.SetPolicyAsync("", "<policies><inbound><set-header name=\"X-Global\"><value>{{greeting}}-global</value></set-header></inbound><backend><forward-request /></backend></policies>");
        await h.SetPolicyAsync("products/gold", "<policies><inbound><base /><rate-limit calls=\"{{call-count}}\" renewal-period=\"60\" /></inbound></policies>");
        await h.SetApiPolicyAsync(inbound: """
            <set-header name="{{header-name}}"><value>{{greeting}}</value></set-header>
            <set-header name="X-Expression"><value>@("{{greeting}}".ToUpperInvariant())</value></set-header>
            <set-header name="X-Value-Expression"><value>{{now-expression}}</value></set-header>
            <include-fragment fragment-id="tagged" />
            <set-backend-service base-url="{{backend-url-1}}" />
            """);

        using (var response = await h.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var seen = h.Backend.Last;
        Assert.Equal("hello", seen.Header("X-From-Named-Value"));
        Assert.Equal("HELLO", seen.Header("X-Expression"));
        Assert.Equal("get", seen.Header("X-Value-Expression"));
        Assert.Equal("hello-global", seen.Header("X-Global"));
        Assert.Equal("from-fragment", seen.Header("X-Fragment"));
        Assert.StartsWith("/moved/", seen.Path);

        // calls="{{call-count}}" is 3 calls a minute: the fourth is refused.
        for (var i = 0; i < 2; i++)
        {
            using var more = await h.GetAsync();
            Assert.Equal(HttpStatusCode.OK, more.StatusCode);
        }

        using var limited = await h.GetAsync();
        Assert.Equal((HttpStatusCode)429, limited.StatusCode);

        // Management shows the documents as written.
        var stored = await h.Host.OkAsync(HttpMethod.Get, $"{Svc}/apis/echo/policies/policy");
        Assert.Contains("{{header-name}}", (string)stored["properties"]!["value"]!);
    }

    [Fact]
    public async Task ChangingANamedValue_ChangesWhatTheGatewayDoes()
    {
        await using var h = await PolicyHost.StartAsync();
        await PutNamedValueAsync(h, "tier", "bronze");
        await h.SetApiPolicyAsync(inbound: """<set-header name="X-Tier"><value>{{tier}}</value></set-header>""");

        using (var first = await h.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("bronze", h.Backend.Last.Header("X-Tier"));
        }

        await PutNamedValueAsync(h, "tier", "silver");
        using (var second = await h.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal("silver", h.Backend.Last.Header("X-Tier"));
        }

        // Deleted behind the policy's back: the operations that use it answer 500 naming it, the others still serve.
        await h.Host.SendAsync(HttpMethod.Delete, $"{Svc}/namedValues/tier");
        using var broken = await h.GetAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
        Assert.Contains("Named value 'tier' does not exist", (string)(await PolicyHost.JsonAsync(broken))["message"]!);

        // The management API says why too.
        var policy = await h.Host.OkAsync(HttpMethod.Get, $"{Svc}/apis/echo/policies/policy");
        Assert.Contains("Named value 'tier' does not exist", string.Join("\n", policy["properties"]!["problems"]!.AsArray().Select(p => (string)p!)));
    }

    [Fact]
    public async Task MissingNamedValue_IsRefusedOnSave_NamingItWhereItIsWritten()
    {
        await using var h = await PolicyHost.StartAsync();
        using var response = await h.Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/echo/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies>\n  <inbound>\n    <set-header name=\"X\"><value>{{no-such-value}}</value></set-header>\n  </inbound>\n</policies>" },
        });

        var error = await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("Line 3, column 33", Messages(error));
        Assert.Contains("Named value 'no-such-value' does not exist", Messages(error));

        using var fragment = await h.Host.SendAsync(HttpMethod.Put, $"{Svc}/policyFragments/f", new
        {
            properties = new { format = "xml", value = "<fragment><set-variable name=\"v\" value=\"{{missing-in-fragment}}\" /></fragment>" },
        });
        Assert.Contains("Named value 'missing-in-fragment' does not exist", Messages(await ArmAssert.ErrorAsync(fragment, HttpStatusCode.BadRequest)));
    }

    [Fact]
    public async Task SecretNamedValues_AreUsed_ButNeverShownInErrors()
    {
        await using var h = await PolicyHost.StartAsync();
        await PutNamedValueAsync(h, "hashing-secret", "s3cr3t-Value-9f2", secret: true);
        await h.SetApiPolicyAsync(inbound: """<set-header name="X-Signed"><value>@("{{hashing-secret}}".Length.ToString())</value></set-header>""");
        using (var response = await h.GetAsync())
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("16", h.Backend.Last.Header("X-Signed"));
        }

        // A value that makes the document invalid: the error names the value, never shows it.
        using var refused = await h.Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/echo/policies/policy", new
        {
            properties = new { format = "rawxml", value = PolicyHost.Document("""<rate-limit calls="{{hashing-secret}}" renewal-period="60" />""") },
        });
        var text = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.DoesNotContain("s3cr3t-Value-9f2", text);
        Assert.Contains("{{hashing-secret}}", text);

        var listed = await h.Host.OkAsync(HttpMethod.Get, $"{Svc}/namedValues/hashing-secret");
        Assert.Null(listed["properties"]!["value"]);
    }
}
