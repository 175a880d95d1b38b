namespace Tollgate.Core.Policies.Definitions.CacheStore;

/// <summary><c>cache-store</c> (outbound): keeps the response after a cache-lookup miss.</summary>
public sealed class CacheStorePolicy : PolicyDefinition<CacheStoreConfig>
{
    private CacheStorePolicy()
    {
    }

    public static CacheStorePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "cache-store",
        Sections = ["outbound"],
        Attributes =
        [
            new("duration", Required: true, Kind: PolicyValueKind.NonNegativeInteger),
            new("cache-response", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
        ],
    };

    public override CacheStoreConfig Parse(PolicyElement element) => new(element.Setting("duration"), element.Flag("cache-response", false));
}
