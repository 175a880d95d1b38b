namespace Tollgate.Core.Policies.Definitions.LimitConcurrency;

/// <summary><c>limit-concurrency</c>: at most max-count requests run its policies at once per key.</summary>
public sealed class LimitConcurrencyPolicy : PolicyDefinition<LimitConcurrencyConfig>
{
    private LimitConcurrencyPolicy()
    {
    }

    public static LimitConcurrencyPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "limit-concurrency",
        PolicyChildren = true,
        Attributes =
        [
            new("key", Required: true),
            new("max-count", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Min: 1, Max: int.MaxValue),
        ],
    };

    public override LimitConcurrencyConfig Parse(PolicyElement element) => new(element.Setting("key"), element.Int("max-count", 1), element.Children);
}
