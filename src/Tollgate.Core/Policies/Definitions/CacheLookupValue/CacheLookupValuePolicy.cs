namespace Tollgate.Core.Policies.Definitions.CacheLookupValue;

/// <summary><c>cache-lookup-value</c>: a cached value into a variable.</summary>
public sealed class CacheLookupValuePolicy : PolicyDefinition<CacheLookupValueConfig>
{
    private CacheLookupValuePolicy()
    {
    }

    public static CacheLookupValuePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "cache-lookup-value",
        Attributes = [new("key", Required: true), new("default-value"), new("variable-name", Required: true, AllowsExpressions: false), SchemaParts.CachingType],
    };

    public override CacheLookupValueConfig Parse(PolicyElement element) => new(element.Setting("key"), element.OptionalSetting("default-value"), element["variable-name"] ?? "");
}
