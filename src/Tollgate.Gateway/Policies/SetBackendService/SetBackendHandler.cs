using Microsoft.AspNetCore.Http;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetBackendService;

/// <summary>
/// <c>set-backend-service backend-id="…"</c>: routes the call to a backend of the instance (<c>backends/{id}</c>), its
/// URL replacing the API's serviceUrl and its credentials (headers, query parameters, Authorization) added to the
/// request. A pool picks, among its members whose circuit is closed, one of the lowest priority, by weight. A backend
/// whose circuit is open, or a pool with none closed, is answered 503 and on-error runs (LastError Reason
/// <c>BackendUnavailable</c>); an id the instance does not have is a 500 naming it.
/// </summary>
internal sealed class SetBackendHandler(PolicyLocation location, PolicyValue backendId) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var id = backendId.GetString(context)?.Trim() ?? "";
        var backends = context.Runtime.Backends;
        if (!backends.TryGetValue(id, out var backend))
        {
            throw new ArgumentException($"set-backend-service: backend '{id}' does not exist.");
        }

        var breakers = context.Runtime.Services?.Breakers;
        if (breakers is null || (!backend.IsPool && backend.CircuitBreaker is null))
        {
            return Route(context, backend);
        }

        return RouteAsync(context, id, backend, breakers);
    }

    /// <summary>A backend with a circuit breaker, or a pool: its circuits are asked (in Redis, when they live there) before routing.</summary>
    private async ValueTask<PolicyStep> RouteAsync(PolicyContext context, string id, GatewayBackend backend, IBackendCircuitBreakers breakers)
    {
        var now = context.Runtime.Time.GetUtcNow();
        var service = context.Runtime.KeyPrefix;
        if (backend.IsPool)
        {
            var open = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var member in backend.Pool)
            {
                if (context.Runtime.Backends.TryGetValue(member.Id, out var candidate) && !candidate.IsPool && await breakers.IsOpenAsync(service, candidate, now))
                {
                    open.Add(candidate.Id);
                }
            }

            var picked = Pick(backend, context.Runtime.Backends, b => open.Contains(b.Id));
            if (picked is null)
            {
                return await Unavailable(context, Location, $"Every backend of the pool '{id}' is unavailable: their circuit breakers are open.");
            }

            backend = picked;
        }
        else if (await breakers.IsOpenAsync(service, backend, now))
        {
            return await Unavailable(context, Location, $"Backend '{backend.Id}' is unavailable: its circuit breaker is open.");
        }

        return await Route(context, backend);
    }

    private ValueTask<PolicyStep> Route(PolicyContext context, GatewayBackend backend)
    {
        if (string.IsNullOrEmpty(backend.Url))
        {
            throw new ArgumentException($"set-backend-service: backend '{backend.Id}' has no url.");
        }

        context.Gateway.BackendUrl = backend.Url;
        context.Gateway.Backend = backend;
        context.BackendOverridden = true;
        var request = context.Http.Request;
        foreach (var header in backend.Headers)
        {
            request.Headers[header.Name] = string.Join(",", header.Values);
        }

        foreach (var parameter in backend.Query)
        {
            foreach (var value in parameter.Values)
            {
                request.QueryString = request.QueryString.Add(parameter.Name, value);
            }
        }

        if (backend.Authorization is { } authorization)
        {
            request.Headers.Authorization = authorization;
        }

        return Continue;
    }

    /// <summary>A pool's member to call: the lowest priority that has members with a closed circuit, one of them by weight.</summary>
    internal static GatewayBackend? Pick(GatewayBackend pool, IReadOnlyDictionary<string, GatewayBackend> backends, BackendCircuitBreakers? breakers, string service, DateTimeOffset now) =>
        Pick(pool, backends, b => breakers?.IsOpen(service, b, now) == true);

    /// <summary>A pool's member to call, given which circuits are open.</summary>
    internal static GatewayBackend? Pick(GatewayBackend pool, IReadOnlyDictionary<string, GatewayBackend> backends, Func<GatewayBackend, bool> isOpen)
    {
        List<(GatewayBackend Backend, int Weight)>? candidates = null;
        var priority = int.MaxValue;
        foreach (var member in pool.Pool)
        {
            if (member.Priority > priority || !backends.TryGetValue(member.Id, out var backend) || backend.IsPool || isOpen(backend))
            {
                continue;
            }

            if (member.Priority < priority)
            {
                priority = member.Priority;
                candidates = [];
            }

            candidates!.Add((backend, member.Weight));
        }

        if (candidates is null)
        {
            return null;
        }

        var total = candidates.Sum(c => c.Weight);
        if (total <= 0)
        {
            return candidates[Random.Shared.Next(candidates.Count)].Backend;
        }

        var pick = Random.Shared.Next(total);
        foreach (var (backend, weight) in candidates)
        {
            if (pick < weight)
            {
                return backend;
            }

            pick -= weight;
        }

        return candidates[^1].Backend;
    }

    internal static ValueTask<PolicyStep> Unavailable(PolicyContext context, PolicyLocation location, string message)
    {
        context.SetErrorResponse(StatusCodes.Status503ServiceUnavailable, message);
        context.Fail(PolicyFailure.From(location, "BackendUnavailable", message));
        return ValueTask.FromResult(PolicyStep.Error);
    }
}
