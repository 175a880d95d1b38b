using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Hosting;

/// <summary>The instance a request is for, resolved from its host name before routing.</summary>
public sealed class GatewayInstanceFeature(GatewayState state)
{
    public GatewayState State { get; } = state;
}

/// <summary>Endpoint metadata: the route belongs to this instance (<see cref="GatewayState.Key"/>).</summary>
public sealed record GatewayInstanceMetadata(string Instance);

/// <summary>
/// Resolves the request's instance by host name (one dictionary lookup, <see cref="GatewayInstances"/>) before
/// routing, and holds that instance's policy runtime until the request ends (its compiled expressions are not
/// unloaded under it when a newer snapshot is applied meanwhile). A host name of no instance is APIM's 404
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
            context.Features.Set(new GatewayInstanceFeature(state));
            await next(context);
        }
        finally
        {
            state.Policies.Leave();
        }
    }
}

/// <summary>
/// Lets routing match only the routes of the request's instance: endpoints carry <see cref="GatewayInstanceMetadata"/>,
/// and the matcher's jump table goes from the instance resolved by <see cref="GatewayInstanceMiddleware"/> to that
/// instance's endpoints with a dictionary lookup. Endpoints of no instance (status, health) match for every request.
/// The same path in two instances is two endpoints that never meet.
/// </summary>
internal sealed class GatewayInstanceMatcherPolicy : MatcherPolicy, IEndpointComparerPolicy, INodeBuilderPolicy
{
    private const string NoInstance = "";

    public override int Order => -1000;

    public IComparer<Endpoint> Comparer => EndpointMetadataComparer<GatewayInstanceMetadata>.Default;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<GatewayInstanceMetadata>() is not null)
            {
                return true;
            }
        }

        return false;
    }

    public IReadOnlyList<PolicyNodeEdge> GetEdges(IReadOnlyList<Endpoint> endpoints)
    {
        var instances = new HashSet<string>(StringComparer.Ordinal) { NoInstance };
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<GatewayInstanceMetadata>() is { } metadata)
            {
                instances.Add(metadata.Instance);
            }
        }

        var edges = new List<PolicyNodeEdge>();
        foreach (var instance in instances)
        {
            // An endpoint of no instance belongs to every edge; an instance's endpoint only to its own.
            var matches = endpoints.Where(e => e.Metadata.GetMetadata<GatewayInstanceMetadata>() is not { } m || m.Instance == instance).ToList();
            edges.Add(new PolicyNodeEdge(instance, matches));
        }

        return edges;
    }

    public PolicyJumpTable BuildJumpTable(int exitDestination, IReadOnlyList<PolicyJumpTableEdge> edges)
    {
        var destinations = new Dictionary<string, int>(StringComparer.Ordinal);
        var none = exitDestination;
        foreach (var edge in edges)
        {
            var instance = (string)edge.State;
            if (instance == NoInstance)
            {
                none = edge.Destination;
            }
            else
            {
                destinations[instance] = edge.Destination;
            }
        }

        return new InstanceJumpTable(destinations.ToFrozenDictionary(StringComparer.Ordinal), none);
    }

    private sealed class InstanceJumpTable(FrozenDictionary<string, int> destinations, int none) : PolicyJumpTable
    {
        public override int GetDestination(HttpContext httpContext) =>
            httpContext.Features.Get<GatewayInstanceFeature>() is { } feature && destinations.TryGetValue(feature.State.Key, out var destination)
                ? destination
                : none;
    }
}
