using System.Collections.Frozen;
using Tollgate.Core.Gateway;
using Tollgate.Routing;
using Tollgate.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Tollgate.Gateway.Configuration;

/// <summary>An operation as the gateway serves it: the API and operation, ready for per-request lookups.</summary>
public sealed record OperationEntry(GatewayApi Api, GatewayOperation Operation, UrlTemplate Template)
{
    /// <summary>The path the API is served at (<see cref="GatewayApi.RoutePath"/>: its path, version segment and revision).</summary>
    public string RoutePath { get; } = Api.RoutePath;
}

/// <summary>
/// A <see cref="GatewaySnapshot"/> of one instance compiled for serving: its routes (matched by <see cref="Match"/>,
/// never by a table of every instance's routes), and lookup tables for operations by route id and subscriptions by
/// key digest. Immutable; replaced on every change of its instance, sharing the routes of every unchanged API with
/// the state it replaces.
/// </summary>
public sealed class GatewayState
{
    private Hosting.GatewayInstanceFeature? _instanceFeature;

    /// <summary>This state as the request feature naming a request's instance: one object for all its requests.</summary>
    internal Hosting.GatewayInstanceFeature InstanceFeature => _instanceFeature ??= new Hosting.GatewayInstanceFeature(this);

    private GatewayState(GatewaySnapshot snapshot)
    {
        Snapshot = snapshot;
    }

    public GatewaySnapshot Snapshot { get; }

    /// <summary>The instance's name in lower case: the prefix of its route ids and the key of its routes' metadata.</summary>
    public string Key { get; private init; } = "";

    /// <summary>Every operation's route, by API (most specific first within each). Diagnostics: listed on first use.</summary>
    public IReadOnlyList<GatewayRoute> Routes => _routes ??= ApiRoutes.SelectMany(a => a.Routes).ToList();

    private IReadOnlyList<GatewayRoute>? _routes;

    /// <summary>How many routes the instance has.</summary>
    public int RouteCount { get; private init; }

    /// <summary>The routes of each API, built once per version of the API and shared by the snapshots it is unchanged in.</summary>
    public IReadOnlyList<ApiRoutes> ApiRoutes { get; private init; } = [];

    /// <summary>Every operation by route id. Diagnostics: indexed on first use (requests find theirs by <see cref="Match"/>).</summary>
    public IReadOnlyDictionary<string, OperationEntry> Operations => _operations ??= Routes.ToDictionary(r => r.RouteId, r => r.Entry, StringComparer.Ordinal);

    private IReadOnlyDictionary<string, OperationEntry>? _operations;

    /// <summary>Every key that may let a call in (current keys and keys still in a rotation's overlap), by digest.</summary>
    public FrozenDictionary<KeyDigest, SubscriptionKeyEntry> SubscriptionsByKey { get; private init; } = FrozenDictionary<KeyDigest, SubscriptionKeyEntry>.Empty;

    public FrozenDictionary<string, GatewayProduct> Products { get; private init; } = FrozenDictionary<string, GatewayProduct>.Empty;

    public FrozenDictionary<string, GatewayUser> Users { get; private init; } = FrozenDictionary<string, GatewayUser>.Empty;

    /// <summary>The open product (no subscription required) that contains each API, if any.</summary>
    public FrozenDictionary<string, GatewayProduct> OpenProductByApi { get; private init; } = FrozenDictionary<string, GatewayProduct>.Empty;

    /// <summary>
    /// The APIs by path (no slashes at either end; "" for the root, case ignored), looked up by a span of the request's
    /// path: <see cref="_overlay"/> (the paths changed since the index was made; an empty array is a path no API has
    /// any more), else <see cref="_paths"/> (shared by the states built over it, never changed).
    /// </summary>
    private Dictionary<string, ApiRoutes[]> _paths = new(StringComparer.OrdinalIgnoreCase);

