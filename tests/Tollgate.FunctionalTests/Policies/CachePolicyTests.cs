using System.Net;
using Tollgate.Management.Analytics;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>The cache policies through the real gateway (the in-process cache store, on the host's fake clock).</summary>
public sealed class CachePolicyTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private const string Lookup = """
        <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="public" must-revalidate="false">
          <vary-by-header>Accept-Language</vary-by-header>
          <vary-by-query-parameter>v</vary-by-query-parameter>
        </cache-lookup>
        """;

    private PolicyHost H => fixture.Host;

    [Fact]
    public async Task CacheLookupAndStore_SecondGetIsServedFromTheCache_UntilTheDurationEnds()
    {
        await H.SetApiPolicyAsync(inbound: Lookup, outbound: """<cache-store duration="60" />""");
        var path = "/echo/items/5?v=" + Guid.NewGuid().ToString("N");
        var before = H.Backend.Requests.Count;

        using (var miss = await H.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
            Assert.Equal(before + 1, H.Backend.Requests.Count);
        }

        using (var hit = await H.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
            Assert.Equal("""{"backend":"recording","path":"/items/5"}""", await hit.Content.ReadAsStringAsync());
            Assert.Equal("application/json", hit.Content.Headers.ContentType?.MediaType);
            Assert.Equal("public", hit.Headers.CacheControl?.ToString());
            Assert.Equal(before + 1, H.Backend.Requests.Count);
        }

        // Another value of a vary-by header or query parameter is another entry.
        using (var other = await H.GetAsync(path, r => r.Headers.Add("Accept-Language", "fr")))
        {
            Assert.Equal(before + 2, H.Backend.Requests.Count);
        }

        H.Time.Advance(TimeSpan.FromSeconds(61));
        using var expired = await H.GetAsync(path);
        Assert.Equal(before + 3, H.Backend.Requests.Count);
    }

    [Fact]
    public async Task CacheStore_KeepsOnly200Responses()
    {
        await H.SetApiPolicyAsync(inbound: Lookup, outbound: """<cache-store duration="60" />""");
        var path = "/echo/items/6?v=" + Guid.NewGuid().ToString("N");
        H.Backend.StatusCode = 500;
        try
        {
            using var failed = await H.GetAsync(path);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }
        finally
        {
            H.Backend.StatusCode = 200;
        }

        var before = H.Backend.Requests.Count;
        using var next = await H.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(before + 1, H.Backend.Requests.Count);
    }

    [Fact]
    public async Task CacheValues_StoreLookupDefaultAndRemove()
    {
        var key = Guid.NewGuid().ToString("N");
        await H.SetApiPolicyAsync(inbound: $$"""
            <choose>
              <when condition="@(context.Request.Headers.ContainsKey("X-Store"))">
                <cache-store-value key="{{key}}" value="@(int.Parse(context.Request.Headers.GetValueOrDefault("X-Store", "0")))" duration="30" caching-type="prefer-external" />
              </when>
              <when condition="@(context.Request.Headers.ContainsKey("X-Remove"))">
                <cache-remove-value key="{{key}}" />
              </when>
            </choose>
            <cache-lookup-value key="@("{{key}}")" default-value="none" variable-name="cached" />
            <set-header name="X-Cached"><value>@(context.Variables["cached"] is string ? (string)context.Variables["cached"] : context.Variables["cached"] is int ? "int:" + context.Variables["cached"] : context.Variables["cached"] is JToken ? "json:" + ((JToken)context.Variables["cached"]).Type : "other:" + context.Variables["cached"])</value></set-header>
            """,
            onError: """<set-header name="X-Error" exists-action="override"><value>@(context.LastError.Source + ": " + context.LastError.Message)</value></set-header>""");

        async Task<string?> CachedAsync(string? header = null, string value = "")
        {
            using var response = await H.GetAsync(configure: r =>
            {
                if (header is not null)
                {
                    r.Headers.Add(header, value);
                }
            });
            Assert.True(response.StatusCode == HttpStatusCode.OK, string.Join(",", response.Headers.TryGetValues("X-Error", out var error) ? error : []));
            return H.Backend.Last.Header("X-Cached");
        }

        Assert.Equal("none", await CachedAsync());
        Assert.Equal("int:41", await CachedAsync("X-Store", "41"));
        Assert.Equal("int:41", await CachedAsync());
        Assert.Equal("none", await CachedAsync("X-Remove", "1"));
        await CachedAsync("X-Store", "7");
        H.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal("none", await CachedAsync());
    }

    [Fact]
    public async Task RequestRecord_SaysHitOrMiss()
    {
        await using var host = await PolicyHost.StartAsync();
        await host.SetPolicyAsync("apis/echo/operations/get", PolicyHost.Document(inbound: Lookup, outbound: """<cache-store duration="60" />"""));
        using (var miss = await host.GetAsync())
        using (var hit = await host.GetAsync())
        using (var none = await host.GetAsync("/echo/other"))
        {
        }

        var writer = (AnalyticsWriter)host.Host.Server.Services!.GetService(typeof(AnalyticsWriter))!;
        // The writer stores what arrived every 250 ms of the host's (fake) clock.
        for (var i = 0; i < 200 && writer.Written < 3; i++)
        {
            host.Time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Yield();
            await writer.WaitForWrittenAsync(3, TimeSpan.FromMilliseconds(50)).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        Assert.Equal(3, writer.Written);
        var from = host.Time.GetUtcNow().AddHours(-1);
        var to = host.Time.GetUtcNow().AddHours(1);
        var report = await host.Host.OkAsync(HttpMethod.Get,
            $"{PolicyHost.Svc}/reports/byRequest?$filter=timestamp ge datetime'{from:yyyy-MM-ddTHH:mm:ss}' and timestamp le datetime'{to:yyyy-MM-ddTHH:mm:ss}'");
        var caches = report["value"]!.AsArray().Select(r => (string?)r!["cache"]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["hit", "miss", "none"], caches);
    }

    [Theory]
    [InlineData("""<cache-lookup vary-by-developer="false" />""", "", "Attribute 'vary-by-developer-groups' of 'cache-lookup' is required")]
    [InlineData("""<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" caching-type="disk" />""", "", "Attribute 'caching-type' of 'cache-lookup' must be one of 'internal', 'external', 'prefer-external'")]
    [InlineData("", """<cache-store duration="60" ttl="5" />""", "Attribute 'ttl' is not allowed on 'cache-store'")]
    [InlineData("""<cache-store duration="60" />""", "", "Policy 'cache-store' is not allowed in section 'inbound'")]
    [InlineData("""<cache-lookup-value key="k" />""", "", "Attribute 'variable-name' of 'cache-lookup-value' is required")]
    [InlineData("""<cache-store-value key="k" value="v" duration="soon" />""", "", "Attribute 'duration' of 'cache-store-value' must be a non-negative integer")]
    [InlineData("""<cache-remove-value key="k" scope="all" />""", "", "Attribute 'scope' is not allowed on 'cache-remove-value'")]
    public async Task BadCachePolicies_AreRefusedOnSave(string inbound, string outbound, string message)
    {
        var body = await H.RefusedAsync(inbound: inbound, outbound: outbound);

        Assert.Contains(message, body);
    }
}
