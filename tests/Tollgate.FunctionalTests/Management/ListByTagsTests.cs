using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// APIM's lists by tag: <c>apisByTags</c>, <c>productsByTags</c> and <c>apis/{apiId}/operationsByTags</c>, each a
/// TagResourceCollection with one item per tag carried (<c>{tag, api|product|operation}</c>), <c>$filter</c> on the
/// fields APIM documents and on the tag, paging, and the untagged ones on request.
/// </summary>
public sealed class ListByTagsTests
{
    private const string Service = "bytags";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    [Fact]
    public async Task ApisByTags_ListsOneItemPerTagCarried_FiltersOnApiAndTag_PagesAndAddsTheUntaggedOnRequest()
    {
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        await host.CreateServiceAsync(Service);
        foreach (var (api, name) in new[] { ("scoring", "Scoring"), ("billing", "Billing"), ("health", "Health") })
        {
            await host.PutAsync($"{Svc}/apis/{api}", new { properties = new { displayName = name, path = api, serviceUrl = "http://user:secret@127.0.0.1:9/", protocols = new[] { "https" } } });
        }

        await host.PutAsync($"{Svc}/tags/ml", new { properties = new { displayName = "Machine learning" } });
        await host.PutAsync($"{Svc}/tags/finance", new { properties = new { displayName = "Finance" } });
        await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/scoring/tags/ml");
        await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/scoring/tags/finance");
        await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/billing/tags/finance");

        // One item per (tag, API), ordered by tag: scoring carries two tags and is listed under each; health carries none.
        var all = await host.OkAsync(HttpMethod.Get, $"{Svc}/apisByTags");
        Assert.Equal(3, (int)all["count"]!);
        Assert.Equal(["finance/Billing", "finance/Scoring", "ml/Scoring"], Pairs(all, "api"));
        var first = all["value"]![0]!;
        Assert.Equal($"{Svc}/tags/finance", (string?)first["tag"]!["id"]);
        Assert.Equal("Finance", (string?)first["tag"]!["name"]);
        Assert.Equal($"{Svc}/apis/billing", (string?)first["api"]!["id"]);
        Assert.Equal("billing", (string?)first["api"]!["path"]);
        Assert.True((bool)first["api"]!["isCurrent"]!);
        Assert.DoesNotContain("secret", (string?)first["api"]!["serviceUrl"]);

        // The untagged APIs on request, without a tag, after the tagged ones.
        var withUntagged = await host.OkAsync(HttpMethod.Get, $"{Svc}/apisByTags?includeNotTaggedApis=true");
        Assert.Equal(["finance/Billing", "finance/Scoring", "ml/Scoring", "-/Health"], Pairs(withUntagged, "api"));

        // $filter on the API (as APIM documents it, and as api/… the way APIM's portal asks) and on the tag.
        Assert.Equal(["finance/Billing"], Pairs(await host.OkAsync(HttpMethod.Get, $"{Svc}/apisByTags?$filter=name eq 'billing'"), "api"));
        Assert.Equal(["finance/Scoring", "ml/Scoring"], Pairs(await host.OkAsync(HttpMethod.Get, $"{Svc}/apisByTags?$filter=contains(api/name,'scor')"), "api"));
        Assert.Equal(["ml/Scoring"], Pairs(await host.OkAsync(HttpMethod.Get, $"{Svc}/apisByTags?$filter=tag/id eq 'ml'"), "api"));
        Assert.Equal(["finance/Billing", "finance/Scoring"],
            Pairs(await host.OkAsync(HttpMethod.Get, $"{Svc}/apisByTags?$filter=isCurrent eq true and (tag/name eq 'Finance')"), "api"));

        // $top and $skip page the items, with a nextLink that keeps the other parameters.
        var page = await host.OkAsync(HttpMethod.Get, $"{Svc}/apisByTags?includeNotTaggedApis=true&$top=2&$skip=1");
        Assert.Equal(["finance/Scoring", "ml/Scoring"], Pairs(page, "api"));
        Assert.Equal(4, (int)page["count"]!);
        Assert.Contains("includeNotTaggedApis=true", (string?)page["nextLink"]);
        Assert.Contains("$skip=3", Uri.UnescapeDataString((string?)page["nextLink"] ?? ""));

        // Bad input is an ARM 400 naming the parameter.
        foreach (var (query, target) in new[]
        {
            ("$filter=state eq 'published'", "$filter"),
            ("$filter=name eq", "$filter"),
            ("$filter=contains(name 'x')", "$filter"),
            ("includeNotTaggedApis=yes", "includeNotTaggedApis"),
            ("$top=0", "$top"),
        })
        {
            using var bad = await host.SendAsync(HttpMethod.Get, $"{Svc}/apisByTags?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal(target, (string?)JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        // Deleting a tag takes its items away.
        await host.SendAsync(HttpMethod.Delete, $"{Svc}/tags/finance");
        Assert.Equal(["ml/Scoring"], Pairs(await host.OkAsync(HttpMethod.Get, $"{Svc}/apisByTags"), "api"));
    }

    [Fact]
    public async Task ProductsAndOperationsByTags_ListTheirPairs_FilterOnTheirDocumentedFields_AndAnswer404ForAMissingApi()
    {
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{Svc}/apis/scoring", new { properties = new { displayName = "Scoring", path = "scoring", serviceUrl = "http://127.0.0.1:9/", protocols = new[] { "https" } } });
        await host.PutAsync($"{Svc}/apis/scoring/operations/score", new { properties = new { displayName = "Score", method = "POST", urlTemplate = "/score", description = "Scores a case." } });
        await host.PutAsync($"{Svc}/apis/scoring/operations/health", new { properties = new { displayName = "Health", method = "GET", urlTemplate = "/health" } });
        await host.PutAsync($"{Svc}/products/gold", new { properties = new { displayName = "Gold", subscriptionRequired = true, state = "published", terms = "Be nice." } });
        await host.PutAsync($"{Svc}/products/draft", new { properties = new { displayName = "Draft", subscriptionRequired = true, state = "notPublished" } });
        await host.PutAsync($"{Svc}/tags/ml", new { properties = new { displayName = "Machine learning" } });
        await host.PutAsync($"{Svc}/tags/beta", new { properties = new { displayName = "Beta" } });
        await host.SendAsync(HttpMethod.Put, $"{Svc}/products/gold/tags/ml");
        await host.SendAsync(HttpMethod.Put, $"{Svc}/products/draft/tags/beta");
        await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/scoring/operations/score/tags/ml");
        await host.SendAsync(HttpMethod.Put, $"{Svc}/apis/scoring/operations/score/tags/beta");

        var products = await host.OkAsync(HttpMethod.Get, $"{Svc}/productsByTags");
        Assert.Equal(["beta/Draft", "ml/Gold"], Pairs(products, "product"));
        var gold = products["value"]![1]!["product"]!;
        Assert.Equal($"{Svc}/products/gold", (string?)gold["id"]);
        Assert.Equal("published", (string?)gold["state"]);
        Assert.Equal("Be nice.", (string?)gold["terms"]);
        Assert.Equal(["ml/Gold"], Pairs(await host.OkAsync(HttpMethod.Get, $"{Svc}/productsByTags?$filter=state eq 'published'"), "product"));
        using (var bad = await host.SendAsync(HttpMethod.Get, $"{Svc}/productsByTags?$filter=path eq 'x'"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("$filter", (string?)JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        }

        var operations = await host.OkAsync(HttpMethod.Get, $"{Svc}/apis/scoring/operationsByTags?includeNotTaggedOperations=true");
        Assert.Equal(["beta/Score", "ml/Score", "-/Health"], Pairs(operations, "operation"));
        var score = operations["value"]![0]!["operation"]!;
        Assert.Equal($"{Svc}/apis/scoring/operations/score", (string?)score["id"]);
        Assert.Equal("Scoring", (string?)score["apiName"]);
        Assert.Equal("POST", (string?)score["method"]);
        Assert.Equal("/score", (string?)score["urlTemplate"]);
        Assert.Equal(["ml/Score"], Pairs(await host.OkAsync(HttpMethod.Get, $"{Svc}/apis/scoring/operationsByTags?$filter=method eq 'POST' and tag/id eq 'ml'"), "operation"));

        using var missing = await host.SendAsync(HttpMethod.Get, $"{Svc}/apis/nope/operationsByTags");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>The items as "{tag id}/{part name}", "-" for an item without a tag.</summary>
    private static List<string> Pairs(JsonNode list, string part) =>
        list["value"]!.AsArray().Select(i => $"{(i!["tag"] is { } tag ? ((string?)tag["id"])![((string?)tag["id"])!.LastIndexOf('/')..].TrimStart('/') : "-")}/{(string?)i[part]!["name"]}").ToList();
}
