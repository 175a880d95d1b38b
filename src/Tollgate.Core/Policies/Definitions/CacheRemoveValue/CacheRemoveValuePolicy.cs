namespace Tollgate.Core.Policies.Definitions.CacheRemoveValue;

/// <summary><c>cache-remove-value</c>: removes a cached value.</summary>
public sealed class CacheRemoveValuePolicy : PolicyDefinition<CacheRemoveValueConfig>
{
    private CacheRemoveValuePolicy()
    {
    }

    public static CacheRemoveValuePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "cache-remove-value",
        Attributes = [new("key", Required: true), SchemaParts.CachingType],
    };

    public override CacheRemoveValueConfig Parse(PolicyElement element) => new(element.Setting("key"));
}
