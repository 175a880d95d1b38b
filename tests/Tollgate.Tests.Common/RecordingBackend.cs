using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tollgate.Tests.Common;

/// <summary>One request as the backend received it.</summary>
public sealed record RecordedRequest(string Method, string Path, string QueryString, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The request target exactly as it arrived on the wire (path and query, still percent-encoded).</summary>
    public string RawTarget { get; init; } = "";

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>
/// A real Kestrel backend on a free loopback port that records every request and answers 200 with a small JSON body,
/// or whatever <see cref="Respond"/> says. Set <see cref="Hold"/> to keep requests waiting (a slow backend).
/// </summary>
public sealed class RecordingBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _arrived = new(0);

    private RecordingBackend(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>When true, requests wait until <see cref="Release"/> or the client gives up.</summary>
    public bool Hold { get; set; }

    /// <summary>A body and content type to answer with instead of the default JSON, or null.</summary>
    public (string ContentType, string Body)? Response { get; set; }

    /// <summary>Status code to answer with (default 200).</summary>
    public int StatusCode { get; set; } = 200;

    public static async Task<RecordingBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        RecordingBackend? backend = null;
        app.Run(context => backend!.HandleAsync(context));
        await app.StartAsync();
        backend = new RecordingBackend(app, new Uri(app.Urls.First()).Port);
        return backend;
    }

    public void Release() => _released.TrySetResult();

    /// <summary>Waits until at least <paramref name="count"/> requests have arrived in all; false on timeout.</summary>
    public async Task<bool> WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Requests.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                return Requests.Count >= count;
            }
        }

        return true;
    }

    public RecordedRequest Last => Requests.Last();

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", headers, body)
        {
            RawTarget = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "",
        });
        _arrived.Release();
        if (Hold)
        {
            try
            {
                await _released.Task.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = StatusCode;
        if (Response is { } custom)
        {
            context.Response.ContentType = custom.ContentType;
            await context.Response.WriteAsync(custom.Body);
            return;
        }

        await context.Response.WriteAsJsonAsync(new { backend = "recording", path = context.Request.Path.Value });
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
