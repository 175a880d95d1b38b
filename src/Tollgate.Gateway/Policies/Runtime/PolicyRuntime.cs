using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Configuration;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// The policies of one snapshot: every document parsed and validated, every expression compiled into one assembly, and
/// an immutable pipeline per (operation, product or none). Built when the snapshot is applied, never per request.
/// </summary>
/// <remarks>
/// The compiled expressions are unloaded when the runtime is retired (its snapshot replaced) and the last request that
/// entered it has left: <see cref="TryEnter"/> / <see cref="Leave"/> count the requests, <see cref="Retire"/> drops the
/// owner's reference. A runtime without expressions has nothing to unload and counts nothing.
/// </remarks>
public sealed partial class PolicyRuntime
{
    private readonly FrozenDictionary<string, OperationPolicies> _operations;
    private readonly FrozenDictionary<string, ProductInfo> _products;
    private readonly CompiledPolicyExpressions? _expressions;
    private int _references = 1;

    private PolicyRuntime(
        FrozenDictionary<string, OperationPolicies> operations,
        FrozenDictionary<string, ProductInfo> products,
        CompiledPolicyExpressions? expressions,
        PolicyServices? services,
        string serviceName)
    {
        _operations = operations;
        _products = products;
        _expressions = expressions;
        Services = services;
        Deployment = new DeploymentInfo(serviceName);
        KeyPrefix = Handlers.CounterKeys.Instance(serviceName);
    }

    /// <summary>No policies anywhere.</summary>
    public static PolicyRuntime Empty { get; } = new(FrozenDictionary<string, OperationPolicies>.Empty, FrozenDictionary<string, ProductInfo>.Empty, null, null, "");

    internal PolicyServices? Services { get; }

    internal TimeProvider Time => Services?.Time ?? TimeProvider.System;

    internal IDeployment Deployment { get; }

    /// <summary>The instance's prefix of by-key counter keys and cache keys (<see cref="Handlers.CounterKeys.Instance"/>).</summary>
    internal string KeyPrefix { get; }

    /// <summary>How many pipelines were built (distinct ones shared between operations count once).</summary>
    public int PipelineCount { get; private init; }

    /// <summary>Routes whose pipelines (for some product or none) have a cors policy: routing lets CORS preflight requests reach them.</summary>
    public IReadOnlySet<string> CorsRoutes { get; private init; } = FrozenSet<string>.Empty;

    /// <summary>How many expressions the snapshot's assembly holds.</summary>
    public int ExpressionCount => _expressions?.Expressions.Count ?? 0;

    /// <summary>False once retired and left by every request (its expressions are unloaded).</summary>
    public bool IsLive => Volatile.Read(ref _references) > 0;

    /// <summary>The policies of the operation behind a route, or null when none applies to it.</summary>
    internal OperationPolicies? Find(string routeId) => _operations.GetValueOrDefault(routeId);

    internal ProductInfo? ProductInfo(string id) => _products.GetValueOrDefault(id);

