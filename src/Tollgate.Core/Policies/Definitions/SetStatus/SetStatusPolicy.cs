namespace Tollgate.Core.Policies.Definitions.SetStatus;

/// <summary><c>set-status</c>: the response's status code and reason phrase (also a child of return-response).</summary>
public sealed class SetStatusPolicy : PolicyDefinition<SetStatusConfig>
{
    private SetStatusPolicy()
    {
    }

    public static SetStatusPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "set-status",
        Attributes = [new("code", Required: true, Kind: PolicyValueKind.NonNegativeInteger), new("reason")],
    };

    public override SetStatusConfig Parse(PolicyElement element) => new(element.Setting("code"), element.OptionalSetting("reason"));
}
