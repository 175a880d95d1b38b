namespace Tollgate.Core.Policies.Definitions.CacheLookup;

/// <summary><c>cache-lookup</c> (inbound): a GET answered from the response cache.</summary>
public sealed class CacheLookupPolicy : PolicyDefinition<CacheLookupConfig>
{
    private CacheLookupPolicy()
    {
    }

    public static CacheLookupPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "cache-lookup",
        Sections = SchemaParts.InboundOnly,
        Attributes =
        [
            new("vary-by-developer", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            new("vary-by-developer-groups", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            new("downstream-caching-type", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["none", "private", "public"]),
            new("must-revalidate", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            new("allow-private-response-caching", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            SchemaParts.CachingType,
        ],
        Children =
        [
            new PolicyElementSpec { Name = "vary-by-header", AllowsText = true, Extra = SchemaParts.RequireText },
            new PolicyElementSpec { Name = "vary-by-query-parameter", AllowsText = true, Extra = SchemaParts.RequireText },
        ],
    };

    public override CacheLookupConfig Parse(PolicyElement element) => new(
        element.Flag("vary-by-developer", false),
        element.Flag("vary-by-developer-groups", false),
        element["downstream-caching-type"] ?? "none",
        element.Flag("must-revalidate", true),
        element.Flag("allow-private-response-caching", false),
        element.ChildrenNamed("vary-by-header").Select(c => (c.Text ?? "").Trim()).ToArray(),
        element.ChildrenNamed("vary-by-query-parameter").SelectMany(c => (c.Text ?? "").Split(';', ',')).Select(q => q.Trim()).Where(q => q.Length > 0).ToArray());
}
