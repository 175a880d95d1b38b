using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;
using Tollgate.Core.Gateway;
using Tollgate.Routing;

namespace Tollgate.Gateway.Configuration;

/// <summary>A query-string requirement of a route: the parameter present, or present with a literal value (case-insensitive).</summary>
internal readonly record struct QueryRule(string Name, string? Literal);

/// <summary>
/// One operation's route: its method, its path as an ASP.NET route pattern below the API's path (matched with
/// <see cref="TemplateMatcher"/>, so literals, parameters, complex segments and catch-alls behave as in ASP.NET
/// routing), its query requirements, and its rank among the instance's routes.
/// </summary>
public sealed class GatewayRoute
{
    internal GatewayRoute(string routeId, OperationEntry entry, string pattern, TemplateMatcher matcher, QueryRule[] query, decimal precedence)
    {
        RouteId = routeId;
        Entry = entry;
        Pattern = pattern;
        Matcher = matcher;
        Query = query;
        Precedence = precedence;
        ApiPathLength = entry.RoutePath.Length;
    }

    /// <summary><c>{instance}/{api}/{operation}</c> in lower case.</summary>
    public string RouteId { get; }

    public OperationEntry Entry { get; }

    public string Method => Entry.Operation.Method;

    /// <summary>The full route pattern, API path included (<c>/echo/items/{id}</c>).</summary>
    public string Pattern { get; }

    internal TemplateMatcher Matcher { get; }

    internal QueryRule[] Query { get; }

    /// <summary>ASP.NET's inbound precedence of the pattern: literal segments before parameters before catch-alls.</summary>
    internal decimal Precedence { get; }

    /// <summary>The length of the path its API is served at (<see cref="OperationEntry.RoutePath"/>).</summary>
    internal int ApiPathLength { get; }

    /// <summary>Its position in its API's ranked list (<see cref="ApiRoutes.Routes"/>).</summary>
    internal int Rank { get; set; }

    /// <summary>
    /// The order in which two routes that both match a request are preferred: the more specific path first, then more
    /// query-string requirements, then the longer API path, then the id (so two routes never tie).
    /// </summary>
    internal static int Compare(GatewayRoute x, GatewayRoute y)
    {
        var c = x.Precedence.CompareTo(y.Precedence);
        c = c != 0 ? c : y.Query.Length.CompareTo(x.Query.Length);
        c = c != 0 ? c : y.ApiPathLength.CompareTo(x.ApiPathLength);
        return c != 0 ? c : string.CompareOrdinal(x.RouteId, y.RouteId);
    }

    internal bool AllowsMethod(string method) => string.Equals(Method, method, StringComparison.OrdinalIgnoreCase);

    internal bool MatchesQuery(IQueryCollection query)
    {
        foreach (var rule in Query)
        {
            if (!query.TryGetValue(rule.Name, out var values) || values.Count == 0)
            {
                return false;
            }

            if (rule.Literal is { } literal)
            {
                var any = false;
                foreach (var value in values)
                {
                    if (string.Equals(value, literal, StringComparison.OrdinalIgnoreCase))
                    {
                        any = true;
                        break;
                    }
                }

                if (!any)
                {
                    return false;
                }
            }
        }

        return true;
    }
}

/// <summary>
/// The routes of one API, built once per version of the API and reused by every snapshot in which the API is
/// unchanged: ranked, and indexed by the first path segment below the API's path so that a request tries only the
/// routes that can match it (an API with a thousand operations costs a dictionary lookup, not a thousand matches).
/// </summary>
public sealed class ApiRoutes
{
    private static readonly GatewayRoute[] None = [];
    private readonly FrozenDictionary<string, GatewayRoute[]> _byFirstSegment;
    private readonly FrozenDictionary<string, GatewayRoute[]>.AlternateLookup<ReadOnlySpan<char>> _firstSegmentLookup;

    /// <summary>Routes whose first segment below the API path is not a plain literal (a parameter, a catch-all, none).</summary>
    private readonly GatewayRoute[] _other;