    private Dictionary<string, ApiRoutes[]>.AlternateLookup<ReadOnlySpan<char>> _pathLookup =
        new Dictionary<string, ApiRoutes[]>(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();

    private Dictionary<string, ApiRoutes[]>? _overlay;

    private Dictionary<string, ApiRoutes[]>.AlternateLookup<ReadOnlySpan<char>> _overlayLookup;

    /// <summary>The most segments an API path of the instance has.</summary>
    private int _maxApiDepth;

    /// <summary>The snapshot's policies: compiled expressions and a pipeline per operation and product.</summary>
    public Policies.Runtime.PolicyRuntime Policies { get; internal set; } = Gateway.Policies.Runtime.PolicyRuntime.Empty;

    /// <summary>Templates of the APIs this state built (not those it shares with the previous one) that could not become routes, with the reason (logged when the state is applied).</summary>
    public IReadOnlyList<string> Problems { get; private init; } = [];

    /// <summary>
    /// Builds the state of a snapshot. The routes of an API that is the same object in <paramref name="previous"/>'s
    /// snapshot are that state's (management shares unchanged APIs between snapshots), so a change of one API costs
    /// that API's routes, not the instance's. When the snapshot lists the same APIs at the same places as the
    /// previous one (a change to APIs, operations or policies, not an API added or deleted), the previous state's
    /// index by path is shared and the changed paths are laid over it, so nothing is done per API of the instance but
    /// comparing two arrays.
    /// </summary>
    public static GatewayState Build(GatewaySnapshot snapshot, GatewayOptions options, GatewayState? previous = null)
    {
        var instance = snapshot.ServiceName.ToLowerInvariant();
        var reuse = previous is not null && previous.Key == instance;
        if (reuse && previous!.ApiRoutes.Count == snapshot.Apis.Count && BuildOver(snapshot, previous, instance) is { } over)
        {
            return over;
        }

        var apis = new ApiRoutes[snapshot.Apis.Count];
        var problems = new List<string>();
        var byPath = new Dictionary<string, ApiRoutes[]>(apis.Length, StringComparer.OrdinalIgnoreCase);
        var depth = 0;
        var routeCount = 0;
        for (var i = 0; i < apis.Length; i++)
        {
            var api = snapshot.Apis[i];
            var built = reuse ? previous!.RoutesOf(api, i) : null;
            if (built is null)
            {
                built = Configuration.ApiRoutes.Build(instance, api);
                if (built.Problems.Count > 0)
                {
                    problems.AddRange(built.Problems);
                }
            }

            apis[i] = built;
            routeCount += built.Routes.Count;

            // Most paths have one API; a path shared by the versions of a Header or Query version set grows its array.
            byPath[built.RoutePath] = byPath.TryGetValue(built.RoutePath, out var sharing) ? [.. sharing, built] : [built];
            depth = Math.Max(depth, Depth(built.RoutePath));
        }

        var state = Finish(snapshot, instance, previous, apis, routeCount, problems);
        state._paths = byPath;
        state._pathLookup = byPath.GetAlternateLookup<ReadOnlySpan<char>>();
        state._maxApiDepth = depth;
        return state;
    }

    /// <summary>The most paths laid over a shared index before a build makes a new index of every path.</summary>
    private const int MaxOverlay = 64;

    /// <summary>
    /// The state of a snapshot whose APIs are the previous snapshot's at the same places except a few changed ones,
    /// or null when an API moved (added, deleted) or too many paths changed: the caller builds everything.
    /// </summary>
    private static GatewayState? BuildOver(GatewaySnapshot snapshot, GatewayState previous, string instance)
    {
        ApiRoutes[]? apis = null;
        Dictionary<string, ApiRoutes[]>? overlay = previous._overlay is null ? null : new(previous._overlay, StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        var routeCount = previous.RouteCount;
        var depth = previous._maxApiDepth;
        for (var i = 0; i < snapshot.Apis.Count; i++)
        {
            var api = snapshot.Apis[i];
            var old = previous.ApiRoutes[i];
            if (ReferenceEquals(old.Api, api))
            {
                continue;
            }

            if (!string.Equals(old.Api.Id, api.Id, StringComparison.Ordinal))
            {
                return null;
            }

            var built = Configuration.ApiRoutes.Build(instance, api);
            problems.AddRange(built.Problems);
            apis ??= [.. previous.ApiRoutes];
            apis[i] = built;
            routeCount += built.Routes.Count - old.Routes.Count;
            depth = Math.Max(depth, Depth(built.RoutePath));
            overlay ??= new Dictionary<string, ApiRoutes[]>(StringComparer.OrdinalIgnoreCase);

            // The new routes take the old ones' place on their path, or leave it for another path.
            var sharing = Lookup(previous, overlay, old.RoutePath);
            if (string.Equals(old.RoutePath, built.RoutePath, StringComparison.OrdinalIgnoreCase))
            {
                overlay[built.RoutePath] = [.. sharing.Select(r => ReferenceEquals(r, old) ? built : r)];
            }
            else
            {
                overlay[old.RoutePath] = [.. sharing.Where(r => !ReferenceEquals(r, old))];
                overlay[built.RoutePath] = [.. Lookup(previous, overlay, built.RoutePath), built];
            }

            if (overlay.Count > MaxOverlay)
            {
                return null;
            }
        }

        // The arrays of routes are never changed once a state has them: an unchanged list is shared as it is.
        var state = Finish(snapshot, instance, previous, apis ?? previous.ApiRoutes, routeCount, problems);
        state._paths = previous._paths;
        state._pathLookup = previous._pathLookup;
        state._overlay = overlay;
        state._overlayLookup = overlay?.GetAlternateLookup<ReadOnlySpan<char>>() ?? default;
        state._maxApiDepth = depth;
        return state;
    }

    /// <summary>The routes on a path as of <paramref name="previous"/> with <paramref name="overlay"/> laid over it.</summary>
    private static ApiRoutes[] Lookup(GatewayState previous, Dictionary<string, ApiRoutes[]>? overlay, string path) =>
        overlay is not null && overlay.TryGetValue(path, out var over) ? over
        : previous._overlay is not null && previous._overlay.TryGetValue(path, out var earlier) ? earlier
        : previous._paths.GetValueOrDefault(path) ?? [];

    private static int Depth(string path) => path.Length == 0 ? 0 : path.Count('/') + 1;

    /// <summary>What every state of a snapshot has besides its routes: products, subscriptions by key, users.</summary>
    private static GatewayState Finish(GatewaySnapshot snapshot, string instance, GatewayState? previous, IReadOnlyList<ApiRoutes> apis, int routeCount, List<string> problems)
    {
        var products = snapshot.Products.ToFrozenDictionary(p => p.Id, StringComparer.OrdinalIgnoreCase);
        var openByApi = new Dictionary<string, GatewayProduct>(StringComparer.OrdinalIgnoreCase);
        foreach (var product in snapshot.Products.Where(p => !p.SubscriptionRequired))
        {
            foreach (var apiId in product.ApiIds)
            {
                openByApi.TryAdd(apiId, product);
            }
        }

        return new GatewayState(snapshot)
        {
            Key = instance,
            ApiRoutes = apis,
            RouteCount = routeCount,
            SubscriptionsByKey = SubscriptionKeys(snapshot, previous),
            Products = products,
            Users = snapshot.Users.ToFrozenDictionary(u => u.Id, StringComparer.OrdinalIgnoreCase),
            OpenProductByApi = openByApi.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            Problems = problems,
        };
    }

    /// <summary>Every key that may let a call in, by digest (the previous state's table when the subscriptions are the same objects).</summary>
    private static FrozenDictionary<KeyDigest, SubscriptionKeyEntry> SubscriptionKeys(GatewaySnapshot snapshot, GatewayState? previous)
    {
        if (previous is not null && ReferenceEquals(previous.Snapshot.Subscriptions, snapshot.Subscriptions))
        {
            return previous.SubscriptionsByKey;
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

        return byKey.ToFrozenDictionary();
    }

    /// <summary>The API with this id (case ignored), or null. Indexed on first use (expressions asking for a product's APIs).</summary>
    internal GatewayApi? FindApi(string id) =>
        (_apisById ??= ApiRoutes.Select(a => a.Api).DistinctBy(a => a.Id, StringComparer.OrdinalIgnoreCase).ToDictionary(a => a.Id, StringComparer.OrdinalIgnoreCase))
            .GetValueOrDefault(id);

    private Dictionary<string, GatewayApi>? _apisById;

    /// <summary>
    /// This state's routes of an API object, if it has them: looked for at the same place first (snapshots list
    /// their APIs in the same order), else through the API's path.
    /// </summary>
    private ApiRoutes? RoutesOf(GatewayApi api, int index)
    {
        if (index < ApiRoutes.Count && ReferenceEquals(ApiRoutes[index].Api, api))
        {
            return ApiRoutes[index];
        }

        foreach (var routes in Lookup(this, null, api.RoutePath))
        {
            if (ReferenceEquals(routes.Api, api))
            {
                return routes;
            }
        }

        return null;
    }

    /// <summary>
    /// The route a request is for: among the APIs whose path is a prefix of the request's path (by whole segments),
    /// the most specific of their routes that matches method, path and query (<see cref="GatewayRoute.Compare"/>),
    /// with its route values in <paramref name="values"/>. A CORS preflight request matches a route by the method it
    /// asks for when the route's policies answer preflights (<see cref="Gateway.Policies.Runtime.PolicyRuntime.AnswersPreflight"/>).
    /// <paramref name="apiMatched"/> tells "no such operation" from "no such API" when nothing matches.
    /// </summary>
    public GatewayRoute? Match(HttpRequest request, RouteValueDictionary values, out bool apiMatched)
    {
        apiMatched = false;
        var path = request.Path.Value ?? "/";
        var preflight = Policies.HasCors && Gateway.Policies.Cors.CorsHandler.IsPreflight(request);
        var method = preflight ? request.Headers.AccessControlRequestMethod.ToString() : request.Method;
        var rest = path.AsSpan(path.StartsWith('/') ? 1 : 0);
        GatewayRoute? best = null;
        RouteValueDictionary? scratch = null;
        TryApis(request, method, preflight, default, path, values, ref best, ref scratch, ref apiMatched);
        var start = 0;
        for (var segments = 1; segments <= _maxApiDepth; segments++)
        {
            var slash = rest[start..].IndexOf('/');
            var cut = slash < 0 ? rest.Length : start + slash;
            TryApis(request, method, preflight, rest[..cut], rest[cut..], values, ref best, ref scratch, ref apiMatched);
            if (slash < 0)
            {
                break;
            }

            start = cut + 1;
        }

        return best;
    }

    /// <summary>Tries the APIs whose path is <paramref name="prefix"/> on the rest of the path, keeping the best match.</summary>
    private void TryApis(
        HttpRequest request, string method, bool preflight, ReadOnlySpan<char> prefix, ReadOnlySpan<char> below,
        RouteValueDictionary values, ref GatewayRoute? best, ref RouteValueDictionary? scratch, ref bool apiMatched)
    {
        if (!(_overlay is not null && _overlayLookup.TryGetValue(prefix, out var apis)) && !_pathLookup.TryGetValue(prefix, out apis))
        {
            return;
        }

        if (apis.Length == 0)
        {
            return;
        }

        foreach (var api in apis)
        {
            // The versions of a Header or Query version set share their path: the request's version picks one. A
            // version no API of the path has is no API ("Resource not found"), as in APIM.
            if (api.VersionedBy is not null && !NamesVersion(request, api))
            {
                continue;
            }

            apiMatched = true;
            var target = best is null ? values : scratch ??= new RouteValueDictionary();
            var route = api.Match(request, method, below, preflight, Policies, target);
            if (route is null || (best is not null && GatewayRoute.Compare(route, best) >= 0))
            {
                target.Clear();
                continue;
            }

            if (best is not null)
            {
                // The better match's values become the request's.
                values.Clear();
                foreach (var (k, v) in target)
                {
                    values[k] = v;
                }

                target.Clear();
            }

            best = route;
        }
    }

    /// <summary>
    /// Whether the request names the API's version: the version set's header or query parameter equals its apiVersion
    /// (case ignored), or is absent or empty when the API is the set's original (no apiVersion).
    /// </summary>
    private static bool NamesVersion(HttpRequest request, ApiRoutes api)
    {
        var named = api.VersionedBy == Configuration.ApiRoutes.VersionSource.Header
            ? request.Headers[api.Api.VersionHeaderName!].ToString()
            : request.Query[api.Api.VersionQueryName!].ToString();
        return named.Length == 0 ? string.IsNullOrEmpty(api.Api.ApiVersion) : string.Equals(named, api.Api.ApiVersion, StringComparison.OrdinalIgnoreCase);
    }

    public static GatewayState Empty(GatewayOptions options) => Build(GatewaySnapshot.Empty(options.ServiceName ?? ""), options);
}

/// <summary>A key of a subscription: which one it is and until when it works (null: no end).</summary>
public sealed record SubscriptionKeyEntry(GatewaySubscription Subscription, string Slot, DateTimeOffset? ValidUntil)
{
    public bool ValidAt(DateTimeOffset now) => ValidUntil is not { } until || now < until;
}