    /// <summary>Enters a request; false when the runtime has been retired and unloaded (read the current state again).</summary>
    public bool TryEnter()
    {
        if (_expressions is null)
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
        if (_expressions is not null && Interlocked.Decrement(ref _references) == 0)
        {
            _expressions.Dispose();
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
    public static PolicyRuntime Build(GatewaySnapshot snapshot, GatewayState state, PolicyServices services)
    {
        var problems = new List<string>();
        var all = new List<Loaded>();
        var namedValues = new NamedValues(snapshot.NamedValues);
        Loaded? Load(string? xml, string? format, string what)
        {
            if (string.IsNullOrWhiteSpace(xml))
            {
                return null;
            }

            var loaded = LoadDocument(xml, IsEscaped(format), namedValues, what);
            all.Add(loaded);
            return loaded;
        }

        var global = Load(snapshot.Policy, snapshot.PolicyFormat, "the global policy");
        var productDocs = new Dictionary<string, Loaded>(StringComparer.OrdinalIgnoreCase);
        foreach (var product in snapshot.Products)
        {
            if (Load(product.Policy, product.PolicyFormat, $"the policy of product '{product.Id}'") is { } doc)
            {
                productDocs[product.Id] = doc;
            }
        }

        var apiDocs = new Dictionary<string, Loaded>(StringComparer.OrdinalIgnoreCase);
        var operationDocs = new Dictionary<(string, string), Loaded>();
        foreach (var api in snapshot.Apis)
        {
            if (Load(api.Policy, api.PolicyFormat, $"the policy of API '{api.Id}'") is { } doc)
            {
                apiDocs[api.Id] = doc;
            }

            foreach (var op in api.Operations)
            {
                if (Load(op.Policy, op.PolicyFormat, $"the policy of operation '{api.Id}/{op.Id}'") is { } opDoc)
                {
                    operationDocs[(api.Id.ToLowerInvariant(), op.Id.ToLowerInvariant())] = opDoc;
                }
            }
        }

        var fragmentDocs = new Dictionary<string, Loaded>(StringComparer.OrdinalIgnoreCase);
        foreach (var fragment in snapshot.PolicyFragments)
        {
            var loaded = LoadFragment(fragment, namedValues);
            fragmentDocs[fragment.Id] = loaded;
            all.Add(loaded);
        }

        var apiInfos = snapshot.Apis.ToDictionary(a => a.Id, a => new ApiInfo(a), StringComparer.OrdinalIgnoreCase);
        var products = snapshot.Products.ToFrozenDictionary(
            p => p.Id,
            p => new ProductInfo(p, p.ApiIds.Select(id => apiInfos.GetValueOrDefault(id)).OfType<IApi>().ToArray()),
            StringComparer.OrdinalIgnoreCase);
        if (all.Count == 0)
        {
            return new PolicyRuntime(FrozenDictionary<string, OperationPolicies>.Empty, products, null, services, snapshot.ServiceName);
        }

        var expressions = CompileLoaded(all);
        problems.AddRange(all.Where(l => l.Problem is not null).Select(l => l.Problem!));
        try
        {
            var fragments = fragmentDocs.Where(f => f.Value.Document is not null).ToDictionary(f => f.Key, f => f.Value.Document!, StringComparer.OrdinalIgnoreCase);
            var brokenFragments = fragmentDocs.Where(f => f.Value.Problem is not null).ToDictionary(f => f.Key, f => f.Value.Problem!, StringComparer.OrdinalIgnoreCase);
            var builder = new PolicyBuilder(expressions, fragments, services, brokenFragments) { Redact = namedValues.Redact };
            var productsByApi = snapshot.Products
                .SelectMany(p => p.ApiIds.Select(a => (Api: a, Product: p)))
                .ToLookup(x => x.Api, x => x.Product, StringComparer.OrdinalIgnoreCase);
            var pipelines = new Dictionary<(string Product, string Api, string Operation), PolicyPipeline?>();
            var operations = new Dictionary<string, OperationPolicies>(StringComparer.Ordinal);
            foreach (var (routeId, entry) in state.Operations)
            {
                var api = entry.Api;
                var op = entry.Operation;
                var apiDoc = apiDocs.GetValueOrDefault(api.Id);
                var opDoc = operationDocs.GetValueOrDefault((api.Id.ToLowerInvariant(), op.Id.ToLowerInvariant()));
                var opKey = opDoc is null ? "" : op.Id.ToLowerInvariant();

                PolicyPipeline? PipelineFor(GatewayProduct? product)
                {
                    var productDoc = product is null ? null : productDocs.GetValueOrDefault(product.Id);
                    var key = (productDoc is null ? "" : product!.Id.ToLowerInvariant(), api.Id.ToLowerInvariant(), opKey);
                    if (!pipelines.TryGetValue(key, out var pipeline))
                    {
                        pipeline = BuildPipeline(builder, global, productDoc, apiDoc, opDoc, ScopeKeys(snapshot.ServiceName, product, api, op), $"operation '{api.Id}/{op.Id}'", problems);
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
                    continue;
                }

                operations[routeId] = new OperationPolicies
                {
                    Api = apiInfos[api.Id],
                    Operation = new OperationInfo(op),
                    Definition = op,
                    WithoutProduct = without,
                    ByProduct = byProduct.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
                };
            }

            return new PolicyRuntime(operations.ToFrozenDictionary(StringComparer.Ordinal), products, expressions, services, snapshot.ServiceName)
            {
                PipelineCount = pipelines.Values.Count(p => p is not null),
                CorsRoutes = operations
                    .Where(o => o.Value.WithoutProduct?.Cors.Length > 0 || o.Value.ByProduct.Values.Any(p => p?.Cors.Length > 0))
                    .Select(o => o.Key)
                    .ToFrozenSet(StringComparer.Ordinal),
                Problems = problems.Select(namedValues.Redact).Distinct(StringComparer.Ordinal).ToArray(),
            };
        }
        catch
        {
            expressions.Dispose();
            throw;
        }
    }

    /// <summary>What could not be loaded or built (each fails only the pipelines it belongs to); logged when the snapshot is applied.</summary>
    public IReadOnlyList<string> Problems { get; private init; } = [];

    /// <summary>One pipeline; a document of it that could not be loaded, or a build failure, makes it a pipeline that answers 500 naming why.</summary>
    private static PolicyPipeline? BuildPipeline(PolicyBuilder builder, Loaded? global, Loaded? product, Loaded? api, Loaded? operation, ScopeKeys scopes, string what, List<string> problems)
    {
        foreach (var loaded in (Loaded?[])[global, product, api, operation])
        {
            if (loaded?.Problem is { } problem)
            {
                return PolicyPipeline.Broken(problem);
            }
        }

        try
        {
            var effective = EffectivePolicy.Merge(global?.Document, product?.Document, api?.Document, operation?.Document);
            return builder.BuildPipeline(effective, scopes);
        }
        catch (Exception e) when (e is PolicyBuildException or FormatException or OverflowException or ArgumentException or InvalidOperationException)
        {
            var problem = builder.Redact($"The policies of {what} cannot be built: {e.Message}");
            problems.Add(problem);
            return PolicyPipeline.Broken(problem);
        }
    }

    /// <summary>
    /// Compiles the expressions of every loaded document into one assembly. When that fails, the documents whose
    /// expressions do not compile on their own are marked as not loaded and the rest is compiled again.
    /// </summary>
    private static CompiledPolicyExpressions CompileLoaded(List<Loaded> all)
    {
        try
        {
            return PolicyExpressionCompiler.Default.Compile(all.Where(l => l.Document is not null).Select(l => l.Document!));
        }
        catch (PolicyExpressionCompilationException)
        {
        }

        foreach (var loaded in all.Where(l => l.Document is not null))
        {
            var errors = PolicyExpressionCompiler.Default.Check(loaded.Document!);
            if (errors.Count > 0)
            {
                loaded.Fail($"{loaded.What} cannot be loaded: its expressions do not compile: {string.Join("; ", errors)}");
            }
        }

        try
        {
            return PolicyExpressionCompiler.Default.Compile(all.Where(l => l.Document is not null).Select(l => l.Document!));
        }
        catch (PolicyExpressionCompilationException e)
        {
            // Only together do they fail (should not happen): none of them is loaded.
            foreach (var loaded in all.Where(l => l.Document is not null))
            {
                loaded.Fail($"{loaded.What} cannot be loaded: the snapshot's expressions do not compile: {string.Join("; ", e.Errors)}");
            }

            return PolicyExpressionCompiler.Default.Compile(Array.Empty<PolicyDocument>());
        }
    }

    /// <summary>A stored document as the runtime loaded it: parsed and valid, or the reason it is not.</summary>
    private sealed class Loaded(string what, PolicyDocument? document, string? problem)
    {
        public string What { get; } = what;

        public PolicyDocument? Document { get; private set; } = document;

        public string? Problem { get; private set; } = problem;

        public void Fail(string problem)
        {
            Document = null;
            Problem = problem;
        }
    }

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

    private static Loaded LoadDocument(string xml, bool escaped, NamedValues namedValues, string what)
    {
        var errors = PolicyValidator.Validate(xml, namedValues, escaped);
        return errors.Count > 0
            ? new Loaded(what, null, $"{what} cannot be loaded: {string.Join("; ", errors)}")
            : new Loaded(what, PolicyDocument.Parse(xml, namedValues, escaped), null);
    }

    private static Loaded LoadFragment(GatewayPolicyFragment fragment, NamedValues namedValues)
    {
        var what = $"policy fragment '{fragment.Id}'";
        try
        {
            return new Loaded(what, PolicyFragment.Parse(fragment.Value, namedValues, IsEscaped(fragment.Format)), null);
        }
        catch (PolicyDocumentException e)
        {
            return new Loaded(what, null, $"{what} cannot be loaded: {e.Message}");
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
