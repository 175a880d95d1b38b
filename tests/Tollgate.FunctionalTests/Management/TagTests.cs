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

    [Fact]
    public async Task Tags_GoOnProductsAndOperations_AndLeaveWithTheTagTheProductOrTheOperation()
    {
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{Svc}/apis/scoring", new { properties = new { displayName = "scoring", path = "scoring", serviceUrl = "http://127.0.0.1:9/", protocols = new[] { "https" } } });
        await host.PutAsync($"{Svc}/apis/scoring/operations/score", new { properties = new { displayName = "Score", method = "POST", urlTemplate = "/score" } });
        await host.PutAsync($"{Svc}/apis/scoring/operations/health", new { properties = new { displayName = "Health", method = "GET", urlTemplate = "/health" } });
        await host.PutAsync($"{Svc}/products/gold", new { properties = new { displayName = "Gold", subscriptionRequired = true, state = "published" } });
        await host.PutAsync($"{Svc}/tags/ml", new { properties = new { displayName = "Machine learning" } });
        await host.PutAsync($"{Svc}/tags/beta", new { properties = new { displayName = "Beta" } });

        // APIM's Tag_AssignToProduct / Tag_AssignToOperation: 201 with the tag, then 200.
        foreach (var path in new[] { $"{Svc}/products/gold/tags/ml", $"{Svc}/apis/scoring/operations/score/tags/ml", $"{Svc}/apis/scoring/operations/score/tags/beta" })
        {
            using var created = await host.SendAsync(HttpMethod.Put, path);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var tag = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
            Assert.Equal("Microsoft.ApiManagement/service/tags", (string?)tag["type"]);
            using var again = await host.SendAsync(HttpMethod.Put, path);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        // An operation, product or tag that does not exist is a 404 naming what is missing.
        foreach (var (path, missing) in new[] { ($"{Svc}/apis/scoring/operations/nope/tags/ml", "Operation"), ($"{Svc}/products/nope/tags/ml", "Product"), ($"{Svc}/products/gold/tags/nope", "Tag") })
        {
            using var notFound = await host.SendAsync(HttpMethod.Put, path);
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
            Assert.Contains(missing, (string?)JsonNode.Parse(await notFound.Content.ReadAsStringAsync())!["error"]!["message"]);
        }

        Assert.Equal("ml", (string?)Assert.Single((await host.OkAsync(HttpMethod.Get, $"{Svc}/products/gold/tags"))["value"]!.AsArray())!["name"]);
        Assert.Equal(["beta", "ml"], (await host.OkAsync(HttpMethod.Get, $"{Svc}/apis/scoring/operations/score/tags"))["value"]!.AsArray().Select(t => (string?)t!["name"]).Order());
        Assert.Empty((await host.OkAsync(HttpMethod.Get, $"{Svc}/apis/scoring/operations/health/tags"))["value"]!.AsArray());
        using (var head = await host.SendAsync(HttpMethod.Head, $"{Svc}/apis/scoring/operations/score/tags/beta"))
        {
            Assert.Equal(HttpStatusCode.NoContent, head.StatusCode);
        }

        // A clone copies its operations' tags with them.
        await host.PutAsync($"{Svc}/apis/scoring-copy", new { properties = new { displayName = "scoring copy", path = "scoring-copy", sourceApiId = "/apis/scoring", protocols = new[] { "https" } } });
        Assert.Equal(["beta", "ml"], (await host.OkAsync(HttpMethod.Get, $"{Svc}/apis/scoring-copy/operations/score/tags"))["value"]!.AsArray().Select(t => (string?)t!["name"]).Order());

        // Deleting the tag takes it off the operation; deleting the operation or the product drops the rest.
        using (var deleted = await host.SendAsync(HttpMethod.Delete, $"{Svc}/tags/beta"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        Assert.Equal("ml", (string?)Assert.Single((await host.OkAsync(HttpMethod.Get, $"{Svc}/apis/scoring/operations/score/tags"))["value"]!.AsArray())!["name"]);
        await host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/scoring/operations/score");
        await host.PutAsync($"{Svc}/apis/scoring/operations/score", new { properties = new { displayName = "Score", method = "POST", urlTemplate = "/score" } });
        Assert.Empty((await host.OkAsync(HttpMethod.Get, $"{Svc}/apis/scoring/operations/score/tags"))["value"]!.AsArray());
        await host.SendAsync(HttpMethod.Delete, $"{Svc}/products/gold");
        await host.PutAsync($"{Svc}/products/gold", new { properties = new { displayName = "Gold", subscriptionRequired = true, state = "published" } });
        Assert.Empty((await host.OkAsync(HttpMethod.Get, $"{Svc}/products/gold/tags"))["value"]!.AsArray());
    }
}
