namespace Tollgate.Core.Policies.Definitions.RateLimitByKey;

/// <summary><c>rate-limit-by-key</c> (inbound): calls per sliding window per value of an expression, shared by every scope.</summary>
public sealed class RateLimitByKeyPolicy : PolicyDefinition<RateLimitByKeyConfig>
{
    private RateLimitByKeyPolicy()
    {
    }

    public static RateLimitByKeyPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "rate-limit-by-key",
        Sections = SchemaParts.InboundOnly,
        Attributes =
        [
            new("calls", Required: true, Kind: PolicyValueKind.NonNegativeInteger),
            new("renewal-period", Required: true, Kind: PolicyValueKind.NonNegativeInteger, Max: 300, Min: 1),
            new("counter-key", Required: true),
            new("increment-condition"),
            new("increment-count", Kind: PolicyValueKind.NonNegativeInteger),
            .. RateLimitOutputs.Attributes,
        ],
    };

    public override RateLimitByKeyConfig Parse(PolicyElement element) => new(
        element.Setting("calls"),
        element.Setting("renewal-period"),
        element.Setting("counter-key"),
        element.OptionalSetting("increment-condition"),
        element.Setting("increment-count", "1"),
        RateLimitOutputs.Parse(element));
}
