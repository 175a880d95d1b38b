namespace Tollgate.Core.Policies.Definitions.RateLimit;

/// <summary><c>rate-limit</c> (inbound, once): calls per sliding window per subscription, with further limits per API and operation.</summary>
public sealed class RateLimitPolicy : PolicyDefinition<RateLimitConfig>
{
    private RateLimitPolicy()
    {
    }

    public static RateLimitPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "rate-limit",
        Sections = SchemaParts.InboundOnly,
        OncePerDocument = true,
        Attributes =
        [
            new("calls", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
            new("renewal-period", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Max: 300, Min: 1),
            .. RateLimitOutputs.Attributes,
        ],
        Children = [LimitScopeConfig.Spec("api", bandwidth: false, [LimitScopeConfig.Spec("operation", bandwidth: false, [])])],
    };

    /// <remarks>Also reads documents that were never validated (the developer portal's usage), so it never throws.</remarks>
    public override RateLimitConfig Parse(PolicyElement element) => new(
        element.Int("calls"),
        element.Int("renewal-period"),
        RateLimitOutputs.Parse(element),
        LimitScopeConfig.ParseApis(element));
}
