using System.Collections.Frozen;
using System.Text;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Configuration;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// The policies of one snapshot: every document parsed and validated, every expression compiled, and an immutable
/// pipeline per (operation, product or none). Built when the snapshot is applied, never per request. With the
/// gateway's <see cref="PolicyCompileCache"/>, only the documents new to the snapshot are compiled (together, into one
/// assembly) and unchanged pipelines are the previous snapshot's instances.
/// </summary>
/// <remarks>
/// The runtime holds the assemblies its documents' expressions are in; it lets them go when it is retired (its
/// snapshot replaced) and the last request that entered it has left: <see cref="TryEnter"/> / <see cref="Leave"/>
/// count the requests, <see cref="Retire"/> drops the owner's reference. An assembly is unloaded once neither a live
/// runtime nor the cache holds it. A runtime without expressions has nothing to let go and counts nothing.
/// </remarks>
public sealed partial class PolicyRuntime
{
    /// <summary>Each API's operations' policies, by the API object of the snapshot (see <see cref="ApiPart"/>).</summary>
    private readonly Dictionary<GatewayApi, ApiPart> _parts;

    private Dictionary<string, OperationPolicies>? _byRouteId;
    private readonly FrozenDictionary<string, ProductInfo> _products;
    private readonly SharedExpressions[] _expressions;
    private int _references = 1;

    private PolicyRuntime(
        Dictionary<GatewayApi, ApiPart> parts,
        FrozenDictionary<string, ProductInfo> products,
        SharedExpressions[] expressions,
        PolicyServices? services,
        GatewaySnapshot snapshot,
        FrozenDictionary<string, string> groupNames)
    {
        _parts = parts;
        _products = products;
        _expressions = expressions;
        Services = services;
        Deployment = new DeploymentInfo(snapshot.ServiceName, snapshot.Region, snapshot.ServiceId);
        GroupNames = groupNames;
        KeyPrefix = Handlers.CounterKeys.Instance(snapshot.ServiceName);
    }

    /// <summary>No policies anywhere.</summary>
    public static PolicyRuntime Empty { get; } = new(new Dictionary<GatewayApi, ApiPart>(), FrozenDictionary<string, ProductInfo>.Empty, [], null, GatewaySnapshot.Empty(""), FrozenDictionary<string, string>.Empty);

    /// <summary>The display names of the instance's groups by id (<c>context.User.Groups</c>, <c>context.Product.Groups</c>).</summary>
    internal FrozenDictionary<string, string> GroupNames { get; }

    private static FrozenDictionary<string, string> GroupNamesOf(GatewaySnapshot snapshot)
    {
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in snapshot.Groups)
        {
            names.TryAdd(group.Id, group.DisplayName);
        }

        return names.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    internal PolicyServices? Services { get; }

    internal TimeProvider Time => Services?.Time ?? TimeProvider.System;

    internal IDeployment Deployment { get; }

    /// <summary>The instance's prefix of by-key counter keys and cache keys (<see cref="Handlers.CounterKeys.Instance"/>).</summary>
    internal string KeyPrefix { get; }

    /// <summary>How many pipelines were built (distinct ones shared between operations count once).</summary>
    public int PipelineCount { get; private init; }

    /// <summary>Whether some route's pipelines have a cors policy (CORS preflight requests are then matched by the method they ask for).</summary>
    public bool HasCors { get; private init; }

    /// <summary>Whether the route's pipelines (for some product or none) have a cors policy: it answers CORS preflight requests.</summary>
    internal bool AnswersPreflight(Configuration.GatewayRoute route) =>
        HasCors && _parts.TryGetValue(route.Entry.Api, out var part) && part.Cors.Contains(route.RouteId);

    /// <summary>How many of the pipelines were the previous snapshot's instances, reused because nothing they are built from changed.</summary>
    public int PipelinesReused { get; private init; }

    /// <summary>How many expressions the snapshot's documents hold (each distinct document counted once).</summary>
    public int ExpressionCount { get; private init; }

    /// <summary>How many documents were compiled for this snapshot (the others were reused from the previous one).</summary>
    public int DocumentsCompiled { get; private init; }

    /// <summary>How many documents of this snapshot had their compiled expressions loaded from disk instead of compiled.</summary>
    public int DocumentsLoaded { get; private init; }

    /// <summary>How many distinct documents (and fragments) the snapshot uses.</summary>
    public int DocumentCount { get; private init; }

