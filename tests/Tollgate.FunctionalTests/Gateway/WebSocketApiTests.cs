using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// APIM's WebSocket APIs (<c>type: websocket</c>, a ws:// or wss:// serviceUrl): management creates the API with its one
/// operation, onHandshake (GET /); the gateway checks the key and runs the inbound policies on the handshake, forwards
/// it to the backend and relays the frames both ways. The backend is a real WebSocket echo server (over TLS too, with a
/// self-signed certificate made in the test); the client is .NET's <see cref="ClientWebSocket"/>, over the gateway's
/// http and https listeners.
/// </summary>
public sealed class WebSocketApiTests() : GatewayServiceTests("wsapi", https: true), IAsyncLifetime
{
    private const string Policy = "<policies><inbound><base /><set-header name=\"X-Handshake\" exists-action=\"override\"><value>@(context.Operation.Id)</value></set-header></inbound>"
        + "<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";

    private WebSocketEchoBackend _echo = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _echo = await WebSocketEchoBackend.StartAsync();
        await InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _echo.DisposeAsync();
    }

    private Task<JsonObject> CreateApiAsync(string id, string path) =>
        Host.PutAsync($"{Svc}/apis/{id}", new
        {
            properties = new { displayName = id, type = "websocket", serviceUrl = _echo.Url + "/echo", path, protocols = new[] { "ws", "wss" } },
        });

    private Uri GatewaySocket(string path) => new($"ws://127.0.0.1:{Host.Gateway.BaseAddress!.Port}/{path}");

    private Uri GatewaySecureSocket(string path) => new($"wss://127.0.0.1:{Host.GatewayHttps!.BaseAddress!.Port}/{path}");

    /// <summary>A client of the gateway; over wss it accepts the gateway's self-signed certificate (as <see cref="TollgateHost.GatewayHttps"/> does).</summary>
    private static ClientWebSocket Client()
    {
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        socket.Options.CollectHttpResponseDetails = true;
        return socket;
    }

    /// <summary>Sends a text message and returns the one that comes back.</summary>
    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        var (type, data) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(data);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return (result.MessageType, message.ToArray());
    }

    [Fact]
    public async Task WebSocketApi_IsCreatedWithItsOnHandshakeOperation_InApimShape()
    {
        var api = await CreateApiAsync("chat", "chat");

        var properties = api["properties"]!;
        Assert.Equal("websocket", (string?)properties["type"]);
        Assert.Equal(_echo.Url + "/echo", (string?)properties["serviceUrl"]);
        Assert.Equal(["ws", "wss"], properties["protocols"]!.AsArray().Select(p => (string)p!).Order());

        var operations = await Host.OkAsync(HttpMethod.Get, $"{Svc}/apis/chat/operations");
        var only = Assert.Single(operations["value"]!.AsArray())!;
        Assert.Equal("onHandshake", (string?)only["name"]);
        Assert.Equal("GET", (string?)only["properties"]!["method"]);
        Assert.Equal("/", (string?)only["properties"]!["urlTemplate"]);
    }

    [Fact]
    public async Task Messages_EchoThroughTheGateway_AndTheHandshakeRanTheInboundPolicies()
    {
        await CreateApiAsync("echo", "echo");
        await Host.PutAsync($"{Svc}/apis/echo/policies/policy", new { properties = new { format = "rawxml", value = Policy } });

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(GatewaySocket("echo") + "?subscription-key=" + Key), CancellationToken.None);

        await socket.SendAsync(Encoding.UTF8.GetBytes("hello through the gateway"), WebSocketMessageType.Text, true, CancellationToken.None);
        var text = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, text.Type);
        Assert.Equal("hello through the gateway", Encoding.UTF8.GetString(text.Data));

        var binary = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        await socket.SendAsync(binary, WebSocketMessageType.Binary, true, CancellationToken.None);
        var echoed = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Binary, echoed.Type);
        Assert.Equal(binary, echoed.Data);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);

        // The handshake reached the serviceUrl's path without the key, with the header the inbound policy set.
        var handshake = Assert.Single(_echo.Handshakes);
        Assert.Equal("/echo", handshake.Path);
        Assert.DoesNotContain("subscription-key", handshake.QueryString, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("onHandshake", handshake.Header("X-Handshake"));
    }

    [Fact]
    public async Task KeyInTheHeader_IsAcceptedToo_AndNotForwarded()
    {
        await CreateApiAsync("header", "header");

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Ocp-Apim-Subscription-Key", Key);
        await socket.ConnectAsync(GatewaySocket("header"), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("ping"), WebSocketMessageType.Text, true, CancellationToken.None);
        Assert.Equal("ping", Encoding.UTF8.GetString((await ReceiveAsync(socket)).Data));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        Assert.Null(Assert.Single(_echo.Handshakes).Header("Ocp-Apim-Subscription-Key"));
    }

    [Fact]
    public async Task HandshakeWithoutKey_IsApims401_AndReachesNoBackend()
    {
        await CreateApiAsync("locked", "locked");

        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(GatewaySocket("locked"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);

        // The same handshake over plain HTTP/1.1 shows APIM's body.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/locked");
        request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        request.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        using var response = await Host.Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(401, (int)body["statusCode"]!);
        Assert.StartsWith("Access denied due to missing subscription key", (string?)body["message"]);

        Assert.Empty(_echo.Handshakes);
    }

    [Fact]
    public async Task WebSocketUrls_AreRefusedForOtherTypes_AndHttpUrlsForWebSocketApis_NamingServiceUrl()
    {
        using var http = await Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/plain", new { properties = new { displayName = "plain", path = "plain", serviceUrl = _echo.Url } });
        Assert.Contains("serviceUrl", ArmAssert.Targets(await ArmAssert.ErrorAsync(http, HttpStatusCode.BadRequest)));

        using var soap = await Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/soapy", new { properties = new { displayName = "soapy", path = "soapy", type = "soap", serviceUrl = "wss://127.0.0.1/x" } });
        Assert.Contains("serviceUrl", ArmAssert.Targets(await ArmAssert.ErrorAsync(soap, HttpStatusCode.BadRequest)));

        using var socket = await Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/sock", new { properties = new { displayName = "sock", path = "sock", type = "websocket", serviceUrl = Backend.Url } });
        Assert.Contains("serviceUrl", ArmAssert.Targets(await ArmAssert.ErrorAsync(socket, HttpStatusCode.BadRequest)));

        using var missing = await Host.SendAsync(HttpMethod.Get, $"{Svc}/apis/plain");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task OnHandshake_IsTheOnlyOperation_AndCannotBeChangedOrRemoved_ButTakesPolicies()
    {
        await CreateApiAsync("fixed", "fixed");

        using var added = await Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/fixed/operations/send", new { properties = new { displayName = "send", method = "POST", urlTemplate = "/send" } });
        Assert.Contains("operationId", ArmAssert.Targets(await ArmAssert.ErrorAsync(added, HttpStatusCode.BadRequest)));

        using var changed = await Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/fixed/operations/onHandshake", new { properties = new { displayName = "renamed", method = "GET", urlTemplate = "/" } });
        Assert.Contains("operationId", ArmAssert.Targets(await ArmAssert.ErrorAsync(changed, HttpStatusCode.BadRequest)));

        using var removed = await Host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/fixed/operations/onHandshake");
        Assert.Contains("operationId", ArmAssert.Targets(await ArmAssert.ErrorAsync(removed, HttpStatusCode.BadRequest)));

        using var retyped = await Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/fixed", new { properties = new { displayName = "fixed", path = "fixed", serviceUrl = Backend.Url } });
        Assert.Contains("type", ArmAssert.Targets(await ArmAssert.ErrorAsync(retyped, HttpStatusCode.BadRequest)));

        // A policy APIM does not support on onHandshake is refused, naming the document.
        using var setBody = await Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/fixed/operations/onHandshake/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><set-body>x</set-body></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });
        var refused = await ArmAssert.ErrorAsync(setBody, HttpStatusCode.BadRequest);
        Assert.Contains("value", ArmAssert.Targets(refused));
        Assert.Contains("<set-body>", (string)refused["details"]![0]!["message"]!, StringComparison.Ordinal);
        Assert.Contains("policies/inbound/set-body", (string)refused["details"]![0]!["message"]!, StringComparison.Ordinal);

        // Only policies count: the name of one in a comment or a string is not a policy.
        await Host.PutAsync($"{Svc}/apis/fixed/operations/onHandshake/policies/policy", new
        {
            properties = new
            {
                format = "rawxml",
                value = "<policies><inbound><base /><!-- no <cors> here --><set-header name=\"X-Note\" exists-action=\"override\"><value>@(\"<set-body>\")</value></set-header></inbound>"
                    + "<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>",
            },
        });

        await Host.PutAsync($"{Svc}/apis/fixed/operations/onHandshake/policies/policy", new { properties = new { format = "rawxml", value = Policy } });
        var operation = await Host.OkAsync(HttpMethod.Get, $"{Svc}/apis/fixed/operations/onHandshake");
        Assert.Equal("onHandshake", (string?)operation["properties"]!["displayName"]);
    }

    /// <summary>
    /// A global policy holding policies APIM does not support on a handshake (top level, nested in a choose, and in a
    /// fragment it includes), and ones it does: set-method, set-body and cors would make the handshake a PUT with a body, which no WebSocket
    /// backend accepts.
    /// </summary>
    private const string GlobalPolicy = """
        <policies>
          <inbound>
            <cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods><method>GET</method><method>POST</method><method>PUT</method></allowed-methods></cors>
            <set-header name="X-Global" exists-action="override"><value>global</value></set-header>
            <choose>
              <when condition="@(true)">
                <set-method>PUT</set-method>
                <set-header name="X-Chosen" exists-action="override"><value>yes</value></set-header>
              </when>
            </choose>
            <include-fragment fragment-id="rewrite" />
          </inbound>
          <backend><forward-request /></backend>
          <outbound />
          <on-error />
        </policies>
        """;

    [Fact]
    public async Task GlobalPoliciesApimDoesNotSupportOnTheHandshake_AreSkippedThere_AndStillRunForHttpApis()
    {
        await CreateApiAsync("live", "live");
        await Host.PutAsync($"{Svc}/apis/plain", new { properties = new { displayName = "plain", path = "plain", serviceUrl = Backend.Url, protocols = new[] { "http" } } });
        await Host.PutAsync($"{Svc}/apis/plain/operations/send", new { properties = new { displayName = "send", method = "POST", urlTemplate = "/send" } });
        await Host.PutAsync($"{Svc}/policyFragments/rewrite", new
        {
            properties = new { format = "rawxml", value = "<fragment><set-header name=\"X-Fragment\" exists-action=\"override\"><value>rewrite</value></set-header><set-body>from the global policy</set-body></fragment>" },
        });
        await Host.PutAsync($"{Svc}/policies/policy", new { properties = new { format = "rawxml", value = GlobalPolicy } });

        // The WebSocket handshake is a GET without a body: the backend accepts it and echoes.
        using (var socket = Client())
        {
            socket.Options.SetRequestHeader("Origin", "https://app.example");
            await socket.ConnectAsync(new Uri(GatewaySocket("live") + "?subscription-key=" + Key), CancellationToken.None);
            Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
            Assert.Equal("through the global policy", await EchoAsync(socket, "through the global policy"));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        // The policies APIM supports there still ran, the nested one in the choose too.
        var handshake = Assert.Single(_echo.Handshakes);
        Assert.Equal("GET", handshake.Method);
        Assert.Equal("global", handshake.Header("X-Global"));
        Assert.Equal("yes", handshake.Header("X-Chosen"));
        Assert.Equal("rewrite", handshake.Header("X-Fragment"));

        // An HTTP API gets all of them.
        using var request = TollgateHost.GatewayRequest(HttpMethod.Post, "/plain/send", Key, "{\"from\":\"client\"}");
        using var response = await Host.Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(Backend.Requests);
        Assert.Equal("PUT", forwarded.Method);
        Assert.Equal("from the global policy", forwarded.Body);
        Assert.Equal("global", forwarded.Header("X-Global"));
        Assert.Equal("rewrite", forwarded.Header("X-Fragment"));
    }

    [Fact]
    public async Task ProductPoliciesApimDoesNotSupportOnTheHandshake_AreSkippedThere_AndStillRunForHttpApis()
    {
        await CreateApiAsync("feed", "feed");
        await Host.PutAsync($"{Svc}/apis/quotes", new { properties = new { displayName = "quotes", path = "quotes", serviceUrl = Backend.Url, protocols = new[] { "http" } } });
        await Host.PutAsync($"{Svc}/apis/quotes/operations/latest", new { properties = new { displayName = "latest", method = "GET", urlTemplate = "/latest" } });
        await Host.PutAsync($"{Svc}/products/live", new { properties = new { displayName = "Live", subscriptionRequired = true, state = "published" } });
        await Host.PutAsync($"{Svc}/products/live/apis/feed", new { });
        await Host.PutAsync($"{Svc}/products/live/apis/quotes", new { });
        await Host.PutAsync($"{Svc}/products/live/policies/policy", new
        {
            properties = new
            {
                format = "rawxml",
                value = "<policies><inbound><base /><set-header name=\"X-Product\" exists-action=\"override\"><value>live</value></set-header>"
                    + "<mock-response status-code=\"202\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>",
            },
        });
        var key = await Host.CreateSubscriptionAsync(Service, "live-sub", "/products/live");

        // mock-response would answer the handshake 202 itself: skipped, the backend answers it.
        using (var socket = Client())
        {
            await socket.ConnectAsync(new Uri(GatewaySocket("feed") + "?subscription-key=" + key), CancellationToken.None);
            Assert.Equal("tick", await EchoAsync(socket, "tick"));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        Assert.Equal("live", Assert.Single(_echo.Handshakes).Header("X-Product"));

        // The HTTP API of the same product is mocked.
        using var request = TollgateHost.GatewayRequest(HttpMethod.Get, "/quotes/latest", key);
        using var response = await Host.Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(Backend.Requests);
    }

    [Fact]
    public async Task ForwardRequestTimeout_BoundsTheHandshake_NotTheRelayedConnection()
    {
        // A gateway on a clock the test moves: the forward-request timer runs on it (YARP's idle timeout does not).
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        await using var host = await TollgateHost.StartAsync(time: time);
        await host.CreateServiceAsync(Service);
        var key = await host.CreateSubscriptionAsync(Service, "all", "/apis");
        await host.PutAsync($"{Svc}/apis/slow", new
        {
            properties = new { displayName = "slow", type = "websocket", serviceUrl = _echo.Url + "/echo", path = "slow", protocols = new[] { "ws" } },
        });

        // APIM's default global document, with a 5-second timeout: the wait for the backend's response headers.
        await host.PutAsync($"{Svc}/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound /><backend><forward-request timeout=\"5\" /></backend><outbound /><on-error /></policies>" },
        });

        using var socket = Client();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Gateway.BaseAddress!.Port}/slow?subscription-key={key}"), CancellationToken.None);
        Assert.Equal("before", await EchoAsync(socket, "before"));

        // Well past the timeout, the connection the backend accepted is still relayed.
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("after", await EchoAsync(socket, "after"));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task IdleRelayedConnection_IsClosedAfterTheBackendTimeout()
    {
        // APIM documents no idle timeout for WebSocket connections; Tollgate closes a relayed connection on which no
        // frame went either way for Tollgate:Gateway:BackendTimeout. That timer is YARP's and runs on the real clock, so
        // this test waits for it: a 2-second timeout, and at most 30 seconds for the close before the test fails
        // (nothing is sent after the handshake, so no activity can race the timer).
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Gateway:BackendTimeout"] = "00:00:02" });
        await host.CreateServiceAsync(Service);
        var key = await host.CreateSubscriptionAsync(Service, "all", "/apis");
        await host.PutAsync($"{Svc}/apis/quiet", new
        {
            properties = new { displayName = "quiet", type = "websocket", serviceUrl = _echo.Url + "/echo", path = "quiet", protocols = new[] { "ws" } },
        });

        using var socket = Client();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Gateway.BaseAddress!.Port}/quiet?subscription-key={key}"), CancellationToken.None);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ReceiveAsync(new byte[16], bound.Token));
        Assert.False(bound.IsCancellationRequested);
        Assert.Equal(WebSocketState.Aborted, socket.State);
    }

    [Fact]
    public async Task WssBackend_IsReachedOverWssAndWs_WithItsCertificateCheckedAsHttpsBackendsAre()
    {
        using var certificate = TestCertificates.Server("localhost");
        await using var tls = await WebSocketEchoBackend.StartAsync(certificate);
        await Host.PutAsync($"{Svc}/apis/secure", new
        {
            properties = new { displayName = "secure", type = "websocket", serviceUrl = tls.Url + "/echo", path = "secure", protocols = new[] { "ws", "wss" } },
        });
        Assert.StartsWith("wss://", tls.Url, StringComparison.Ordinal);

        // The backend's certificate is self-signed: checked as an https backend's is, the handshake is not sent (502).
        using (var untrusted = Client())
        {
            await Assert.ThrowsAsync<WebSocketException>(() => untrusted.ConnectAsync(new Uri(GatewaySecureSocket("secure") + "?subscription-key=" + Key), CancellationToken.None));
            Assert.Equal(HttpStatusCode.BadGateway, untrusted.HttpStatusCode);
        }

        Assert.Empty(tls.Handshakes);

        // A backend entity that does not check its chain (its name, CN=localhost with 127.0.0.1 among its names, is
        // still checked), chosen on the handshake: as for https backends.
        await Host.PutAsync($"{Svc}/backends/secure-echo", new { properties = new { url = tls.HttpUrl + "/echo", tls = new { validateCertificateChain = false } } });
        await Host.PutAsync($"{Svc}/apis/secure/operations/onHandshake/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><set-backend-service backend-id=\"secure-echo\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });

        foreach (var uri in (Uri[])[GatewaySecureSocket("secure"), GatewaySocket("secure")])
        {
            using var socket = Client();
            await socket.ConnectAsync(new Uri(uri + "?subscription-key=" + Key), CancellationToken.None);
            Assert.Equal($"over {uri.Scheme}", await EchoAsync(socket, $"over {uri.Scheme}"));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        }

        Assert.Equal(2, tls.Handshakes.Count);
        Assert.All(tls.Handshakes, h => Assert.Equal("/echo", h.Path));

        // Protocols decide which listener serves the API: wss only, and ws is not found.
        await Host.OkAsync(HttpMethod.Patch, $"{Svc}/apis/secure", new { properties = new { protocols = new[] { "wss" } } });
        using (var plain = Client())
        {
            await Assert.ThrowsAsync<WebSocketException>(() => plain.ConnectAsync(new Uri(GatewaySocket("secure") + "?subscription-key=" + Key), CancellationToken.None));
            Assert.Equal(HttpStatusCode.NotFound, plain.HttpStatusCode);
        }

        using (var secure = Client())
        {
            await secure.ConnectAsync(new Uri(GatewaySecureSocket("secure") + "?subscription-key=" + Key), CancellationToken.None);
            Assert.Equal("still", await EchoAsync(secure, "still"));
            await secure.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
    }
}
