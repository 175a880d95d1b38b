using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Core.Gateway;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;

namespace Tollgate.UnitTests.Gateway;

/// <summary>
/// A state built over the previous one (the same APIs at the same places, a few changed) shares its index by path and
/// lays the changed paths over it: it must route exactly as a state built from scratch would.
/// </summary>
public sealed class GatewayStateIncrementalTests
{
    private static readonly GatewayOptions Options = new();

    private static GatewayApi Api(string id, string path, params string[] templates) => new()
    {
        Id = id,
        DisplayName = id,
        Path = path,
        Operations = templates.Select((t, i) => new GatewayOperation { Id = $"op{i}", DisplayName = $"op{i}", Method = "GET", UrlTemplate = t }).ToArray(),
    };

    private static GatewaySnapshot Snapshot(long revision, params GatewayApi[] apis) => new() { Revision = revision, ServiceName = "inc", Apis = apis };

    /// <summary>What a GET of the path matches: the route id, "no operation" when an API's path matched but none of its routes, or "no API".</summary>
    private static string Route(GatewayState state, string path)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        http.Request.Path = path;
        var route = state.Match(http.Request, new RouteValueDictionary(), out var apiMatched);
        return route?.RouteId ?? (apiMatched ? "no operation" : "no API");
    }

    [Fact]
    public void AnApiMovedToAnotherPath_IsServedThereOnly_AndTheOtherApisKeepTheirRoutes()
    {
        var a = Api("a", "alpha", "/x");
        var b = Api("b", "beta", "/x");
        var first = GatewayState.Build(Snapshot(1, a, b), Options);
        var moved = Api("b", "gamma", "/x");

        var second = GatewayState.Build(Snapshot(2, a, moved), Options, first);

        Assert.Same(first.ApiRoutes[0], second.ApiRoutes[0]);
        Assert.Equal("no API", Route(second, "/beta/x"));
        Assert.NotEqual("no API", Route(second, "/gamma/x"));
        Assert.Equal(Route(first, "/alpha/x"), Route(second, "/alpha/x"));
        Assert.Equal("no API", Route(first, "/gamma/x"));
        Assert.Equal(2, second.RouteCount);
    }

    [Fact]
    public void ApisSharingAPath_OneChanged_BothStillServeTheirOperations()
    {
        var v1 = Api("v1", "shared", "/one");
        var v2 = Api("v2", "shared", "/two");
        var first = GatewayState.Build(Snapshot(1, v1, v2), Options);
        var changed = Api("v2", "shared", "/three");

        var second = GatewayState.Build(Snapshot(2, v1, changed), Options, first);

        Assert.Equal(Route(first, "/shared/one"), Route(second, "/shared/one"));
        Assert.Equal("no operation", Route(second, "/shared/two"));
        Assert.NotEqual("no operation", Route(second, "/shared/three"));
    }

    [Fact]
    public void AnApiDeleted_ItsRoutesAreGone_AndTheOthersAreTheSameObjects()
    {
        var apis = Enumerable.Range(0, 10).Select(i => Api($"a{i}", $"p{i}", "/x")).ToArray();
        var first = GatewayState.Build(Snapshot(1, apis), Options);

        var second = GatewayState.Build(Snapshot(2, [.. apis.Where((_, i) => i != 4)]), Options, first);

        Assert.Equal("no API", Route(second, "/p4/x"));
        Assert.Equal(9, second.RouteCount);
        Assert.All(second.ApiRoutes, r => Assert.Contains(r, first.ApiRoutes));
    }

    [Fact]
    public void ManySnapshotsOfRandomChanges_RouteAsAStateBuiltFromScratch()
    {
        var random = new Random(1234);
        var apis = Enumerable.Range(0, 40).Select(i => Api($"a{i}", $"p{i % 25}", $"/op{i}")).ToArray();
        var state = GatewayState.Build(Snapshot(1, apis), Options);
        var paths = Enumerable.Range(0, 30).SelectMany(p => Enumerable.Range(0, 40).Select(o => $"/p{p}/op{o}")).ToArray();
        for (var revision = 2; revision < 300; revision++)
        {
            // One to three APIs change path or operation; now and then one is deleted or added (a full build).
            for (var n = random.Next(1, 4); n > 0; n--)
            {
                var i = random.Next(apis.Length);
                apis[i] = Api(apis[i].Id, $"p{random.Next(30)}", $"/op{random.Next(40)}");
            }

            if (revision % 50 == 0)
            {
                apis = random.Next(2) == 0 && apis.Length > 1
                    ? apis.Where((_, i) => i != random.Next(apis.Length)).ToArray()
                    : [.. apis, Api($"n{revision}", $"p{random.Next(30)}", "/op1")];
            }

            state = GatewayState.Build(Snapshot(revision, apis), Options, state);
            var scratch = GatewayState.Build(Snapshot(revision, apis), Options);

            Assert.Equal(scratch.RouteCount, state.RouteCount);
            foreach (var path in paths)
            {
                Assert.True(Route(scratch, path) == Route(state, path), $"revision {revision}: {path} routes to {Route(state, path)}, from scratch {Route(scratch, path)}");
            }
        }
    }
}
