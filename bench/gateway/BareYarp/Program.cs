// A bare YARP 2.3 reverse proxy: one route /{**catch-all} to one backend, no transforms beyond
// YARP's defaults, logging off. This is the baseline Tollgate's gateway is compared with.
// Usage: BareYarp --urls http://127.0.0.1:PORT --backend http://127.0.0.1:BACKEND_PORT
// (or environment BACKEND_URL).
// With --direct true: YARP's "direct forwarding" instead (IHttpForwarder called from one terminal delegate, no routing,
// no proxy pipeline, YARP's default transforms including X-Forwarded-*): the least any gateway built on Kestrel, YARP's
// forwarder and SocketsHttpHandler can spend on a call, which is how Tollgate's gateway forwards.
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms.Builder;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);

var backend = builder.Configuration["backend"]
    ?? Environment.GetEnvironmentVariable("BACKEND_URL")
    ?? throw new InvalidOperationException("Give the backend address: --backend http://127.0.0.1:PORT or BACKEND_URL.");

if (string.Equals(builder.Configuration["direct"], "true", StringComparison.OrdinalIgnoreCase))
{
    builder.Services.AddHttpForwarder();
    builder.Services.AddReverseProxy();
    var direct = builder.Build();
    var forwarder = direct.Services.GetRequiredService<IHttpForwarder>();
    // The client YARP's own forwarder client factory makes for a cluster with default settings.
    var client = direct.Services.GetRequiredService<IForwarderHttpClientFactory>().CreateClient(new ForwarderHttpClientContext
    {
        ClusterId = "backend",
        OldConfig = HttpClientConfig.Empty,
        OldMetadata = null,
        OldClient = null,
        NewConfig = HttpClientConfig.Empty,
        NewMetadata = null,
    });
    var transformer = direct.Services.GetRequiredService<ITransformBuilder>().Create(_ => { });
    var config = ForwarderRequestConfig.Empty;
    direct.Run(context =>
    {
        var pending = forwarder.SendAsync(context, backend, client, config, transformer);
        return pending.IsCompletedSuccessfully ? Task.CompletedTask : pending.AsTask();
    });
    direct.Run();
    return;
}

RouteConfig[] routes =
[
    new RouteConfig
    {
        RouteId = "all",
        ClusterId = "backend",
        Match = new RouteMatch { Path = "/{**catch-all}" },
    },
];
ClusterConfig[] clusters =
[
    new ClusterConfig
    {
        ClusterId = "backend",
        Destinations = new Dictionary<string, DestinationConfig>
        {
            ["d1"] = new DestinationConfig { Address = backend },
        },
    },
];

builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);

var app = builder.Build();
app.MapReverseProxy();
app.Run();
