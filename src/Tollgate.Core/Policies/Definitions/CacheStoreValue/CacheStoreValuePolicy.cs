namespace Tollgate.Core.Policies.Definitions.CacheStoreValue;

/// <summary><c>cache-store-value</c>: keeps a value under a key for a duration.</summary>
public sealed class CacheStoreValuePolicy : PolicyDefinition<CacheStoreValueConfig>
{
    private CacheStoreValuePolicy()
    {
    }

    public static CacheStoreValuePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "cache-store-value",
        Attributes = [new("key", Required: true), new("value", Required: true), new("duration", Required: true, Kind: PolicyValueKind.NonNegativeInteger), SchemaParts.CachingType],
    };

    public override CacheStoreValueConfig Parse(PolicyElement element) => new(element.Setting("key"), element.Setting("value"), element.Setting("duration"));
}
