using System.Collections.Frozen;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;
using Tollgate.Core.Gateway;
using Tollgate.Routing;
using Tollgate.Security;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Tollgate.Gateway.Configuration;

/// <summary>An operation as the gateway serves it: the API and operation, ready for per-request lookups.</summary>
public sealed record OperationEntry(GatewayApi Api, GatewayOperation Operation, UrlTemplate Template);

/// <summary>
/// A <see cref="GatewaySnapshot"/> of one instance compiled for serving: YARP routes and clusters, and frozen lookup
/// tables for operations by route id and subscriptions by key digest. Immutable; replaced as a whole on every change
/// of its instance. Route and cluster ids start with the instance's name, so the routes of every instance the gateway
/// serves live in one YARP table; <see cref="InstanceMetadata"/> tells the matcher whose route each is.
/// </summary>
public sealed class GatewayState
{
    private GatewayState(GatewaySnapshot snapshot)
    {
        Snapshot = snapshot;
    }

    public GatewaySnapshot Snapshot { get; }

    /// <summary>Route metadata naming the instance (lower case) a route belongs to.</summary>
    public const string InstanceMetadata = "Tollgate.Instance";

    /// <summary>The instance's name in lower case: the prefix of its route ids and the key of its routes' metadata.</summary>
    public string Key { get; private init; } = "";

    public IReadOnlyList<RouteConfig> Routes { get; private set; } = [];

    public IReadOnlyList<ClusterConfig> Clusters { get; private init; } = [];

    public FrozenDictionary<string, OperationEntry> Operations { get; private init; } = FrozenDictionary<string, OperationEntry>.Empty;

    /// <summary>Every key that may let a call in (current keys and keys still in a rotation's overlap), by digest.</summary>
    public FrozenDictionary<KeyDigest, SubscriptionKeyEntry> SubscriptionsByKey { get; private init; } = FrozenDictionary<KeyDigest, SubscriptionKeyEntry>.Empty;

    public FrozenDictionary<string, GatewayProduct> Products { get; private init; } = FrozenDictionary<string, GatewayProduct>.Empty;

    public FrozenDictionary<string, GatewayUser> Users { get; private init; } = FrozenDictionary<string, GatewayUser>.Empty;

    /// <summary>The open product (no subscription required) that contains each API, if any.</summary>
    public FrozenDictionary<string, GatewayProduct> OpenProductByApi { get; private init; } = FrozenDictionary<string, GatewayProduct>.Empty;

    /// <summary>API paths, longest first, to tell "no such operation" from "no such API".</summary>
    public IReadOnlyList<string> ApiPaths { get; private init; } = [];

    /// <summary>The snapshot's policies: compiled expressions and a pipeline per operation and product.</summary>
    public Policies.Runtime.PolicyRuntime Policies { get; internal set; } = Gateway.Policies.Runtime.PolicyRuntime.Empty;

    /// <summary>Templates that could not become routes, with the reason (logged when the state is applied).</summary>
    public IReadOnlyList<string> Problems { get; private init; } = [];

    public static GatewayState Build(GatewaySnapshot snapshot, GatewayOptions options)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        var operations = new Dictionary<string, OperationEntry>(StringComparer.Ordinal);
        var problems = new List<string>();
        var ranked = new List<(decimal Precedence, int QueryParts, int ApiPathLength, string RouteId, RouteConfig Route)>();
        var requestConfig = new ForwarderRequestConfig { ActivityTimeout = options.BackendTimeout };
        var instance = snapshot.ServiceName.ToLowerInvariant();
        foreach (var api in snapshot.Apis)
        {
            var clusterId = instance + "/api:" + api.Id.ToLowerInvariant();
            var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
            if (!string.IsNullOrEmpty(api.ServiceUrl))
            {
                destinations["backend"] = new DestinationConfig { Address = api.ServiceUrl };
            }

            clusters.Add(new ClusterConfig { ClusterId = clusterId, Destinations = destinations, HttpRequest = requestConfig });
            // The key query parameter is removed by SubscriptionKeyTransforms, and only when present:
            // YARP's QueryRemoveParameter would parse and rebuild every query string.
            var transforms = new List<IReadOnlyDictionary<string, string>>
            {
                new Dictionary<string, string> { ["RequestHeaderRemove"] = api.KeyHeaderName },
            };
            var metadata = new Dictionary<string, string>
            {
                [SubscriptionKeyTransforms.QueryNameMetadata] = api.KeyQueryName,
                [InstanceMetadata] = instance,
            };
            if (api.Path.Length > 0)
            {
                transforms.Insert(0, new Dictionary<string, string> { ["PathRemovePrefix"] = "/" + api.Path });
            }

            foreach (var op in api.Operations)
            {
                if (!UrlTemplate.TryParse(op.UrlTemplate, out var template, out var error))
                {
                    problems.Add($"operation '{api.Id}/{op.Id}': urlTemplate {error}");
                    continue;
                }

                var pattern = template!.ToRoutePattern(api.Path);
                decimal precedence;
                try
                {
                    precedence = RoutePrecedence.ComputeInbound(new RouteTemplate(RoutePatternFactory.Parse(pattern)));
                }
                catch (RoutePatternException ex)
                {
                    problems.Add($"operation '{api.Id}/{op.Id}': urlTemplate '{op.UrlTemplate}' cannot be routed: {ex.Message}");
                    continue;
                }

                var routeId = instance + "/" + api.Id.ToLowerInvariant() + "/" + op.Id.ToLowerInvariant();
                operations[routeId] = new OperationEntry(api, op, template);
                ranked.Add((precedence, template.Query.Count, api.Path.Length, routeId, new RouteConfig
                {
                    RouteId = routeId,
                    ClusterId = clusterId,
                    Match = new RouteMatch
                    {
                        Path = pattern,
                        Methods = [op.Method],
                        QueryParameters = template.Query.Count == 0 ? null : template.Query.Select(q => new RouteQueryParameter
                        {
                            Name = q.Name,
                            Mode = q.ParameterName is null && !string.IsNullOrEmpty(q.Literal) ? QueryParameterMatchMode.Exact : QueryParameterMatchMode.Exists,
                            Values = q.ParameterName is null && !string.IsNullOrEmpty(q.Literal) ? [q.Literal] : null,
                            IsCaseSensitive = false,
                        }).ToList(),
                    },
                    Transforms = transforms,
                    Metadata = metadata,
                }));
            }
        }

