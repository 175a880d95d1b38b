using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Hosting;

/// <summary>The instance a request is for, resolved from its host name.</summary>
public sealed class GatewayInstanceFeature(GatewayState state)
{
    public GatewayState State { get; } = state;
}

/// <summary>
/// Resolves the request's instance by host name (one dictionary lookup, <see cref="GatewayInstances"/>), and holds
/// that instance's policy runtime until the request ends (its compiled expressions are not unloaded under it when a
/// newer snapshot is applied meanwhile). A host name of no instance is APIM's 404
/// <c>Resource not found</c>; so is HTTPS on a custom host name that has no certificate (served over HTTP only).
/// </summary>
public sealed class GatewayInstanceMiddleware(RequestDelegate next, SnapshotProxyConfigProvider config)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // Host with its port as received (no substring allocated); the lookup ignores the port.
        var host = context.Request.Host.Value ?? "";
        var instances = config.Instances;
        if (!instances.TryResolve(host, out var state) || (context.Request.IsHttps && instances.IsHttpOnly(host)))
        {
            if (Analytics.RequestTelemetryMiddleware.IsInfrastructure(context.Request.Path))
            {
                // Probes answer on any host name: only instance endpoints depend on it.
                await next(context);
                return;
            }

            await GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.ResourceNotFound, GatewayErrors.ResourceNotFound);
            return;
        }

        while (!state.Policies.TryEnter())
        {
            // Replaced meanwhile: the newer state of the same host serves the request.
            if (!config.Instances.TryResolve(host, out state))
            {
                await GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.ResourceNotFound, GatewayErrors.ResourceNotFound);
                return;
            }
        }

        try
        {
            context.Features.Set(state.InstanceFeature);
            await next(context);
        }
        finally
        {
            state.Policies.Leave();
        }
    }
}
