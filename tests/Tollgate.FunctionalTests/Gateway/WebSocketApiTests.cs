using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// APIM's WebSocket APIs (<c>type: websocket</c>, a ws:// or wss:// serviceUrl): management creates the API with its one
/// operation, onHandshake (GET /); the gateway checks the key and runs the inbound policies on the handshake, forwards
/// it to the backend and relays the frames both ways. The backend is a real WebSocket echo server; the client is .NET's
/// <see cref="ClientWebSocket"/>.
/// </summary>
public sealed class WebSocketApiTests() : GatewayServiceTests("wsapi"), IAsyncLifetime
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
}