    /// <summary>
    /// Diagnostics: every document of the snapshot as loaded, by where it is (<c>global</c>, <c>product:{id}</c>,
    /// <c>api:{id}</c>, <c>operation:{api}/{operation}</c>, <c>fragment:{id}</c>, ids in lower case). Listed on first use.
    /// </summary>
    internal IReadOnlyDictionary<string, CachedPolicy> Documents => _documents ??=
        _others.Concat(_parts.Values.SelectMany(p => p.Located)).ToDictionary(l => l.Location, l => l.Policy, StringComparer.Ordinal);

    private Dictionary<string, CachedPolicy>? _documents;

    /// <summary>The documents outside any API (global, products, fragments); the APIs' are in their parts.</summary>
    private IReadOnlyList<Located> _others = [];

    /// <summary>The instance's JSON schemas by id (ignoring case), for <c>validate-content schema-id</c>.</summary>
    internal IReadOnlyDictionary<string, GatewaySchema> Schemas { get; private init; } = FrozenDictionary<string, GatewaySchema>.Empty;

    /// <summary>The instance's backends by id (ignoring case), for <c>set-backend-service backend-id</c>.</summary>
    internal IReadOnlyDictionary<string, GatewayBackend> Backends { get; private init; } = FrozenDictionary<string, GatewayBackend>.Empty;

    /// <summary>False once retired and left by every request (its expressions are unloaded).</summary>
    public bool IsLive => Volatile.Read(ref _references) > 0;

    /// <summary>The policies of the operation behind a route, or null when none applies to it.</summary>
    internal OperationPolicies? Find(Configuration.GatewayRoute route) =>
        _parts.TryGetValue(route.Entry.Api, out var part) ? part.Operations.GetValueOrDefault(route.RouteId) : null;