        // Every route gets its own Order, so two routes that match one request never tie (ASP.NET would throw
        // AmbiguousMatchException): the more specific path first (literal segments before parameters before
        // catch-alls), then more query-string requirements, then the longer API path, then the id.
        ranked.Sort((x, y) =>
        {
            var c = x.Precedence.CompareTo(y.Precedence);
            c = c != 0 ? c : y.QueryParts.CompareTo(x.QueryParts);
            c = c != 0 ? c : y.ApiPathLength.CompareTo(x.ApiPathLength);
            return c != 0 ? c : string.CompareOrdinal(x.RouteId, y.RouteId);
        });
        for (var i = 0; i < ranked.Count; i++)
        {
            routes.Add(ranked[i].Route with { Order = i });
        }

        var products = snapshot.Products.ToFrozenDictionary(p => p.Id, StringComparer.OrdinalIgnoreCase);
        var openByApi = new Dictionary<string, GatewayProduct>(StringComparer.OrdinalIgnoreCase);
        foreach (var product in snapshot.Products.Where(p => !p.SubscriptionRequired))
        {
            foreach (var apiId in product.ApiIds)
            {
                openByApi.TryAdd(apiId, product);
            }
        }

        var byKey = new Dictionary<KeyDigest, SubscriptionKeyEntry>();
        foreach (var s in snapshot.Subscriptions)
        {
            // Previous keys first: a current key always wins over a replaced one with the same digest.
            if (s.PreviousPrimaryKeyDigest is { } previousPrimary && s.PreviousPrimaryKeyValidUntil is { } primaryUntil)
            {
                byKey[KeyDigest.Parse(previousPrimary)] = new SubscriptionKeyEntry(s, SubscriptionKeySlots.PreviousPrimary, primaryUntil);
            }

            if (s.PreviousSecondaryKeyDigest is { } previousSecondary && s.PreviousSecondaryKeyValidUntil is { } secondaryUntil)
            {
                byKey[KeyDigest.Parse(previousSecondary)] = new SubscriptionKeyEntry(s, SubscriptionKeySlots.PreviousSecondary, secondaryUntil);
            }

            byKey[KeyDigest.Parse(s.PrimaryKeyDigest)] = new SubscriptionKeyEntry(s, SubscriptionKeySlots.Primary, s.PrimaryKeyExpiresAt);
            byKey[KeyDigest.Parse(s.SecondaryKeyDigest)] = new SubscriptionKeyEntry(s, SubscriptionKeySlots.Secondary, s.SecondaryKeyExpiresAt);
        }

        return new GatewayState(snapshot)
        {
            Key = instance,
            Routes = routes,
            Clusters = clusters,
            Operations = operations.ToFrozenDictionary(StringComparer.Ordinal),
            SubscriptionsByKey = byKey.ToFrozenDictionary(),
            Products = products,
            Users = snapshot.Users.ToFrozenDictionary(u => u.Id, StringComparer.OrdinalIgnoreCase),
            OpenProductByApi = openByApi.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            ApiPaths = snapshot.Apis.Select(a => "/" + a.Path).OrderByDescending(p => p.Length).ToArray(),
            Problems = problems,
        };
    }

    /// <summary>Route metadata that lets CORS preflight requests (OPTIONS) match the route of the requested method.</summary>
    public const string CorsPreflightMetadata = "Tollgate.CorsPreflight";

    /// <summary>Marks the routes whose policies answer CORS preflight requests (called before the state is served).</summary>
    internal void AcceptCorsPreflight(IReadOnlySet<string> routeIds)
    {
        if (routeIds.Count == 0)
        {
            return;
        }

        Routes = Routes.Select(r => routeIds.Contains(r.RouteId)
            ? r with { Metadata = new Dictionary<string, string>(r.Metadata ?? new Dictionary<string, string>()) { [CorsPreflightMetadata] = "true" } }
            : r).ToList();
    }

    public static GatewayState Empty(GatewayOptions options) => Build(GatewaySnapshot.Empty(options.ServiceName ?? ""), options);
}

/// <summary>A key of a subscription: which one it is and until when it works (null: no end).</summary>
public sealed record SubscriptionKeyEntry(GatewaySubscription Subscription, string Slot, DateTimeOffset? ValidUntil)
{
    public bool ValidAt(DateTimeOffset now) => ValidUntil is not { } until || now < until;
}
