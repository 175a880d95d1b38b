using Tollgate.Core.Gateway;
using Tollgate.Core.Policies;
using Tollgate.Gateway.Policies.Runtime;

using static Tollgate.UnitTests.Gateway.PolicySnapshots;

namespace Tollgate.UnitTests.Gateway;

/// <summary>
/// A WebSocket API's handshake pipeline leaves out the policies APIM does not support there when the global or a
/// product scope brings them in, as APIM skips them at run time; an HTTP API's pipeline keeps them.
/// </summary>
public sealed class WebSocketHandshakePolicyTests
{
    private const string Service = "handshake";

    private const string Global = """
        <policies>
          <inbound>
            <set-header name="X-Global" exists-action="override"><value>global</value></set-header>
            <set-body>global</set-body>
            <choose><when condition="@(true)"><set-method>PUT</set-method><set-header name="X-Chosen" exists-action="override"><value>yes</value></set-header></when></choose>
          </inbound>
          <backend><forward-request /></backend>
          <outbound><cache-store duration="10" /></outbound>
          <on-error />
        </policies>
        """;

    private static GatewayApi Http(string id) => Api(id, Document(""));

    private static GatewayApi WebSocket(string id) => Http(id) with { Type = "websocket", ServiceUrl = "ws://127.0.0.1:1" };

    private static GatewaySnapshot Snapshot(long revision, params GatewayApi[] apis) =>
        PolicySnapshots.Snapshot(Service, revision, apis) with { Policy = Global };

    private static PolicyPipeline Pipeline(PolicyRuntime runtime, string api) =>
        runtime.Find($"{Service}/{api}/op")?.WithoutProduct ?? throw new InvalidOperationException($"No pipeline for {api}.");

    /// <summary>The names of a section's handlers, in order.</summary>
    private static string[] Names(PolicyHandler[] handlers) => handlers.Select(h => h.Location.Name).ToArray();

    [Fact]
    public void UnsupportedPolicies_AreSkippedOnlyWhenTheGlobalOrAProductScopeBringsThemIn()
    {
        Assert.Equal(15, WebSocketHandshake.UnsupportedPolicies.Count);
        Assert.True(WebSocketHandshake.IsSkipped("set-body", PolicyScopeLevel.Global));
        Assert.True(WebSocketHandshake.IsSkipped("mock-response", PolicyScopeLevel.Product));
        Assert.False(WebSocketHandshake.IsSkipped("set-body", PolicyScopeLevel.Api));
        Assert.False(WebSocketHandshake.IsSkipped("set-header", PolicyScopeLevel.Global));
    }

    [Fact]
    public void InheritedUnsupportedPolicies_AreLeftOutOfTheHandshake_AndKeptForHttpApis()
    {
        var cache = new PolicyCompileCache();
        var runtime = Build(cache, Snapshot(1, Http("plain"), WebSocket("live")));

        var http = Pipeline(runtime, "plain");
        Assert.Equal(["set-header", "set-body", "choose"], Names(http.Inbound));
        Assert.Equal(["cache-store"], Names(http.Outbound));

        var handshake = Pipeline(runtime, "live");
        Assert.Equal(["set-header", "choose"], Names(handshake.Inbound));
        Assert.Empty(handshake.Outbound);
    }

    [Fact]
    public void AnApiOfTheSameIdAndDocuments_ThatBecameAWebSocketApi_IsNotGivenTheHttpPipeline()
    {
        var cache = new PolicyCompileCache();
        var first = Build(cache, Snapshot(1, Http("same")));
        Assert.Contains("set-body", Names(Pipeline(first, "same").Inbound));

        // Deleted and created again as a WebSocket API: the pipeline is built again, without set-body.
        var second = Build(cache, Snapshot(2, WebSocket("same")));
        Assert.DoesNotContain("set-body", Names(Pipeline(second, "same").Inbound));
    }
}