    /// <summary>The policies of the operation behind a route id (diagnostics and tests: builds an index on first use).</summary>
    internal OperationPolicies? Find(string routeId)
    {
        var index = _byRouteId ??= _parts.Values.SelectMany(p => p.Operations).ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);
        return index.GetValueOrDefault(routeId);
    }

    internal ProductInfo? ProductInfo(string id) => _products.GetValueOrDefault(id);

    /// <summary>Enters a request; false when the runtime has been retired and unloaded (read the current state again).</summary>
    public bool TryEnter()
    {
        if (_expressions.Length == 0)
        {
            return true;
        }

        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Leaves a request entered with <see cref="TryEnter"/>.</summary>
    public void Leave()
    {
        if (_expressions.Length > 0 && Interlocked.Decrement(ref _references) == 0)
        {
            foreach (var expressions in _expressions)
            {
                expressions.Release();
            }
        }
    }

    /// <summary>The snapshot was replaced: unload once the requests still running on it are done.</summary>
    public void Retire() => Leave();

    internal void Trace(PolicyContext context, string source, string message) =>
        Log.Trace(Services?.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, context.Http.TraceIdentifier, source, message);

    internal void DeferredFailed(PolicyContext context, PolicyHandler handler, Exception e) =>
        Log.DeferredFailed(Services?.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, context.Http.TraceIdentifier, handler.Location.Name, e.Message);

    /// <summary>
    /// Builds the policies of <paramref name="snapshot"/> for the operations of <paramref name="state"/>. A document
    /// that cannot be loaded (invalid, expressions that do not compile, a policy this gateway cannot build) fails only
    /// the pipelines it belongs to: they answer 500 naming the problem (<see cref="PolicyPipeline.Problem"/>), it is
    /// listed in <see cref="Problems"/>, and every other operation serves.
    /// </summary>
    public static PolicyRuntime Build(GatewaySnapshot snapshot, GatewayState state, PolicyServices services) =>
        Build(snapshot, state, services, null);

    /// <summary>
    /// <see cref="Build(GatewaySnapshot, GatewayState, PolicyServices)"/> reusing what <paramref name="cache"/> kept
    /// from the instance's previous snapshot: only new or changed documents are compiled (together, in one assembly),
    /// and the pipelines whose documents, fragments and scopes are unchanged are the previous snapshot's instances.
    /// Without a cache everything is compiled and built, and the runtime alone holds its expressions.
    /// </summary>
    internal static PolicyRuntime Build(GatewaySnapshot snapshot, GatewayState state, PolicyServices services, PolicyCompileCache? cache)
    {
        if (cache is null)
        {
            var own = new PolicyCompileCache();
            try
            {
                return Build(snapshot, state, services, own);
            }
            finally
            {
                own.Forget(snapshot.ServiceName);
            }
        }

        lock (cache.Gate)
        {
            try
            {
                return BuildCached(snapshot, state, services, cache);
            }
            catch
            {
                // What this build compiled and nothing uses goes now; the instance's last snapshot keeps its own.
                cache.EvictUnused();
                throw;
            }
        }
    }

    private static PolicyRuntime BuildCached(GatewaySnapshot snapshot, GatewayState state, PolicyServices services, PolicyCompileCache cache)
    {
        var owner = snapshot.ServiceName;
        var problems = new List<string>();
        var namedValues = new NamedValues(snapshot.NamedValues);
        var pending = new Dictionary<string, Pending>(StringComparer.Ordinal);

        // The documents located by this build (not taken from a reused API's part): the rebuilt APIs' are among them.
        // Every reused part brings its own, already loaded; nothing here walks the documents of the whole instance.
        var fresh = new List<(string Location, string What, string Key)>();

        // 1. Every new place's key; the documents the cache does not hold are loaded (parsed, validated) for compiling.
        string? Locate(string location, string what, string? xml, string? format, bool fragment)
        {
            if (!fragment && string.IsNullOrWhiteSpace(xml))
            {
                return null;
            }

            xml ??= "";
            var escaped = IsEscaped(format);
            var key = PolicyCompileCache.KeyOf(xml, escaped, fragment, namedValues);
            if (cache.Find(key) is null && !pending.ContainsKey(key))
            {
                pending[key] = fragment ? LoadFragment(key, xml, escaped, namedValues) : LoadDocument(key, xml, escaped, namedValues);
            }

            fresh.Add((location, what, key));
            return key;
        }

        var globalKey = Locate("global", "the global policy", snapshot.Policy, snapshot.PolicyFormat, false);
        var productKeys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var product in snapshot.Products)
        {
            if (Locate("product:" + product.Id.ToLowerInvariant(), $"the policy of product '{product.Id}'", product.Policy, product.PolicyFormat, false) is { } key)
            {
                productKeys[product.Id] = key;
            }
        }

        var fragmentKeys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var fragment in snapshot.PolicyFragments)
        {
            fragmentKeys[fragment.Id] = Locate("fragment:" + fragment.Id.ToLowerInvariant(), $"policy fragment '{fragment.Id}'", fragment.Value, fragment.Format, true)!;
        }

        var outside = fresh.Count;

        // An API whose object is the previous snapshot's (management shares unchanged APIs between snapshots) keeps
        // its documents and its operations' policies when nothing they depend on beyond the API changed: the global
        // policy, the products, the fragments and the named values (the context). A part with problems is looked at
        // again.
        var context = Context(snapshot, globalKey, productKeys, fragmentKeys, namedValues);
        var prior = cache.ApiPartsOf(owner, services, context);
        var apiKeys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var operationKeys = new Dictionary<(string, string), string>();
        var anyDocument = outside > 0;
        foreach (var api in snapshot.Apis)
        {
            if (prior.TryGetValue(api, out var part) && !part.HasProblems)
            {
                anyDocument |= part.Located.Count > 0;
                continue;
            }

            if (Locate("api:" + api.Id.ToLowerInvariant(), $"the policy of API '{api.Id}'", api.Policy, api.PolicyFormat, false) is { } key)
            {
                apiKeys[api.Id] = key;
            }

            foreach (var op in api.Operations)
            {
                var at = api.Id.ToLowerInvariant() + "/" + op.Id.ToLowerInvariant();
                if (Locate("operation:" + at, $"the policy of operation '{api.Id}/{op.Id}'", op.Policy, op.PolicyFormat, false) is { } opKey)
                {
                    operationKeys[(api.Id.ToLowerInvariant(), op.Id.ToLowerInvariant())] = opKey;
                }
            }
        }

        anyDocument |= fresh.Count > 0;

        // 2. The new documents are compiled together, into one assembly, and kept.
        var (compiled, compilations, loaded) = CompilePending(pending.Values.ToList(), cache.Assemblies);
        cache.Add(compiled, compilations, loaded);

        // 3. Each new place's document as loaded; what could not be loaded is a problem of the operations it applies to.
        var problemOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var others = new List<Located>(outside);
        var locatedByApi = new Dictionary<string, List<Located>>(StringComparer.Ordinal);
        for (var i = 0; i < fresh.Count; i++)
        {
            var (location, what, key) = fresh[i];
            var policy = cache.Find(key)!;
            if (policy.Reason is { } reason)
            {
                var problem = namedValues.Redact($"{what} cannot be loaded: {reason}");
                problemOf[location] = problem;
                problems.Add(problem);
            }

            if (i < outside)
            {
                others.Add(new Located(location, what, policy));
            }
            else if (ApiIdOf(location) is { } apiId)
            {
                if (!locatedByApi.TryGetValue(apiId, out var list))
                {
                    locatedByApi[apiId] = list = [];
                }

                list.Add(new Located(location, what, policy));
            }
        }

        Doc? DocOf(string? key, string location) =>
            key is null ? null : new Doc(cache.Find(key)!, problemOf.GetValueOrDefault(location));

        var global = DocOf(globalKey, "global");
        var groupNames = GroupNamesOf(snapshot);
        var products = snapshot.Products.ToFrozenDictionary(
            p => p.Id,
            p => new ProductInfo(p, state.FindApi, groupNames),
            StringComparer.OrdinalIgnoreCase);
        var otherPolicies = others.Select(l => l.Policy).ToArray();
        if (!anyDocument)
        {
            cache.Commit(owner, services, context, otherPolicies, new Dictionary<GatewayApi, ApiPart>(ReferenceEqualityComparer.Instance), []);
            return new PolicyRuntime(new Dictionary<GatewayApi, ApiPart>(), products, [], services, snapshot, groupNames);
        }

        // 4. Pipelines: an unchanged one is the previous snapshot's instance; the others are built.
        var fragments = new Dictionary<string, PolicyDocument>(StringComparer.OrdinalIgnoreCase);
        var brokenFragments = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var fragment in snapshot.PolicyFragments)
        {
            var location = "fragment:" + fragment.Id.ToLowerInvariant();
            if (cache.Find(fragmentKeys[fragment.Id])!.Document is { } document)
            {
                fragments[fragment.Id] = document;
            }
            else
            {
                brokenFragments[fragment.Id] = problemOf[location];
            }
        }

        var previous = cache.PipelinesOf(owner, services);
        var builder = new PolicyBuilder(cache.FindExpression, fragments, services, brokenFragments) { Redact = namedValues.Redact };
        var productsByApi = snapshot.Products
            .SelectMany(p => p.ApiIds.Select(a => (Api: a, Product: p)))
            .ToLookup(x => x.Api, x => x.Product, StringComparer.OrdinalIgnoreCase);
        var pipelines = new Dictionary<(string Product, string Api, string Operation), PolicyPipeline?>();
        var parts = new Dictionary<GatewayApi, ApiPart>(state.ApiRoutes.Count, ReferenceEqualityComparer.Instance);
        var added = new List<(GatewayApi Api, ApiPart Part)>();
        var batches = new List<SharedExpressions>(state.ApiRoutes.Count + outside);
        var reused = 0;
        var reusedPipelines = 0;
        var hasCors = false;
        foreach (var apiRoutes in state.ApiRoutes)
        {
            if (prior.TryGetValue(apiRoutes.Api, out var same) && !same.HasProblems)
            {
                parts[apiRoutes.Api] = same;
                reused += same.PipelineCount;
                reusedPipelines += same.PipelineCount;
                hasCors |= same.Cors.Count > 0;
                batches.AddRange(same.Batches);
                continue;
            }

            var part = new ApiPart { Located = locatedByApi.GetValueOrDefault(apiRoutes.Api.Id.ToLowerInvariant()) ?? [] };
            var apiPipelines = new HashSet<PolicyPipeline>(ReferenceEqualityComparer.Instance);
            foreach (var route in apiRoutes.Routes)
            {
                var policies = PoliciesOf(route.Entry, part);
                if (policies is null)
                {
                    continue;
                }

                part.Operations[route.RouteId] = policies;
                if (policies.WithoutProduct?.Cors.Length > 0 || policies.ByProduct.Values.Any(p => p?.Cors.Length > 0))
                {
                    part.Cors.Add(route.RouteId);
                }

                foreach (var pipeline in policies.ByProduct.Values.Append(policies.WithoutProduct))
                {
                    if (pipeline is not null)
                    {
                        apiPipelines.Add(pipeline);
                    }
                }
            }

            part.PipelineCount = apiPipelines.Count;

            // Only a part built without problems is reused: a broken document is looked at again next time.
            part.HasProblems = part.Located.Any(l => problemOf.ContainsKey(l.Location));
            part.Batches = part.Located.Select(l => l.Policy.Shared).OfType<SharedExpressions>().Distinct().ToArray();
            parts[apiRoutes.Api] = part;
            added.Add((apiRoutes.Api, part));
            hasCors |= part.Cors.Count > 0;
            batches.AddRange(part.Batches);
        }

        // The pipelines of one API's operations (their keys name the API, so no two APIs share one); the ones kept for
        // the next snapshot are also recorded in the API's part, which that snapshot may take as it is.
        OperationPolicies? PoliciesOf(OperationEntry entry, ApiPart part)
        {
            var api = entry.Api;
            var op = entry.Operation;
            var apiDoc = DocOf(apiKeys.GetValueOrDefault(api.Id), "api:" + api.Id.ToLowerInvariant());
            var opLocation = "operation:" + api.Id.ToLowerInvariant() + "/" + op.Id.ToLowerInvariant();
            var opDoc = DocOf(operationKeys.GetValueOrDefault((api.Id.ToLowerInvariant(), op.Id.ToLowerInvariant())), opLocation);
            var opKey = opDoc is null ? "" : op.Id.ToLowerInvariant();

            PolicyPipeline? PipelineFor(GatewayProduct? product)
            {
                var productDoc = product is null ? null : DocOf(productKeys.GetValueOrDefault(product.Id), "product:" + product.Id.ToLowerInvariant());
                var key = (productDoc is null ? "" : product!.Id.ToLowerInvariant(), api.Id.ToLowerInvariant(), opKey);
                if (!pipelines.TryGetValue(key, out var pipeline))
                {
                    var signature = Signature(snapshot.ServiceName, key, product, api, op, [global, productDoc, apiDoc, opDoc], fragmentKeys, cache);
                    if (signature is not null && previous.TryGet(api.Id, signature, out var same))
                    {
                        pipeline = same;
                        reused++;
                    }
                    else
                    {
                        pipeline = BuildPipeline(builder, global, productDoc, apiDoc, opDoc, ScopeKeys(snapshot.ServiceName, product, api, op), $"operation '{api.Id}/{op.Id}'", api.IsWebSocket, problems);
                    }

                    if (signature is not null && pipeline is { Problem: null })
                    {
                        part.Kept[signature] = pipeline;
                    }

                    pipelines[key] = pipeline;
                }

                return pipeline;
            }

            var byProduct = new Dictionary<string, PolicyPipeline?>(StringComparer.OrdinalIgnoreCase);
            foreach (var product in productsByApi[api.Id])
            {
                byProduct[product.Id] = PipelineFor(product);
            }

            var without = PipelineFor(null);
            if (without is null && byProduct.Values.All(p => p is null))
            {
                return null;
            }

            return new OperationPolicies
            {
                Api = ApiInfo.Of(api),
                Operation = new OperationInfo(op),
                Definition = op,
                WithoutProduct = without,
                ByProduct = byProduct.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            };
        }

        // 5. The runtime holds the assemblies of what it uses (the same one as often as parts use it); the cache
        // counts what this snapshot added and removed, keeps what it uses and lets the rest go.
        batches.AddRange(otherPolicies.Select(p => p.Shared).OfType<SharedExpressions>());
        foreach (var batch in batches)
        {
            batch.Acquire();
        }

        var usage = cache.Commit(owner, services, context, otherPolicies, parts, added);
        return new PolicyRuntime(parts, products, [.. batches], services, snapshot, groupNames)
        {
            PipelineCount = pipelines.Values.Count(p => p is not null) + reusedPipelines,
            PipelinesReused = reused,
            DocumentsCompiled = compiled.Count - loaded,
            DocumentsLoaded = loaded,
            DocumentCount = usage.Documents,
            ExpressionCount = usage.Expressions,
            _others = others,
            Schemas = snapshot.Schemas.DistinctBy(g => g.Id, StringComparer.OrdinalIgnoreCase).ToFrozenDictionary(g => g.Id, StringComparer.OrdinalIgnoreCase),
            Backends = snapshot.Backends.DistinctBy(b => b.Id, StringComparer.OrdinalIgnoreCase).ToFrozenDictionary(b => b.Id, StringComparer.OrdinalIgnoreCase),
            HasCors = hasCors,
            Problems = problems.Select(namedValues.Redact).Distinct(StringComparer.Ordinal).ToArray(),
        };
    }

    /// <summary>The API (id in lower case) a document location belongs to: <c>api:{id}</c>, <c>operation:{id}/{op}</c>; else null.</summary>
    private static string? ApiIdOf(string location)
    {
        if (location.StartsWith("api:", StringComparison.Ordinal))
        {
            return location[4..];
        }

        if (location.StartsWith("operation:", StringComparison.Ordinal))
        {
            var slash = location.IndexOf('/', 10);
            return slash < 0 ? null : location[10..slash];
        }

        return null;
    }

    /// <summary>
    /// What every API's pipelines depend on beyond the API itself: the global policy's key, each product's policy key
    /// and APIs, each fragment's key, and the named values (by their SHA-256). An API part is reused only under the
    /// same context.
    /// </summary>
    private static string Context(GatewaySnapshot snapshot, string? globalKey, Dictionary<string, string> productKeys, Dictionary<string, string> fragmentKeys, NamedValues namedValues)
    {
        var sb = new StringBuilder();
        sb.Append(globalKey ?? "-");
        foreach (var product in snapshot.Products)
        {
            sb.Append("|p:").Append(product.Id).Append('=').Append(productKeys.GetValueOrDefault(product.Id) ?? "-").Append(':').AppendJoin(',', product.ApiIds);
        }

        foreach (var (id, key) in fragmentKeys.OrderBy(f => f.Key, StringComparer.OrdinalIgnoreCase))
        {
            sb.Append("|f:").Append(id).Append('=').Append(key);
        }

        sb.Append("|n:").Append(namedValues.Fingerprint);
        return sb.ToString();
    }

    /// <summary>What could not be loaded or built (each fails only the pipelines it belongs to); logged when the snapshot is applied.</summary>
    public IReadOnlyList<string> Problems { get; private init; } = [];

    /// <summary>
    /// What a pipeline is built from: its (product, API, operation) key and the ids its scopes are named by, whether it
    /// is a WebSocket API's handshake (which skips some inherited policies), the keys
    /// of its documents and of every fragment they include (directly or through other fragments, or that none of that
    /// id exists). Null when a document of it could not be loaded (such a pipeline is never kept).
    /// </summary>
    private static string? Signature(
        string service,
        (string Product, string Api, string Operation) key,
        GatewayProduct? product,
        GatewayApi api,
        GatewayOperation op,
        Doc?[] docs,
        Dictionary<string, string> fragmentKeys,
        PolicyCompileCache cache)
    {
        var sb = new StringBuilder();
        sb.Append(service).Append('|').Append(key.Product).Append('|').Append(key.Api).Append('|').Append(key.Operation).Append('|')
            .Append(key.Product.Length > 0 ? product!.Id : "").Append('|').Append(api.Id).Append('|').Append(op.Id)
            .Append(api.IsWebSocket ? "|websocket" : "");
        var includes = new Stack<string>();
        foreach (var doc in docs)
        {
            if (doc?.Problem is not null)
            {
                return null;
            }

            sb.Append('|').Append(doc?.Policy.Key ?? "-");
            foreach (var id in doc?.Policy.Includes ?? [])
            {
                includes.Push(id);
            }
        }

        var seen = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (includes.TryPop(out var id))
        {
            if (seen.ContainsKey(id))
            {
                continue;
            }

            if (fragmentKeys.TryGetValue(id, out var fragmentKey))
            {
                seen[id] = fragmentKey;
                foreach (var inner in cache.Find(fragmentKey)!.Includes)
                {
                    includes.Push(inner);
                }
            }
            else
            {
                seen[id] = "-";
            }
        }

        foreach (var (id, fragmentKey) in seen)
        {
            sb.Append("|fragment:").Append(id.ToLowerInvariant()).Append('=').Append(fragmentKey);
        }

        return sb.ToString();
    }

    /// <summary>One pipeline; a document of it that could not be loaded, or a build failure, makes it a pipeline that answers 500 naming why.</summary>
    private static PolicyPipeline? BuildPipeline(PolicyBuilder builder, Doc? global, Doc? product, Doc? api, Doc? operation, ScopeKeys scopes, string what, bool webSocketHandshake, List<string> problems)
    {
        foreach (var doc in (Doc?[])[global, product, api, operation])
        {
            if (doc?.Problem is { } problem)
            {
                return PolicyPipeline.Broken(problem);
            }
        }

        try
        {
            var effective = EffectivePolicy.Merge(global?.Policy.Document, product?.Policy.Document, api?.Policy.Document, operation?.Policy.Document);
            return builder.BuildPipeline(effective, scopes, webSocketHandshake);
        }
        catch (Exception e) when (e is PolicyBuildException or FormatException or OverflowException or ArgumentException or InvalidOperationException)
        {
            var problem = builder.Redact($"The policies of {what} cannot be built: {e.Message}");
            problems.Add(problem);
            return PolicyPipeline.Broken(problem);
        }
    }

    /// <summary>The most expressions compiled into one assembly: more pending than this are compiled in chunks, in parallel.</summary>
    internal const int ExpressionsPerCompilation = 2000;

    /// <summary>
    /// Compiles the pending documents: together when they are few, else in chunks of about
    /// <see cref="ExpressionsPerCompilation"/> expressions compiled side by side (a cold start with thousands of
    /// documents uses every core and no compilation grows without bound). Documents whose compiled expressions
    /// <paramref name="store"/> holds are loaded from it instead, and what is compiled is saved to it. Returns how many
    /// compilations were made and how many documents were loaded.
    /// </summary>
    private static (List<CachedPolicy> Compiled, int Compilations, int Loaded) CompilePending(List<Pending> pending, PolicyAssemblyStore? store)
    {
        if (pending.Count == 0)
        {
            return ([], 0, 0);
        }

        var loaded = store is null ? [] : LoadSaved(pending, store);
        if (loaded.Count > 0)
        {
            var found = loaded.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
            pending = pending.Where(p => !found.Contains(p.Key)).ToList();
        }

        var chunks = new List<List<Pending>> { new() };
        var size = 0;
        foreach (var p in pending)
        {
            var count = p.Document is null ? 0 : p.Sources.Count;
            if (size > 0 && size + count > ExpressionsPerCompilation)
            {
                chunks.Add([]);
                size = 0;
            }

            chunks[^1].Add(p);
            size += count;
        }

        var results = new (List<CachedPolicy> Policies, bool NewCompilation)[chunks.Count];
        if (chunks.Count == 1)
        {
            results[0] = CompileChunk(chunks[0], store);
        }
        else
        {
            Parallel.For(0, chunks.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => results[i] = CompileChunk(chunks[i], store));
        }

        return ([.. loaded, .. results.SelectMany(r => r.Policies)], results.Count(r => r.NewCompilation), loaded.Count);
    }

    /// <summary>The pending documents whose compiled expressions the store holds, loaded one image at a time.</summary>
    private static List<CachedPolicy> LoadSaved(List<Pending> pending, PolicyAssemblyStore store)
    {
        var result = new List<CachedPolicy>();
        var byImage = pending
            .Where(p => p.Document is not null && p.Sources.Count > 0)
            .Select(p => (Pending: p, Location: store.Find(p.Key)))
            .Where(x => x.Location is { } at && at.Count == x.Pending.Sources.Count)
            .GroupBy(x => x.Location!.Image, StringComparer.Ordinal);
        foreach (var image in byImage)
        {
            var sources = new PolicyExpressionSource?[image.Max(x => x.Location!.Offset + x.Location.Count)];
            foreach (var (p, at) in image)
            {
                for (var i = 0; i < at!.Count; i++)
                {
                    sources[at.Offset + i] = p.Sources[i];
                }
            }

            if (store.Load(image.First().Location!, sources) is not { } expressions)
            {
                continue;
            }

            var shared = new SharedExpressions(expressions);
            result.AddRange(image.Select(x => new CachedPolicy
            {
                Key = x.Pending.Key,
                Document = x.Pending.Document,
                Shared = shared,
                ExpressionCount = x.Pending.Sources.Count,
                Includes = Included(x.Pending.Document!),
                Image = image.Key,
            }));
        }

        return result;
    }

    /// <summary>
    /// Compiles the expressions of the documents into one assembly (saved to <paramref name="store"/> when there is one).
    /// When that fails, the documents whose expressions do not compile on their own are marked as not loaded and the
    /// rest is compiled again.
    /// </summary>
    private static (List<CachedPolicy> Compiled, bool NewCompilation) CompileChunk(List<Pending> pending, PolicyAssemblyStore? store)
    {
        string? image = null;
        CompiledPolicyExpressions? Compile()
        {
            var documents = pending.Where(p => p.Document is not null).ToArray();
            var sources = documents.SelectMany(p => p.Sources).ToArray();
            return sources.Length == 0 ? null : PolicyExpressionCompiler.Default.Compile(
                sources,
                store is null ? null : bytes => image = store.Save(documents.Select(p => (p.Key, p.Sources.Count)).ToArray(), bytes));
        }

        CompiledPolicyExpressions? expressions = null;
        try
        {
            expressions = Compile();
        }
        catch (PolicyExpressionCompilationException)
        {
            foreach (var p in pending.Where(p => p.Document is not null))
            {
                var errors = PolicyExpressionCompiler.Default.Check(p.Document!);
                if (errors.Count > 0)
                {
                    p.Fail($"its expressions do not compile: {string.Join("; ", errors)}");
                }
            }

            try
            {
                expressions = Compile();
            }
            catch (PolicyExpressionCompilationException e)
            {
                // Only together do they fail (should not happen): none of them is loaded.
                foreach (var p in pending.Where(p => p.Document is not null))
                {
                    p.Fail($"the snapshot's expressions do not compile: {string.Join("; ", e.Errors)}");
                }
            }
        }

        var shared = expressions is null ? null : new SharedExpressions(expressions);
        var result = pending.Select(p => new CachedPolicy
        {
            Key = p.Key,
            Document = p.Document,
            Reason = p.Reason,
            Shared = p.Document is null ? null : shared,
            ExpressionCount = p.Document is null ? 0 : p.Sources.Count,
            Includes = p.Document is null ? [] : Included(p.Document),
            Image = p.Document is null || p.Sources.Count == 0 ? null : image,
        }).ToList();
        if (shared is not null && result.All(p => p.Shared is null))
        {
            expressions!.Dispose();
        }

        return (result, expressions is not null);
    }

    /// <summary>The ids of the fragments a document includes, anywhere in it.</summary>
    private static string[] Included(PolicyDocument document)
    {
        var result = new List<string>();
        var pending = new Stack<PolicyElement>(document.Sections.SelectMany(s => s.Elements));
        while (pending.TryPop(out var el))
        {
            if (el.Name == "include-fragment" && el["fragment-id"] is { } id && !result.Contains(id, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(id);
            }

            foreach (var child in el.Children)
            {
                pending.Push(child);
            }
        }

        return [.. result];
    }

    /// <summary>A document a build has not found in the cache: loaded, then compiled with the other new ones.</summary>
    private sealed class Pending(string key, PolicyDocument? document, string? reason)
    {
        public string Key { get; } = key;

        public PolicyDocument? Document { get; private set; } = document;

        public string? Reason { get; private set; } = reason;

        public IReadOnlyList<PolicyExpressionSource> Sources { get; } = document is null ? [] : PolicyExpressionSource.FromDocument(document);

        public void Fail(string reason)
        {
            Document = null;
            Reason = reason;
        }
    }

    /// <summary>A document of a pipeline: as loaded (shared by every place with the same content) and its problem named for this place.</summary>
    private sealed record Doc(CachedPolicy Policy, string? Problem);

    /// <summary>Counter scopes of each policy level (rate-limit and quota count per subscription per scope).</summary>
    private static ScopeKeys ScopeKeys(string service, GatewayProduct? product, GatewayApi api, GatewayOperation op)
    {
        var instance = Handlers.CounterKeys.Instance(service);
        return new(
            instance + "global",
            instance + Handlers.CounterKeys.ProductScope(product?.Id),
            instance + Handlers.CounterKeys.ApiScope(api.Id),
            instance + "operation:" + api.Id.ToLowerInvariant() + "/" + op.Id.ToLowerInvariant());
    }

    private static bool IsEscaped(string? format) => string.Equals(format, "xml", StringComparison.OrdinalIgnoreCase);

    private static Pending LoadDocument(string key, string xml, bool escaped, NamedValues namedValues)
    {
        var (document, errors) = PolicyValidator.Load(xml, namedValues, escaped);
        return document is null
            ? new Pending(key, null, string.Join("; ", errors))
            : new Pending(key, document, null);
    }

    private static Pending LoadFragment(string key, string xml, bool escaped, NamedValues namedValues)
    {
        try
        {
            return new Pending(key, PolicyFragment.Parse(xml, namedValues, escaped), null);
        }
        catch (PolicyDocumentException e)
        {
            return new Pending(key, null, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.PolicyTrace, LogLevel.Information, "Request {RequestId} trace from {Source}: {Message}")]
        public static partial void Trace(ILogger logger, string requestId, string source, string message);

        [LoggerMessage(EventIds.PolicyAfterResponseFailed, LogLevel.Warning, "Request {RequestId}: {Policy} could not finish after the response: {Message}")]
        public static partial void DeferredFailed(ILogger logger, string requestId, string policy, string message);
    }
}

/// <summary>Counter-key scopes of the four policy levels for one (product, API, operation).</summary>
internal sealed record ScopeKeys(string Global, string Product, string Api, string Operation)
{
    public string Of(PolicyScopeLevel level) => level switch
    {
        PolicyScopeLevel.Global => Global,
        PolicyScopeLevel.Product => Product,
        PolicyScopeLevel.Api => Api,
        _ => Operation,
    };
}
