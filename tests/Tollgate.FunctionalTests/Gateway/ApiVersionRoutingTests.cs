using System.Net;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// The gateway serves APIM's versions and revisions: a Segment version at <c>/{path}/{version}/…</c>, a Header or
/// Query version by the set's header or query parameter, the set's original when the call names no version, a
/// non-current revision at <c>/{path};rev={n}/…</c>; a release moves the API's path to another revision; a clone
/// serves its copied operations and policy.
/// </summary>
public sealed class ApiVersionRoutingTests : IAsyncLifetime
{
    private const string Service = "gwversions";
    private const string Policy = "<policies><inbound><base /><set-header name=\"X-Policy\" exists-action=\"override\"><value>{0}</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";
    private static readonly string Svc = TollgateHost.ServicePath(Service);
    private TollgateHost _host = null!;
    private RecordingBackend _backend = null!;
    private string _key = "";

    public async Task InitializeAsync()
    {
        _backend = await RecordingBackend.StartAsync();
        _host = await TollgateHost.StartAsync();
        await _host.CreateServiceAsync(Service);
        _key = await _host.CreateSubscriptionAsync(Service, "all", "/apis");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private Task ApiAsync(string id, string path, string backendPath, string? set = null, string? version = null) =>
        _host.PutAsync($"{Svc}/apis/{id}", new
        {
            properties = new
            {
                displayName = id, path, serviceUrl = $"{_backend.Url}/{backendPath}", protocols = new[] { "http" },
                apiVersionSetId = set is null ? null : $"/apiVersionSets/{set}", apiVersion = version,
            },
        });

    private Task OperationAsync(string api, string id = "get", string template = "/items/{id}") =>
        _host.PutAsync($"{Svc}/apis/{api}/operations/{id}", new
        {
            properties = new { displayName = id, method = "GET", urlTemplate = template, templateParameters = template.Contains('{') ? new[] { new { name = "id", type = "string", required = true } } : [] },
        });

    /// <summary>Calls the gateway; returns the status and the path the backend saw (null when the call did not reach it).</summary>
    private async Task<(HttpStatusCode Status, string? BackendPath)> CallAsync(string path, string? header = null, string? value = null, string? key = null)
    {
        var before = _backend.Requests.Count;
        using var request = TollgateHost.GatewayRequest(HttpMethod.Get, path, key ?? _key);
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        using var response = await _host.Gateway.SendAsync(request);
        return (response.StatusCode, _backend.Requests.Count > before ? _backend.Last.Path : null);
    }

    [Fact]
    public async Task SegmentVersions_AreServedUnderTheirSegment_TheOriginalAtThePath_AndAnUnknownVersionIsNotFound()
    {
        await _host.PutAsync($"{Svc}/apiVersionSets/seg", new { properties = new { displayName = "Seg", versioningScheme = "Segment" } });
        await ApiAsync("seg", "seg", "original", "seg");
        await ApiAsync("seg-v1", "seg", "one", "seg", "v1");
        await ApiAsync("seg-v2", "seg", "two", "seg", "v2");
        foreach (var api in new[] { "seg", "seg-v1", "seg-v2" })
        {
            await OperationAsync(api);
        }

        Assert.Equal((HttpStatusCode.OK, "/original/items/1"), await CallAsync("/seg/items/1"));
        Assert.Equal((HttpStatusCode.OK, "/one/items/1"), await CallAsync("/seg/v1/items/1"));
        Assert.Equal((HttpStatusCode.OK, "/two/items/1"), await CallAsync("/seg/V2/items/1"));
        Assert.Equal((HttpStatusCode.NotFound, null), await CallAsync("/seg/v3/items/1"));

        // Without an original, a path naming no known version is no API at all: APIM's 404.
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/seg");
        using var response = await _host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/seg/v3/items/1", _key));
        await TutorialPart2Tests.AssertErrorAsync(response, 404, "Resource not found");
        Assert.Equal((HttpStatusCode.OK, "/one/items/1"), await CallAsync("/seg/v1/items/1"));

        // A version is a path segment of its own: rewrite-uri rewrites below it.
        await _host.PutAsync($"{Svc}/apis/seg-v1/operations/get/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><rewrite-uri template=\"/rewritten/{id}\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });
        Assert.Equal((HttpStatusCode.OK, "/one/rewritten/5"), await CallAsync("/seg/v1/items/5"));
    }

    [Theory]
    [InlineData("Header")]
    [InlineData("Query")]
    public async Task HeaderAndQueryVersions_ArePickedByTheSetsName_TheOriginalWithoutOne_AndAnUnknownVersionIsNotFound(string scheme)
    {
        var set = scheme.ToLowerInvariant();
        await _host.PutAsync($"{Svc}/apiVersionSets/{set}", new { properties = new { displayName = scheme, versioningScheme = scheme, versionHeaderName = "Api-Version", versionQueryName = "api-version" } });
        await ApiAsync(set, set, "original", set);
        await ApiAsync($"{set}-v1", set, "one", set, "2024-01-01");
        await ApiAsync($"{set}-v2", set, "two", set, "2025-01-01");
        foreach (var api in new[] { set, $"{set}-v1", $"{set}-v2" })
        {
            await OperationAsync(api);
        }

        Task<(HttpStatusCode, string?)> Version(string? version) => scheme == "Header"
            ? CallAsync($"/{set}/items/1", version is null ? null : "Api-Version", version)
            : CallAsync($"/{set}/items/1" + (version is null ? "" : $"?api-version={version}"));

        Assert.Equal((HttpStatusCode.OK, "/original/items/1"), await Version(null));
        Assert.Equal((HttpStatusCode.OK, "/one/items/1"), await Version("2024-01-01"));
        Assert.Equal((HttpStatusCode.OK, "/two/items/1"), await Version("2025-01-01"));
        Assert.Equal((HttpStatusCode.NotFound, null), await Version("2023-01-01"));
        using var unknown = await _host.Gateway.SendAsync(scheme == "Header"
            ? WithHeader(TollgateHost.GatewayRequest(HttpMethod.Get, $"/{set}/items/1", _key), "Api-Version", "1999-01-01")
            : TollgateHost.GatewayRequest(HttpMethod.Get, $"/{set}/items/1?api-version=1999-01-01", _key));
        await TutorialPart2Tests.AssertErrorAsync(unknown, 404, "Resource not found");

        // The set's scheme changes: its versions follow at once.
        await _host.OkAsync(HttpMethod.Patch, $"{Svc}/apiVersionSets/{set}", new { properties = new { versioningScheme = "Segment" } });
        Assert.Equal((HttpStatusCode.OK, "/two/items/1"), await CallAsync($"/{set}/2025-01-01/items/1"));
    }

    private static HttpRequestMessage WithHeader(HttpRequestMessage request, string name, string value)
    {
        request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    [Fact]
    public async Task Revision_IsServedWithRevInThePath_ToItsSubscribers_AndAReleaseMakesItTheApisOwn()
    {
        await ApiAsync("rev", "rev", "one");
        await OperationAsync("rev");
        await _host.PutAsync($"{Svc}/apis/rev/policies/policy", new { properties = new { format = "rawxml", value = string.Format(Policy, "one") } });
        await _host.PutAsync($"{Svc}/apis/rev;rev=2", new { properties = new { sourceApiId = $"{Svc}/apis/rev;rev=1", serviceUrl = $"{_backend.Url}/two" } });
        await _host.PutAsync($"{Svc}/apis/rev;rev=2/policies/policy", new { properties = new { format = "rawxml", value = string.Format(Policy, "two") } });
        await OperationAsync("rev;rev=2", "new", "/new");

        Assert.Equal((HttpStatusCode.OK, "/one/items/1"), await CallAsync("/rev/items/1"));
        Assert.Equal("one", _backend.Last.Header("X-Policy"));
        Assert.Equal((HttpStatusCode.OK, "/two/items/1"), await CallAsync("/rev;rev=2/items/1"));
        Assert.Equal("two", _backend.Last.Header("X-Policy"));
        Assert.Equal((HttpStatusCode.OK, "/two/new"), await CallAsync("/rev;rev=2/new"));
        Assert.Equal((HttpStatusCode.NotFound, null), await CallAsync("/rev/new"));
        Assert.Equal((HttpStatusCode.NotFound, null), await CallAsync("/rev;rev=3/items/1"));

        // A subscription to the API, or to a product holding it, covers its revisions; another API's does not.
        var apiKey = await _host.CreateSubscriptionAsync(Service, "rev-only", "/apis/rev");
        Assert.Equal(HttpStatusCode.OK, (await CallAsync("/rev;rev=2/items/1", key: apiKey)).Status);
        await _host.PutAsync($"{Svc}/products/revs", new { properties = new { displayName = "Revs", subscriptionRequired = true, state = "published" } });
        await _host.OkAsync(HttpMethod.Put, $"{Svc}/products/revs/apis/rev");
        var productKey = await _host.CreateSubscriptionAsync(Service, "revs", "/products/revs");
        Assert.Equal(HttpStatusCode.OK, (await CallAsync("/rev;rev=2/items/1", key: productKey)).Status);
        await ApiAsync("other", "other", "other");
        var otherKey = await _host.CreateSubscriptionAsync(Service, "other-only", "/apis/other");
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync("/rev;rev=2/items/1", key: otherKey)).Status);

        // Released, revision 2 answers at the API's path and revision 1 at /rev;rev=1.
        await _host.PutAsync($"{Svc}/apis/rev/releases/go-live", new { properties = new { apiId = "/apis/rev;rev=2", notes = "two" } });
        Assert.Equal((HttpStatusCode.OK, "/two/new"), await CallAsync("/rev/new"));
        Assert.Equal("two", _backend.Last.Header("X-Policy"));
        Assert.Equal((HttpStatusCode.OK, "/one/items/1"), await CallAsync("/rev;rev=1/items/1"));
        Assert.Equal("one", _backend.Last.Header("X-Policy"));
        Assert.Equal((HttpStatusCode.NotFound, null), await CallAsync("/rev;rev=1/new"));
        Assert.Equal(HttpStatusCode.OK, (await CallAsync("/rev;rev=1/items/1", key: productKey)).Status);
    }

    [Fact]
    public async Task IsCurrentTrue_OnARevision_ServesItAtTheApisPath_AndThePreviousOneWithRevInThePath()
    {
        await ApiAsync("live", "live", "one");
        await OperationAsync("live");
        await _host.PutAsync($"{Svc}/apis/live/policies/policy", new { properties = new { format = "rawxml", value = string.Format(Policy, "one") } });
        await _host.PutAsync($"{Svc}/apis/live;rev=2", new { properties = new { sourceApiId = "/apis/live", serviceUrl = $"{_backend.Url}/two" } });
        await _host.PutAsync($"{Svc}/apis/live;rev=2/policies/policy", new { properties = new { format = "rawxml", value = string.Format(Policy, "two") } });
        await OperationAsync("live;rev=2", "new", "/new");
        Assert.Equal((HttpStatusCode.NotFound, null), await CallAsync("/live/new"));

        await _host.OkAsync(HttpMethod.Patch, $"{Svc}/apis/live;rev=2", new { properties = new { isCurrent = true } });

        Assert.Equal((HttpStatusCode.OK, "/two/new"), await CallAsync("/live/new"));
        Assert.Equal("two", _backend.Last.Header("X-Policy"));
        Assert.Equal((HttpStatusCode.OK, "/two/items/1"), await CallAsync("/live/items/1"));
        Assert.Equal((HttpStatusCode.OK, "/one/items/1"), await CallAsync("/live;rev=1/items/1"));
        Assert.Equal("one", _backend.Last.Header("X-Policy"));
        Assert.Equal((HttpStatusCode.NotFound, null), await CallAsync("/live;rev=1/new"));

        // A refused isCurrent false leaves the gateway as it was.
        using (var refused = await _host.SendAsync(HttpMethod.Patch, $"{Svc}/apis/live", new { properties = new { isCurrent = false } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        Assert.Equal((HttpStatusCode.OK, "/two/new"), await CallAsync("/live/new"));
    }

    [Fact]
    public async Task RevisionOfASegmentVersion_IsServedAfterItsVersion()
    {
        await _host.PutAsync($"{Svc}/apiVersionSets/both", new { properties = new { displayName = "Both", versioningScheme = "Segment" } });
        await ApiAsync("both-v1", "both", "one", "both", "v1");
        await OperationAsync("both-v1");
        await _host.PutAsync($"{Svc}/apis/both-v1;rev=2", new { properties = new { sourceApiId = "/apis/both-v1", serviceUrl = $"{_backend.Url}/one-rev2" } });

        Assert.Equal((HttpStatusCode.OK, "/one/items/1"), await CallAsync("/both/v1/items/1"));
        Assert.Equal((HttpStatusCode.OK, "/one-rev2/items/1"), await CallAsync("/both/v1;rev=2/items/1"));
        var revisions = await _host.OkAsync(HttpMethod.Get, $"{Svc}/apis/both-v1/revisions?$filter=isCurrent eq false");
        Assert.Equal("/both/v1;rev=2", (string?)Assert.Single(revisions["value"]!.AsArray())!["privateUrl"]);
    }

    [Fact]
    public async Task Clone_ServesTheCopiedOperationsAndPolicies()
    {
        await ApiAsync("source", "source", "source");
        await OperationAsync("source");
        await _host.PutAsync($"{Svc}/apis/source/policies/policy", new { properties = new { format = "rawxml", value = string.Format(Policy, "api") } });
        await _host.PutAsync($"{Svc}/apis/source/operations/get/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><set-header name=\"X-Operation\" exists-action=\"override\"><value>get</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });

        await _host.PutAsync($"{Svc}/apis/copy", new
        {
            properties = new { displayName = "Copy", path = "copy", serviceUrl = $"{_backend.Url}/copy", protocols = new[] { "http" }, sourceApiId = $"{Svc}/apis/source" },
        });

        Assert.Equal((HttpStatusCode.OK, "/copy/items/7"), await CallAsync("/copy/items/7"));
        Assert.Equal("api", _backend.Last.Header("X-Policy"));
        Assert.Equal("get", _backend.Last.Header("X-Operation"));
    }
}
