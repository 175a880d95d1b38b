using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Configuration;

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
    }

    /// <summary>No policies anywhere.</summary>
    public static PolicyRuntime Empty { get; } = new(FrozenDictionary<string, OperationPolicies>.Empty, FrozenDictionary<string, ProductInfo>.Empty, null, null, "");

    internal PolicyServices? Services { get; }

    internal TimeProvider Time => Services?.Time ?? TimeProvider.System;

    internal IDeployment Deployment { get; }

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
    /// Builds the policies of <paramref name="snapshot"/> for the operations of <paramref name="state"/>. Throws
    /// <see cref="PolicyBuildException"/> naming the document and the problem when any cannot be built.
    /// </summary>
    public static PolicyRuntime Build(GatewaySnapshot snapshot, GatewayState state, PolicyServices services)
    {
        var documents = new List<PolicyDocument>();
        var global = Parse(snapshot.Policy, "the global policy", documents);
        var productDocs = new Dictionary<string, PolicyDocument>(StringComparer.OrdinalIgnoreCase);
        foreach (var product in snapshot.Products)
        {
            if (Parse(product.Policy, $"the policy of product '{product.Id}'", documents) is { } doc)
            {
                productDocs[product.Id] = doc;
            }
        }

        var apiDocs = new Dictionary<string, PolicyDocument>(StringComparer.OrdinalIgnoreCase);
        var operationDocs = new Dictionary<(string, string), PolicyDocument>();
        foreach (var api in snapshot.Apis)
        {
            if (Parse(api.Policy, $"the policy of API '{api.Id}'", documents) is { } doc)
            {
                apiDocs[api.Id] = doc;
            }

            foreach (var op in api.Operations)
            {
                if (Parse(op.Policy, $"the policy of operation '{api.Id}/{op.Id}'", documents) is { } opDoc)
                {
                    operationDocs[(api.Id.ToLowerInvariant(), op.Id.ToLowerInvariant())] = opDoc;
                }
            }
        }

        var fragments = new Dictionary<string, PolicyDocument>(StringComparer.OrdinalIgnoreCase);
        foreach (var fragment in snapshot.PolicyFragments)
        {
            var doc = ParseFragment(fragment);
            fragments[fragment.Id] = doc;
            documents.Add(doc);
        }

        var apiInfos = snapshot.Apis.ToDictionary(a => a.Id, a => new ApiInfo(a), StringComparer.OrdinalIgnoreCase);
        var products = snapshot.Products.ToFrozenDictionary(
            p => p.Id,
            p => new ProductInfo(p, p.ApiIds.Select(id => apiInfos.GetValueOrDefault(id)).OfType<IApi>().ToArray()),
            StringComparer.OrdinalIgnoreCase);
        if (documents.Count == 0)
        {
            return new PolicyRuntime(FrozenDictionary<string, OperationPolicies>.Empty, products, null, services, snapshot.ServiceName);
        }

        CompiledPolicyExpressions expressions;
        try
        {
            expressions = PolicyExpressionCompiler.Default.Compile(documents);
        }
        catch (PolicyExpressionCompilationException e)
        {
            throw new PolicyBuildException($"Policy expressions do not compile: {string.Join("; ", e.Errors)}", e);
        }

        try
        {
            var builder = new PolicyBuilder(expressions, fragments, services);
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
                        var effective = EffectivePolicy.Merge(global, productDoc, apiDoc, opDoc);
                        pipeline = builder.BuildPipeline(effective, ScopeKeys(product, api, op));
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
            };
        }
        catch
        {
            expressions.Dispose();
            throw;
        }
    }

    /// <summary>Counter scopes of each policy level (rate-limit and quota count per subscription per scope).</summary>
    private static ScopeKeys ScopeKeys(GatewayProduct? product, GatewayApi api, GatewayOperation op) => new(
        "global",
        Handlers.CounterKeys.ProductScope(product?.Id),
        Handlers.CounterKeys.ApiScope(api.Id),
        "operation:" + api.Id.ToLowerInvariant() + "/" + op.Id.ToLowerInvariant());

    private static PolicyDocument? Parse(string? xml, string what, List<PolicyDocument> documents)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            return null;
        }

        var errors = new List<Core.Policies.PolicyError>(PolicyValidator.Validate(xml));
        if (errors.Count > 0)
        {
            throw new PolicyBuildException($"{what} is not valid: {string.Join("; ", errors)}");
        }

        var document = PolicyDocument.Parse(xml);
        documents.Add(document);
        return document;
    }

    internal static PolicyDocument ParseFragment(GatewayPolicyFragment fragment)
    {
        try
        {
            return PolicyFragment.Parse(fragment.Value);
        }
        catch (PolicyDocumentException e)
        {
            throw new PolicyBuildException($"Policy fragment '{fragment.Id}' is not valid: {e.Message}", e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2301, LogLevel.Information, "Request {RequestId} trace from {Source}: {Message}")]
        public static partial void Trace(ILogger logger, string requestId, string source, string message);

        [LoggerMessage(2302, LogLevel.Warning, "Request {RequestId}: {Policy} could not finish after the response: {Message}")]
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
