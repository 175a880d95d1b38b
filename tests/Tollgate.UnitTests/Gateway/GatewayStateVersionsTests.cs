using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Core.Gateway;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;

namespace Tollgate.UnitTests.Gateway;

/// <summary>
/// Versions and revisions in the gateway's routing: the path each is served at (<see cref="GatewayApi.RoutePath"/>),
/// the Header and Query versions of one path told apart by the request, and states built over previous ones routing
/// as states built from scratch.
/// </summary>
public sealed class GatewayStateVersionsTests
{
    private static readonly GatewayOptions Options = new();

    private static GatewayApi Api(string id, string path, string? scheme = null, string? version = null, bool current = true, string revision = "1") => new()
    {
        Id = id,
        DisplayName = id,
        Path = path,
        ApiVersion = version,
        VersioningScheme = scheme,
        VersionHeaderName = scheme == "Header" ? "Api-Version" : null,
        VersionQueryName = scheme == "Query" ? "api-version" : null,
        IsCurrent = current,
        Revision = revision,
        Operations = [new GatewayOperation { Id = "get", DisplayName = "get", Method = "GET", UrlTemplate = "/x" }],
    };

    private static GatewaySnapshot Snapshot(long revision, params GatewayApi[] apis) => new() { Revision = revision, ServiceName = "ver", Apis = apis };

    private static string Route(GatewayState state, string pathAndQuery, string? version = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        http.Request.Path = question < 0 ? pathAndQuery : pathAndQuery[..question];
        http.Request.QueryString = question < 0 ? QueryString.Empty : new QueryString(pathAndQuery[question..]);
        if (version is not null)
        {
            http.Request.Headers["Api-Version"] = version;
        }

        var route = state.Match(http.Request, new RouteValueDictionary(), out var apiMatched);
        return route?.Entry.Api.Id ?? (apiMatched ? "no operation" : "no API");
    }

    [Theory]
    [InlineData("echo", null, null, true, "1", "echo")]
    [InlineData("echo", "Segment", "v2", true, "1", "echo/v2")]
    [InlineData("echo", "Segment", null, true, "1", "echo")]
    [InlineData("echo", "Header", "v2", true, "1", "echo")]
    [InlineData("echo", null, null, false, "3", "echo;rev=3")]
    [InlineData("echo", "Segment", "v2", false, "3", "echo/v2;rev=3")]
    [InlineData("", "Segment", "v2", true, "1", "v2")]
    public void RoutePath_IsThePath_ItsSegmentVersion_AndItsRevision(string path, string? scheme, string? version, bool current, string revision, string expected) =>
        Assert.Equal(expected, Api("a", path, scheme, version, current, revision).RoutePath);

    [Fact]
    public void ApiId_OfARevision_IsItsApis()
    {
        Assert.Equal("echo", Api("echo;rev=2", "echo", current: false).ApiId);
        Assert.Equal("echo", Api("echo", "echo").ApiId);
    }

    [Fact]
    public void HeaderAndQueryVersions_ArePickedByTheRequest_AndSegmentVersionsByThePath()
    {
        var state = GatewayState.Build(Snapshot(1,
            Api("h", "h", "Header"), Api("h-v1", "h", "Header", "v1"),
            Api("q-v1", "q", "Query", "v1"), Api("q-v2", "q", "Query", "v2"),
            Api("s", "s", "Segment"), Api("s-v1", "s", "Segment", "v1"),
            Api("s;rev=2", "s", "Segment", current: false, revision: "2")), Options);

        Assert.Equal("h", Route(state, "/h/x"));
        Assert.Equal("h-v1", Route(state, "/h/x", "V1"));
        Assert.Equal("no API", Route(state, "/h/x", "v9"));
        Assert.Equal("q-v2", Route(state, "/q/x?api-version=v2"));
        Assert.Equal("no API", Route(state, "/q/x"));
        Assert.Equal("s", Route(state, "/s/x"));
        Assert.Equal("s-v1", Route(state, "/s/v1/x"));
        Assert.Equal("s;rev=2", Route(state, "/s;rev=2/x"));
        Assert.Equal("no operation", Route(state, "/s/v9/x"));
    }

    [Fact]
    public void SnapshotsChangingVersionsAndRevisions_RouteAsStatesBuiltFromScratch()
    {
        var random = new Random(4321);
        string[] schemes = ["Segment", "Header", "Query"];
        GatewayApi Random(int i)
        {
            var scheme = random.Next(4) is var s && s < 3 ? schemes[s] : null;
            var version = scheme is not null && random.Next(3) > 0 ? $"v{random.Next(3)}" : null;
            var current = random.Next(3) > 0;
            return Api(current ? $"a{i}" : $"a{i};rev={i}", $"p{random.Next(6)}", scheme, version, current, current ? "1" : i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var apis = Enumerable.Range(0, 30).Select(Random).ToArray();
        var state = GatewayState.Build(Snapshot(1, apis), Options);
        var requests = Enumerable.Range(0, 6).SelectMany(p => new[]
        {
            ($"/p{p}/x", (string?)null), ($"/p{p}/x", "v1"), ($"/p{p}/x?api-version=v2", null), ($"/p{p}/v0/x", null), ($"/p{p}/v1/x", null),
            ($"/p{p};rev=3/x", null), ($"/p{p}/v2;rev=5/x", null),
        }).ToArray();
        for (var revision = 2; revision < 200; revision++)
        {
            var i = random.Next(apis.Length);
            apis[i] = Random(i);
            state = GatewayState.Build(Snapshot(revision, apis), Options, state);
            var scratch = GatewayState.Build(Snapshot(revision, apis), Options);
            foreach (var (path, version) in requests)
            {
                Assert.True(Route(scratch, path, version) == Route(state, path, version), $"revision {revision}: {path} ({version}) routes to {Route(state, path, version)}, from scratch {Route(scratch, path, version)}");
            }
        }
    }
}
