namespace Tollgate.Core.Policies.Definitions.RewriteUri;

/// <summary><c>rewrite-uri</c> (inbound): the path and query sent to the backend, from a template.</summary>
public sealed class RewriteUriPolicy : PolicyDefinition<RewriteUriConfig>
{
    private RewriteUriPolicy()
    {
    }

    public static RewriteUriPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "rewrite-uri",
        Sections = SchemaParts.InboundOnly,
        Attributes = [new("template", Required: true), new("copy-unmatched-params", AllowsExpressions: false, Kind: PolicyValueKind.Boolean)],
    };

    public override RewriteUriConfig Parse(PolicyElement element) => new(element.Setting("template"), element.Flag("copy-unmatched-params", true));
}
