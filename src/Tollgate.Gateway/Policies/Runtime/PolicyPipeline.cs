using System.Collections.Frozen;
using Tollgate.Core.Gateway;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// The effective policy of one operation for one product (or none), as handler objects: built once per snapshot,
/// immutable, shared by every request.
/// </summary>
public sealed class PolicyPipeline
{
    public required PolicyHandler[] Inbound { get; init; }

    /// <summary>The backend section; empty with <see cref="ForwardsWhenBackendIsEmpty"/> means APIM's default (<c>forward-request</c>).</summary>
    public required PolicyHandler[] Backend { get; init; }

    /// <summary>
    /// An empty <see cref="Backend"/> stands for APIM's default backend section, one <c>forward-request</c> (true), or
    /// for a backend section a scope emptied, which forwards nothing (false): <c>&lt;backend&gt;</c> without
    /// <c>&lt;base /&gt;</c> or forward-request, as APIM's "do not forward requests to backend" example.
    /// </summary>
    public bool ForwardsWhenBackendIsEmpty { get; init; } = true;

    public required PolicyHandler[] Outbound { get; init; }

    public required PolicyHandler[] OnError { get; init; }

    /// <summary>Some policy or expression reads or changes the request body: it is read into memory before inbound.</summary>
    public bool BuffersRequestBody { get; init; }

    /// <summary>
    /// The backend's response is held in memory until the pipeline is done: outbound policies run, or a retry may
    /// forward again.
    /// </summary>
    public bool CapturesResponse { get; init; }

    /// <summary>The <c>cors</c> policies directly in inbound, in order: they answer preflight requests.</summary>
    internal Cors.CorsHandler[] Cors { get; init; } = [];

    /// <summary>
    /// Why this pipeline could not be built (a document of it cannot be loaded), or null. Such a pipeline runs nothing:
    /// its requests are answered 500 with this message.
    /// </summary>
    public string? Problem { get; init; }

    /// <summary>A pipeline that answers every request 500 naming <paramref name="problem"/>.</summary>
    internal static PolicyPipeline Broken(string problem) => new() { Inbound = [], Backend = [], Outbound = [], OnError = [], Problem = problem };
}

/// <summary>The pipelines of one operation: without a product, and per product containing its API.</summary>
internal sealed class OperationPolicies
{
    public required ApiInfo Api { get; init; }

    public required OperationInfo Operation { get; init; }

    public required GatewayOperation Definition { get; init; }

    public PolicyPipeline? WithoutProduct { get; init; }

    public FrozenDictionary<string, PolicyPipeline?> ByProduct { get; init; } = FrozenDictionary<string, PolicyPipeline?>.Empty;

    /// <summary>
    /// The pipeline for a request running as <paramref name="product"/> (product-scope policies apply only for
    /// product subscriptions and open products, docs/apim-compatibility.md §2.5); null when no policy applies.
    /// </summary>
    public PolicyPipeline? For(GatewayProduct? product) =>
        product is not null && ByProduct.TryGetValue(product.Id, out var pipeline) ? pipeline : WithoutProduct;
}
