using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Core.Analytics;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Hosting;

/// <summary>Wires the gateway role into a web application: Kestrel listeners, snapshots, the APIM pipeline, YARP's forwarder.</summary>
public static class GatewayHost
{
    /// <summary>APIM's gateway status endpoint, used by load balancers and probes.</summary>
    public const string StatusPath = "/status-0123456789abcdef";

    public static WebApplicationBuilder AddTollgateGateway(this WebApplicationBuilder builder, GatewayOptions options, string dataDirectory)
    {
        options.PolicyAssemblyCachePath ??= Path.Combine(dataDirectory, "policy-assemblies");
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SnapshotProxyConfigProvider>();
        // YARP forwards (IHttpForwarder) and builds the transforms; the gateway matches operations itself.
        builder.Services.AddReverseProxy().AddTransforms<RoutePathTransforms>().AddTransforms<SubscriptionKeyTransforms>().AddTransforms<RequestIdTransforms>();
        builder.Services.AddSingleton<BackendClients>();
        builder.Services.AddSingleton<GatewayForwarder>();
        builder.Services.AddTollgateCounterStores(options.Counters, dataDirectory);
        builder.Services.AddSingleton(sp => new PolicyServices(sp, sp.GetRequiredService<TimeProvider>(), options, sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        builder.Services.AddHttpClient();
        builder.Services.AddHostedService<PolicyCompilerWarmUp>();
        if (!string.IsNullOrEmpty(options.ManagementUrl))
        {
            options.SnapshotBackupPath ??= Path.Combine(dataDirectory, "gateway-snapshot.json");
            builder.Services.AddHttpClient(RemoteSnapshotPoller.HttpClientName);
            builder.Services.AddHostedService<RemoteSnapshotPoller>();
            if (builder.Services.Any(d => d.ServiceType == typeof(RequestRecordChannel)))
            {
                // The request log is on: records go to management in batches, through a buffer on disk when it is away.
                options.RecordBufferPath ??= Path.Combine(dataDirectory, "gateway-records");
                builder.Services.AddHttpClient(RequestRecordShipper.HttpClientName);
                var journal = Path.Combine(options.RecordBufferPath, "journal");
                builder.Services.AddSingleton(sp => new RequestRecordJournal(sp.GetRequiredService<RequestRecordChannel>(), journal));
                builder.Services.AddHostedService<RequestRecordShipper>();
            }
        }

        var https = string.IsNullOrEmpty(options.HttpsUrl) ? null : GatewayCertificate.LoadOrCreate(options, dataDirectory,
            builder.Services.LastOrDefault(d => d.ServiceType == typeof(TimeProvider))?.ImplementationInstance as TimeProvider ?? TimeProvider.System);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (!string.IsNullOrEmpty(options.HttpUrl))
            {
                Listen(kestrel, options.HttpUrl, null);
            }

            if (https is not null)
            {
                // SNI: a custom host name with a certificate of its own gets it; every other name the gateway's.
                Listen(kestrel, options.HttpsUrl!, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = (_, name) =>
                        name is not null && kestrel.ApplicationServices.GetService<SnapshotProxyConfigProvider>()?.Instances.Certificates.TryGetValue(name, out var own) == true
                            ? own
                            : https,
                }));
            }
        });
        return builder;
    }

    public static WebApplication UseTollgateGateway(this WebApplication app)
    {
        app.UseMiddleware<Analytics.RequestTelemetryMiddleware>();
        app.UseMiddleware<GatewayInstanceMiddleware>();
        app.UseMiddleware<GatewayMiddleware>();

        // Only the gateway's own endpoints are left to routing: its status probe and health.
        app.UseRouting();

        // YARP's services include authorization's, and WebApplication puts the authorization middleware first in the
        // pipeline when they are registered and nothing placed it: in front of every proxied call, for nothing (the
        // gateway's own endpoints require none). Placed here, only those endpoints pass through it.
        if (app.Services.GetService<Microsoft.AspNetCore.Authorization.IAuthorizationHandlerProvider>() is not null)
        {
            app.UseAuthorization();
        }

        // APIM's gateway health probe: 200 with an empty body while the gateway serves.
        app.MapMethods(StatusPath, ["GET", "HEAD"], () => Results.Ok());

        // Runs the matched endpoint here, so the terminal middleware below sees only unmatched requests.
        app.UseEndpoints(_ => { });

        app.Run(context => GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.ResourceNotFound, GatewayErrors.ResourceNotFound));
        return app;
    }

    /// <summary>Listens on the host and port of a URL (<c>http://127.0.0.1:5080</c>, <c>http://localhost:5080</c>, <c>http://0.0.0.0:5080</c>).</summary>
    public static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, string url, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions>? configure)
    {
        var uri = new Uri(url);
        configure ??= _ => { };
        if (uri.Host is "localhost")
        {
            kestrel.ListenLocalhost(uri.Port, configure);
        }
        else if (uri.Host is "0.0.0.0" or "*" or "+" or "[::]")
        {
            kestrel.ListenAnyIP(uri.Port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port, configure);
        }
    }
}

/// <summary>
/// Compiles a throw-away expression once the host has started, so Roslyn's first-use cost never lands on a later
/// snapshot swap or policy write. Not earlier: a cold start builds its first snapshots meanwhile (their documents loaded
/// from disk, or compiled, which warms Roslyn anyway), and on a small machine the warm-up would only slow that down.
/// </summary>
internal sealed class PolicyCompilerWarmUp(Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(static () => _ = Core.Policies.Expressions.PolicyExpressionCompiler.WarmUpAsync(CancellationToken.None));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
