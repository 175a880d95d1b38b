namespace Tollgate.Core.Policies.Definitions.SetQueryParameter;

/// <summary><c>set-query-parameter</c> (inbound, backend): overrides, skips, appends or deletes a query parameter of the request.</summary>
public sealed class SetQueryParameterPolicy : PolicyDefinition<SetQueryParameterConfig>
{
    private SetQueryParameterPolicy()
    {
    }

    public static SetQueryParameterPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "set-query-parameter",
        Sections = ["inbound", "backend"],
        Attributes = [new("name", Required: true), new("exists-action", Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ExistsActions)],
        Children = [SchemaParts.Value],
    };

    public override SetQueryParameterConfig Parse(PolicyElement element) => new(element["name"] ?? "", element["exists-action"] ?? "override", element.ValueSettings());
}
