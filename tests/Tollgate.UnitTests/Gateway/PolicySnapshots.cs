using Tollgate.Core.Gateway;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.UnitTests.Gateway;

/// <summary>Snapshots of APIs with one operation and a policy each, and a policy build of them, for the policy runtime's tests.</summary>
internal static class PolicySnapshots
{
    public static readonly GatewayOptions Options = new();

    public static readonly PolicyServices Services = new(
        new InMemoryRateLimitStore(TimeProvider.System), new InMemoryQuotaStore(TimeProvider.System),
        new MemoryCacheStore(TimeProvider.System, new MemoryCacheStoreOptions()), TimeProvider.System, Options);

    /// <summary>Builds the snapshot's policy runtime through <paramref name="cache"/>.</summary>
    public static PolicyRuntime Build(PolicyCompileCache cache, GatewaySnapshot snapshot) =>
        PolicyRuntime.Build(snapshot, GatewayState.Build(snapshot, Options), Services, cache);

    /// <summary>A document whose inbound sets <c>X-Text</c> with an expression returning <paramref name="text"/>.</summary>
    public static string Policy(string text) =>
        Document($$"""<set-header name="X-Text"><value>@("{{text}}")</value></set-header>""");

    public static string Document(string inbound) =>
        $"<policies><inbound><base />{inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";

    /// <summary>An API at path <paramref name="id"/> with the operation <c>op</c> (GET /items) and <paramref name="policy"/>.</summary>
    public static GatewayApi Api(string id, string policy) => new()
    {
        Id = id,
        DisplayName = id,
        Path = id,
        ServiceUrl = "http://127.0.0.1:1",
        Policy = policy,
        Operations = [new GatewayOperation { Id = "op", DisplayName = "op", Method = "GET", UrlTemplate = "/items" }],
    };

    public static GatewaySnapshot Snapshot(string service, long revision, params GatewayApi[] apis) =>
        new() { Revision = revision, ServiceName = service, Apis = apis };
}
