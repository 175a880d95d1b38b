using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tollgate.Tests.Common;

/// <summary>
/// A real Kestrel WebSocket backend on a free loopback port: it accepts a WebSocket handshake on any path, records the
/// handshake request, and sends every message back as it came (text or binary) until the client closes. Anything that
/// is not a handshake is answered 400.
/// </summary>
public sealed class WebSocketEchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebSocketEchoBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The backend as a WebSocket API's serviceUrl names it.</summary>
    public string Url => $"ws://127.0.0.1:{Port}";

    /// <summary>The handshakes received, in order.</summary>
    public ConcurrentQueue<RecordedRequest> Handshakes { get; } = new();

    public static async Task<WebSocketEchoBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.UseWebSockets();
        WebSocketEchoBackend? backend = null;
        app.Run(context => backend!.HandleAsync(context));
        await app.StartAsync();
        backend = new WebSocketEchoBackend(app, new Uri(app.Urls.First()).Port);
        return backend;
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Handshakes.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", headers, ""));
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, received.CloseStatusDescription, context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The peer went away: nothing left to echo.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
