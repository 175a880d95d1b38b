namespace Tollgate.Core.Policies.Definitions.SetMethod;

/// <summary><c>set-method</c> (inbound, on-error): the HTTP method sent to the backend.</summary>
public sealed class SetMethodPolicy : PolicyDefinition<SetMethodConfig>
{
    private SetMethodPolicy()
    {
    }

    public static SetMethodPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "set-method",
        AllowsText = true,
        Extra = SchemaParts.RequireText,
    };

    public override SetMethodConfig Parse(PolicyElement element) => new(element.TextSetting());
}
