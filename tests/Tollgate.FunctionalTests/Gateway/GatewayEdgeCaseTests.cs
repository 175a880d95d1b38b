using System.Net;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>Edges found in review: encoded key names, overlapping routes, instances deleted and created.</summary>
public sealed class GatewayEdgeCaseTests() : GatewayServiceTests("edge")
{
    private async Task ApiAsync(string id, string path, params (string Op, string Template)[] operations)
    {
        await Host.PutAsync($"{Svc}/apis/{id}", new { properties = new { displayName = id, path, serviceUrl = Backend.Url + "/" + id, protocols = new[] { "http" } } });
        foreach (var (op, template) in operations)
        {
            var parameters = System.Text.RegularExpressions.Regex.Matches(template, "\\{([^}]+)\\}").Select(m => new { name = m.Groups[1].Value, type = "string", required = true });
            await Host.PutAsync($"{Svc}/apis/{id}/operations/{op}", new { properties = new { displayName = op, method = "GET", urlTemplate = template, templateParameters = parameters } });
        }
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string? key) =>
        await Host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, path, key));

    [Fact]
    public async Task PercentEncodedKeyParameter_IsAcceptedAndNotForwarded()
    {
        await ApiAsync("enc", "enc", ("op", "/x"));

        using var response = await GetAsync($"/enc/x?y=1&subscription%2Dkey={Key}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(Key, Backend.Last.QueryString);
        Assert.Equal("?y=1", Backend.Last.QueryString);
    }

    [Fact]
    public async Task NestedApiPaths_LongerApiPathWins_NoServerError()
    {
        await ApiAsync("a", "a", ("o1", "/b/{x}"));
        await ApiAsync("ab", "a/b", ("o2", "/{y}"));

        using var response = await GetAsync("/a/b/z", Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/ab/z", Backend.Last.Path);
    }

    [Fact]
    public async Task OverlappingQueryTemplates_ResolveDeterministically()
    {
        await ApiAsync("q", "q", ("by-a", "/q?a={a}"), ("by-b", "/q?b={b}"), ("both", "/q?a={a}&b={b}"));

        using var both = await GetAsync("/q/q?a=1&b=2", Key);
        using var onlyB = await GetAsync("/q/q?b=2", Key);

        Assert.Equal(HttpStatusCode.OK, both.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onlyB.StatusCode);
    }

    [Fact]
    public async Task SpecificLiteral_BeatsParameter()
    {
        await ApiAsync("lit", "lit", ("by-id", "/items/{id}"), ("special", "/items/special"));

        using var response = await GetAsync("/lit/items/special", Key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = Backend.Last;
        Assert.Equal("/lit/items/special", record.Path);
    }

    [Fact]
    public async Task AfterItsInstanceIsDeleted_GatewayServesTheNextInstance()
    {
        using (var deleted = await Host.SendAsync(HttpMethod.Delete, Svc))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        var next = TollgateHost.ServicePath("edge2");
        await Host.CreateServiceAsync("edge2");
        await Host.PutAsync($"{next}/apis/e", new { properties = new { displayName = "e", path = "e", serviceUrl = Backend.Url, protocols = new[] { "http" }, subscriptionRequired = false } });
        await Host.PutAsync($"{next}/apis/e/operations/g", new { properties = new { displayName = "g", method = "GET", urlTemplate = "/g" } });

        using var response = await GetAsync("/e/g", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
