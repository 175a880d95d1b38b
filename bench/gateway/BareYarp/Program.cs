// A bare YARP 2.3 reverse proxy: one route /{**catch-all} to one backend, no transforms beyond
// YARP's defaults, logging off. This is the baseline Tollgate's gateway is compared with.
// Usage: BareYarp --urls http://127.0.0.1:PORT --backend http://127.0.0.1:BACKEND_PORT
// (or environment BACKEND_URL).
using Yarp.ReverseProxy.Configuration;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);

var backend = builder.Configuration["backend"]
    ?? Environment.GetEnvironmentVariable("BACKEND_URL")
    ?? throw new InvalidOperationException("Give the backend address: --backend http://127.0.0.1:PORT or BACKEND_URL.");

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
