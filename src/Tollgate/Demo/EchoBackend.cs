using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Hosting;

namespace Tollgate.Demo;

/// <summary>
/// The demo's stand-in for an ML web service: answers every request with a JSON echo of what it received
/// (method, path, query, headers, body), so a user sees exactly what the gateway forwarded.
/// </summary>
public sealed class EchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoBackend(WebApplication app) => _app = app;

    public static async Task<EchoBackend> StartAsync(string url, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, Hosting.CommandOwnedLifetime>();
        builder.WebHost.ConfigureKestrel(k => GatewayHost.Listen(k, url, null));
        var app = builder.Build();
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var headers = new JsonObject();
            foreach (var (name, value) in context.Request.Headers)
            {
                headers[name] = value.ToString();
            }

            var query = new JsonObject();
            foreach (var (name, value) in context.Request.Query)
            {
                query[name] = value.ToString();
            }

            JsonNode? json = null;
            try
            {
                json = body.Length > 0 ? JsonNode.Parse(body) : null;
            }
            catch (System.Text.Json.JsonException)
            {
                // Not JSON: echoed as text below.
            }

            var echo = new JsonObject
            {
                ["echo"] = "Tollgate demo backend: this is what the gateway forwarded.",
                ["method"] = context.Request.Method,
                ["path"] = context.Request.Path.Value,
                ["query"] = query,
                ["headers"] = headers,
                ["body"] = json ?? (body.Length > 0 ? JsonValue.Create(body) : null),
            };
            await context.Response.WriteAsJsonAsync<JsonNode>(echo, context.RequestAborted);
        });
        await app.StartAsync(cancellationToken);
        return new EchoBackend(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
