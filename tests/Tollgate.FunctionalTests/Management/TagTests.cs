using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Management;

/// <summary>APIM's tags through the management API: the tag resource, tags on APIs, and the APIs of a tag.</summary>
public sealed class TagTests
{
    private const string Service = "tagged";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    [Fact]
    public async Task Tags_AreCreated_PutOnApis_ListedBothWays_AndDeletingOneTakesItOffEveryApi()
    {
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        await host.CreateServiceAsync(Service);
        foreach (var api in new[] { "scoring", "billing" })
        {
            await host.PutAsync($"{Svc}/apis/{api}", new { properties = new { displayName = api, path = api, serviceUrl = "http://127.0.0.1:9/", protocols = new[] { "https" } } });
        }

        using (var bad = await host.SendAsync(HttpMethod.Put, $"{Svc}/tags/ml", new { properties = new { displayName = "" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("displayName", (string?)JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        var tag = await host.PutAsync($"{Svc}/tags/ml", new { properties = new { displayName = "Machine learning" } });
        Assert.Equal("Microsoft.ApiManagement/service/tags", (string?)tag["type"]);
        await host.PutAsync($"{Svc}/tags/finance", new { properties = new { displayName = "Finance" } });

        using (var created = await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/scoring/tags/ml"))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("Machine learning", (string?)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["properties"]!["displayName"]);
        }

        using (var again = await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/scoring/tags/ml"))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        using (var missing = await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/scoring/tags/nope"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/scoring/tags/finance");
        await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/billing/tags/finance");

        var scoringTags = await host.OkAsync(HttpMethod.Get, $"{Svc}/apis/scoring/tags");
        Assert.Equal(["finance", "ml"], scoringTags["value"]!.AsArray().Select(t => (string?)t!["name"]).Order());
        var financeApis = await host.OkAsync(HttpMethod.Get, $"{Svc}/tags/finance/apis");
        Assert.Equal(["billing", "scoring"], financeApis["value"]!.AsArray().Select(a => (string?)a!["name"]).Order());
        var filtered = await host.OkAsync(HttpMethod.Get, $"{Svc}/tags/finance/apis?$filter=contains(properties/displayName,'bill')");
        Assert.Equal("billing", (string?)Assert.Single(filtered["value"]!.AsArray())!["name"]);

        // Deleting a tag takes it off every API; deleting an API drops its tags.
        using (var deleted = await host.SendAsync(HttpMethod.Delete, $"{Svc}/tags/finance"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        Assert.Equal("ml", (string?)Assert.Single((await host.OkAsync(HttpMethod.Get, $"{Svc}/apis/scoring/tags"))["value"]!.AsArray())!["name"]);
        using (var unlinked = await host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/scoring/tags/ml"))
        {
            Assert.Equal(HttpStatusCode.OK, unlinked.StatusCode);
        }

        Assert.Empty((await host.OkAsync(HttpMethod.Get, $"{Svc}/tags/ml/apis"))["value"]!.AsArray());
    }
}
