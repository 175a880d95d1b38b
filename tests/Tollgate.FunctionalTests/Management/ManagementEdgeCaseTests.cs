using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Management;

/// <summary>Edges found in review: canonical ids, duplicate JSON members, unroutable templates, open products, PATCH of an instance.</summary>
public sealed class ManagementEdgeCaseTests : IAsyncLifetime
{
    private const string Service = "edges";
    private static readonly string Svc = TollgateHost.ServicePath(Service);
    private TollgateHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TollgateHost.StartAsync();
        await _host.CreateServiceAsync(Service);
        await _host.PutAsync($"{Svc}/apis/d", new { properties = new { displayName = "d", path = "d", serviceUrl = "http://127.0.0.1:9", protocols = new[] { "http" } } });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ScopeWithTrailingSlash_IsStoredCanonical_AndCascades()
    {
        await _host.PutAsync($"{Svc}/users/ann", new { properties = new { email = "ann@example.com", firstName = "Ann", lastName = "A" } });
        var sub = await _host.PutAsync($"{Svc}/subscriptions/sd", new { properties = new { scope = "/APIS/D/", ownerId = "//users/ANN/", displayName = "sd", state = "active" } });

        Assert.Equal($"{Svc}/apis/d", (string?)sub["properties"]!["scope"]);
        Assert.Equal($"{Svc}/users/ann", (string?)sub["properties"]!["ownerId"]);
        using (await _host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/d"))
        {
        }

        using var gone = await _host.SendAsync(HttpMethod.Get, $"{Svc}/subscriptions/sd");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task DuplicateJsonMembers_Are400()
    {
        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/groups/g1", """{"properties":{"displayName":"x"},"properties":{"displayName":"y"}}""");

        Assert.Equal("InvalidRequestContent", (string?)(await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest))["code"]);
    }

    [Fact]
    public async Task UnroutableTemplate_And_BadApiPath_Are400()
    {
        using var template = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/d/operations/adj", new
        {
            properties = new { displayName = "adj", method = "GET", urlTemplate = "/adj/{p}{q}", templateParameters = new[] { new { name = "p", type = "string" }, new { name = "q", type = "string" } } },
        });
        Assert.Equal("urlTemplate", (string?)(await ArmAssert.ErrorAsync(template, HttpStatusCode.BadRequest))["details"]![0]!["target"]);

        foreach (var path in new[] { "caf%C3%A9", "a//b" })
        {
            using var api = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/bad", new { properties = new { displayName = "bad", path, serviceUrl = "http://a" } });
            Assert.Equal("path", (string?)(await ArmAssert.ErrorAsync(api, HttpStatusCode.BadRequest))["details"]![0]!["target"]);
        }
    }

    [Fact]
    public async Task ProductBecomingOpen_WithAnApiOfAnotherOpenProduct_Is400()
    {
        await _host.PutAsync($"{Svc}/products/open1", new { properties = new { displayName = "Open 1", subscriptionRequired = false } });
        await _host.PutAsync($"{Svc}/products/closed2", new { properties = new { displayName = "Closed 2" } });
        await _host.PutAsync($"{Svc}/products/open1/apis/d", new { });
        await _host.PutAsync($"{Svc}/products/closed2/apis/d", new { });

        using var response = await _host.SendAsync(HttpMethod.Patch, $"{Svc}/products/closed2", new { properties = new { subscriptionRequired = false } });

        Assert.Equal("subscriptionRequired", (string?)(await ArmAssert.ErrorAsync(response, HttpStatusCode.BadRequest))["details"]![0]!["target"]);
    }

    [Fact]
    public async Task PatchInstance_UpdatesOnlyTheGivenProperties()
    {
        var patched = await _host.OkAsync(HttpMethod.Patch, Svc, new { properties = new { publisherName = "New name" } });

        Assert.Equal("New name", (string?)patched["properties"]!["publisherName"]);
        Assert.Equal("admin@contoso.example", (string?)patched["properties"]!["publisherEmail"]);
    }

    [Fact]
    public async Task HugeSkip_GivesNoNextLink()
    {
        var page = await _host.OkAsync(HttpMethod.Get, $"{Svc}/users?$top=1&$skip=2147483647");

        Assert.Null(page["nextLink"]);
        Assert.Empty(page["value"]!.AsArray());
    }

    [Fact]
    public async Task UnknownPaths_And_MethodsNoRouteTakes_AnswerTheArmErrors()
    {
        using var unknown = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/d/nonsense/x");
        var notFound = await ArmAssert.ErrorAsync(unknown, HttpStatusCode.NotFound);
        Assert.Equal("ResourceNotFound", (string?)notFound["code"]);
        Assert.Equal("The resource path 'apis/d/nonsense/x' is not part of the management API.", (string?)notFound["message"]);

        // A route that exists, asked with a method it does not take: the ARM 405, not routing's empty one.
        foreach (var (method, path) in new[] { (HttpMethod.Post, "apis"), (HttpMethod.Delete, "tenant/access/listSecrets"), (HttpMethod.Patch, "policyFragments/f") })
        {
            using var response = await _host.SendAsync(method, $"{Svc}/{path}", new { });
            Assert.Equal("MethodNotAllowed", (string?)(await ArmAssert.ErrorAsync(response, HttpStatusCode.MethodNotAllowed))["code"]);
        }

        // The api-version check comes first, for paths no route takes as for the others.
        using var noVersion = await _host.Management.GetAsync($"{Svc}/nonsense");
        Assert.Equal("MissingApiVersionParameter", (string?)(await ArmAssert.ErrorAsync(noVersion, HttpStatusCode.BadRequest))["code"]);
    }
}
