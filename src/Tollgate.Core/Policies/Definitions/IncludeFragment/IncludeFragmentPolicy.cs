namespace Tollgate.Core.Policies.Definitions.IncludeFragment;

/// <summary><c>include-fragment</c>: the policies of a policy fragment, in its place (the gateway expands it; no handler of its own).</summary>
public sealed class IncludeFragmentPolicy : PolicyDefinition<IncludeFragmentConfig>
{
    private IncludeFragmentPolicy()
    {
    }

    public static IncludeFragmentPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "include-fragment",
        Attributes = [new("fragment-id", Required: true, AllowsExpressions: false)],
    };

    public override IncludeFragmentConfig Parse(PolicyElement element) => new(element["fragment-id"] ?? "");
}
