namespace Tollgate.Core.Policies.Definitions.SetHeader;

/// <summary><c>set-header</c>: overrides, skips, appends or deletes a request header (inbound, backend) or response header.</summary>
public sealed class SetHeaderPolicy : PolicyDefinition<SetHeaderConfig>
{
    private SetHeaderPolicy()
    {
    }

    public static SetHeaderPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "set-header",
        Attributes = [new("name", Required: true), new("exists-action", Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ExistsActions)],
        Children = [SchemaParts.Value],
    };

    public override SetHeaderConfig Parse(PolicyElement element) => new(element["name"] ?? "", element["exists-action"] ?? "override", element.ValueSettings());
}
