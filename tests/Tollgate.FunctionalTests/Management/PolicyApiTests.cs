using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Management;

/// <summary>Policy documents through the management API: scopes, validation with line and column, the Starter default.</summary>
public sealed class PolicyApiTests : IAsyncLifetime
{
    private const string Service = "pol";
    private static readonly string Svc = TollgateHost.ServicePath(Service);
    private TollgateHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TollgateHost.StartAsync();
        await _host.CreateServiceAsync(Service);
        await _host.PutAsync($"{Svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = "http://127.0.0.1:9" } });
        await _host.PutAsync($"{Svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/x" } });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task StarterProduct_HasApimsDefaultPolicy()
    {
        var policy = await _host.OkAsync(HttpMethod.Get, $"{Svc}/products/starter/policies/policy?format=rawxml");

        Assert.Equal($"{Svc}/products/starter/policies/policy", (string?)policy["id"]);
        Assert.Contains("<rate-limit calls=\"5\" renewal-period=\"60\" />", (string?)policy["properties"]!["value"]);
        Assert.Contains("<quota calls=\"100\" renewal-period=\"604800\" />", (string?)policy["properties"]!["value"]);
        using var unlimited = await _host.SendAsync(HttpMethod.Get, $"{Svc}/products/unlimited/policies/policy");
        Assert.Equal(HttpStatusCode.NotFound, unlimited.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/apis/echo")]
    [InlineData("/apis/echo/operations/get")]
    [InlineData("/products/starter")]
    public async Task PutGetDelete_AtEveryScope(string owner)
    {
        const string Document = "<policies><inbound><base /><set-header name=\"X-Scope\" exists-action=\"override\"><value>@(context.Api.Name)</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";

        using (var put = await _host.SendAsync(HttpMethod.Put, $"{Svc}{owner}/policies/policy", new { properties = new { format = "rawxml", value = Document } }))
        {
            Assert.True(put.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        }

        var got = await _host.OkAsync(HttpMethod.Get, $"{Svc}{owner}/policies/policy?format=rawxml");
        var list = await _host.OkAsync(HttpMethod.Get, $"{Svc}{owner}/policies");
        using var deleted = await _host.SendAsync(HttpMethod.Delete, $"{Svc}{owner}/policies/policy");
        using var gone = await _host.SendAsync(HttpMethod.Get, $"{Svc}{owner}/policies/policy");

        Assert.Equal(Document, (string?)got["properties"]!["value"]);
        Assert.Equal(1, (int)list["count"]!);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        if (owner.Length == 0)
        {
            // As APIM: the global policy never disappears; deleted, it is the default again.
            Assert.Equal(HttpStatusCode.OK, gone.StatusCode);
            Assert.Contains("<forward-request />", (string?)JsonNode.Parse(await gone.Content.ReadAsStringAsync())!["properties"]!["value"]);
        }
        else
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task InvalidDocument_Is400WithLineAndColumn_AndNotStored()
    {
        const string Document = "<policies>\n  <inbound>\n    <rate-limt calls=\"5\" renewal-period=\"60\" />\n    <quota renewal-period=\"60\" />\n  </inbound>\n</policies>";

        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/echo/policies/policy", new { properties = new { format = "rawxml", value = Document } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var details = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["details"]!.AsArray();
        Assert.All(details, d => Assert.Equal("value", (string?)d!["target"]));
        Assert.Contains(details, d => ((string)d!["message"]!).StartsWith("Line 3, column 6", StringComparison.Ordinal) && ((string)d["message"]!).Contains("'rate-limt' is not a known policy"));
        Assert.Contains(details, d => ((string)d!["message"]!).Contains("'quota'"));
        using var get = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/echo/policies/policy");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task ExpressionsThatDoNotCompile_Are400WithPolicyLineAndColumn_AndNotStored()
    {
        const string Document =
            "<policies>\n  <inbound>\n    <set-header name=\"X-User\" exists-action=\"override\">\n"
            + "      <value>@(context.User.Email + nope)</value>\n    </set-header>\n"
            + "    <set-variable name=\"f\" value=\"@(System.IO.File.ReadAllText(&quot;/etc/passwd&quot;))\" />\n"
            + "    <choose><when condition=\"@(&quot;yes&quot;)\"><base /></when></choose>\n"
            + "  </inbound>\n</policies>";

        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/echo/operations/get/policies/policy", new { properties = new { format = "rawxml", value = Document } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("ValidationError", (string?)error["code"]);
        var messages = error["details"]!.AsArray().Select(d => (string)d!["message"]!).ToArray();
        Assert.Contains(messages, m => m.StartsWith("Line 4, column 37 (policies/inbound/set-header[1]/value[1]): Expression '@(context.User.Email + nope)': CS0103", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Line 6, column 37 (policies/inbound/set-variable[1]/@value)", StringComparison.Ordinal) && m.Contains("System.IO.File", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Line 7, column 32 (policies/inbound/choose[1]/when[1]/@condition)", StringComparison.Ordinal) && m.Contains("CS0029", StringComparison.Ordinal));
        using var get = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/echo/operations/get/policies/policy");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task UnknownScope_Is404_AndDeletingTheApiDeletesItsPolicies()
    {
        using (var missing = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/nope/policies/policy", new { properties = new { value = "<policies />" } }))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        await _host.PutAsync($"{Svc}/apis/temp", new { properties = new { displayName = "Temp", path = "temp", serviceUrl = "http://127.0.0.1:9" } });
        await _host.PutAsync($"{Svc}/apis/temp/policies/policy", new { properties = new { value = "<policies><inbound><base /></inbound></policies>" } });
        using (await _host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/temp"))
        {
        }

        await _host.PutAsync($"{Svc}/apis/temp", new { properties = new { displayName = "Temp", path = "temp", serviceUrl = "http://127.0.0.1:9" } });
        using var gone = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/temp/policies/policy");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
