namespace Tollgate.Core.Policies.Definitions.Quota;

/// <summary><c>quota</c> (inbound, once): calls and/or kilobytes per fixed window per subscription, with further limits per API and operation.</summary>
public sealed class QuotaPolicy : PolicyDefinition<QuotaConfig>
{
    private QuotaPolicy()
    {
    }

    public static QuotaPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "quota",
        Sections = SchemaParts.InboundOnly,
        OncePerDocument = true,
        Attributes =
        [
            new("calls", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
            new("bandwidth", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
            new("renewal-period", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
        ],
        Children = [LimitScopeConfig.Spec("api", bandwidth: true, [LimitScopeConfig.Spec("operation", bandwidth: true, [])])],
        Extra = LimitScopeConfig.RequireCallsOrBandwidth,
    };

    /// <remarks>Also reads documents that were never validated (the developer portal's usage), so it never throws.</remarks>
    public override QuotaConfig Parse(PolicyElement element) => new(
        element.Long("calls"),
        element.Long("bandwidth"),
        element.Int("renewal-period"),
        LimitScopeConfig.ParseApis(element));
}
