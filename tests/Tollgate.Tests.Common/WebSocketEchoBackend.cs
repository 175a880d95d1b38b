using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tollgate.Tests.Common;

/// <summary>
/// A real Kestrel WebSocket backend on a free loopback port: it accepts a WebSocket handshake on any path, records the
/// handshake request, and sends every message back as it came (text or binary) until the client closes. Anything that
/// is not a handshake is answered 400. Started with a server certificate, it speaks TLS only (wss).
/// </summary>
public sealed class WebSocketEchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebSocketEchoBackend(WebApplication app, int port, bool tls)
    {
        _app = app;
        Port = port;
        Tls = tls;
    }

    public int Port { get; }

    /// <summary>Whether the backend speaks TLS (wss) only.</summary>
    public bool Tls { get; }

    /// <summary>The backend as a WebSocket API's serviceUrl names it: ws://, or wss:// with TLS.</summary>
    public string Url => $"{(Tls ? "wss" : "ws")}://127.0.0.1:{Port}";

    /// <summary>The backend as an HTTP URL names it (a backend entity's url): http://, or https:// with TLS.</summary>
    public string HttpUrl => $"{(Tls ? "https" : "http")}://127.0.0.1:{Port}";

    /// <summary>The handshakes received, in order.</summary>
    public ConcurrentQueue<RecordedRequest> Handshakes { get; } = new();

    /// <param name="serverCertificate">With a certificate (and its private key), the backend speaks TLS with it.</param>
    public static async Task<WebSocketEchoBackend> StartAsync(X509Certificate2? serverCertificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (serverCertificate is null)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(serverCertificate)));
        }

        var app = builder.Build();
        app.UseWebSockets();
        WebSocketEchoBackend? backend = null;
        app.Run(context => backend!.HandleAsync(context));
        await app.StartAsync();
        backend = new WebSocketEchoBackend(app, new Uri(app.Urls.First()).Port, serverCertificate is not null);
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