    private ApiRoutes(GatewayApi api, GatewayRoute[] routes, IReadOnlyList<string> problems)
    {
        Api = api;
        Routes = routes;
        Problems = problems;
        RoutePath = api.RoutePath;
        VersionedBy = string.Equals(api.VersioningScheme, "Header", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(api.VersionHeaderName) ? VersionSource.Header
            : string.Equals(api.VersioningScheme, "Query", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(api.VersionQueryName) ? VersionSource.Query
            : null;
        var byFirst = new Dictionary<string, List<GatewayRoute>>(StringComparer.OrdinalIgnoreCase);
        var other = new List<GatewayRoute>();
        foreach (var route in routes)
        {
            if (FirstLiteralSegment(route.Entry.Template) is { } first)
            {
                if (!byFirst.TryGetValue(first, out var list))
                {
                    byFirst[first] = list = [];
                }

                list.Add(route);
            }
            else
            {
                other.Add(route);
            }
        }

        _byFirstSegment = byFirst.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.OrdinalIgnoreCase);
        _firstSegmentLookup = _byFirstSegment.GetAlternateLookup<ReadOnlySpan<char>>();
        _other = other.ToArray();
    }

    public GatewayApi Api { get; }

    /// <summary>Where a request names the version of an API of a Header or Query version set.</summary>
    public enum VersionSource
    {
        Header,
        Query,
    }

    /// <summary>The path the API is served at (<see cref="GatewayApi.RoutePath"/>).</summary>
    public string RoutePath { get; }

    /// <summary>Where a request names the API's version (a Header or Query version set), or null (no version set, or Segment: in <see cref="RoutePath"/>).</summary>
    public VersionSource? VersionedBy { get; }

    /// <summary>The API's routes, most specific first.</summary>
    public IReadOnlyList<GatewayRoute> Routes { get; }

    /// <summary>Templates that could not become routes, with the reason.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Builds the routes of an API's operations; an operation whose template cannot be routed is a problem, not a failure.</summary>
    public static ApiRoutes Build(string instance, GatewayApi api)
    {
        var routes = new List<GatewayRoute>();
        var problems = new List<string>();
        foreach (var op in api.Operations)
        {
            if (!UrlTemplate.TryParse(op.UrlTemplate, out var template, out var error))
            {
                problems.Add($"operation '{api.Id}/{op.Id}': urlTemplate {error}");
                continue;
            }

            var pattern = template!.ToRoutePattern(api.RoutePath);
            RouteTemplate routeTemplate;
            decimal precedence;
            try
            {
                routeTemplate = new RouteTemplate(RoutePatternFactory.Parse(pattern));
                precedence = RoutePrecedence.ComputeInbound(routeTemplate);
            }
            catch (RoutePatternException ex)
            {
                problems.Add($"operation '{api.Id}/{op.Id}': urlTemplate '{op.UrlTemplate}' cannot be routed: {ex.Message}");
                continue;
            }

            var routeId = instance + "/" + api.Id.ToLowerInvariant() + "/" + op.Id.ToLowerInvariant();
            var query = template.Query
                .Select(q => new QueryRule(q.Name, q.ParameterName is null && !string.IsNullOrEmpty(q.Literal) ? q.Literal : null))
                .ToArray();
            routes.Add(new GatewayRoute(routeId, new OperationEntry(api, op, template), pattern, new TemplateMatcher(routeTemplate, new RouteValueDictionary()), query, precedence));
        }

        routes.Sort(GatewayRoute.Compare);
        for (var i = 0; i < routes.Count; i++)
        {
            routes[i].Rank = i;
        }

        return new ApiRoutes(api, routes.ToArray(), problems);
    }

    /// <summary>
    /// The best of this API's routes that matches the request, whose path below the API's path is
    /// <paramref name="below"/>; its route values are left in <paramref name="values"/> (cleared when none matches).
    /// </summary>
    internal GatewayRoute? Match(HttpRequest request, string method, ReadOnlySpan<char> below, bool preflight, Policies.Runtime.PolicyRuntime policies, RouteValueDictionary values)
    {
        var first = below.TrimStart('/');
        var slash = first.IndexOf('/');
        if (slash >= 0)
        {
            first = first[..slash];
        }

        var literal = first.Length > 0 && _firstSegmentLookup.TryGetValue(first, out var routes) ? routes : None;

        // Two ranked lists merged by rank: the routes under this first segment and those that take any.
        int i = 0, j = 0;
        while (i < literal.Length || j < _other.Length)
        {
            var route = j >= _other.Length || (i < literal.Length && literal[i].Rank < _other[j].Rank) ? literal[i++] : _other[j++];
            var allowed = preflight && policies.AnswersPreflight(route) ? route.AllowsMethod(method) : route.AllowsMethod(request.Method);
            if (!allowed || (route.Query.Length > 0 && !route.MatchesQuery(request.Query)))
            {
                continue;
            }

            if (route.Matcher.TryMatch(request.Path, values))
            {
                return route;
            }

            values.Clear();
        }

        return null;
    }

    /// <summary>The template's first path segment when it is a plain literal (<c>items</c> of <c>/items/{id}</c>), else null.</summary>
    private static string? FirstLiteralSegment(UrlTemplate template)
    {
        var path = template.Path.AsSpan().TrimStart('/');
        var slash = path.IndexOf('/');
        var first = slash < 0 ? path : path[..slash];
        if (first.Length == 0 || first.IndexOfAny('{', '}', '*') >= 0)
        {
            return null;
        }

        // A route whose whole path is this one literal segment also matches it with a trailing slash, which the
        // lookup sees as the same first segment.
        return first.ToString();
    }
}
