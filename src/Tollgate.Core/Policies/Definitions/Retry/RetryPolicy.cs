namespace Tollgate.Core.Policies.Definitions.Retry;

/// <summary><c>retry</c>: runs its policies, then again while the condition holds, up to count retries.</summary>
public sealed class RetryPolicy : PolicyDefinition<RetryConfig>
{
    private RetryPolicy()
    {
    }

    public static RetryPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "retry",
        Sections = ["inbound", "backend", "outbound", "on-error"],
        PolicyChildren = true,
        Attributes =
        [
            new("condition", Required: true),
            new("count", Required: true, Kind: PolicyValueKind.NonNegativeInteger, Max: 50),
            new("interval", Required: true, Kind: PolicyValueKind.NonNegativeInteger),
            new("max-interval", Kind: PolicyValueKind.NonNegativeInteger),
            new("delta", Kind: PolicyValueKind.NonNegativeInteger),
            new("first-fast-retry", Kind: PolicyValueKind.Boolean),
        ],
    };

    public override RetryConfig Parse(PolicyElement element) => new(
        element.Setting("condition"),
        element.Setting("count"),
        element.Setting("interval"),
        element.OptionalSetting("max-interval"),
        element.OptionalSetting("delta"),
        element.OptionalSetting("first-fast-retry"),
        element.Children);
}
