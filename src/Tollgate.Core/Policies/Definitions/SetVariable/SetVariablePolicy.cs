namespace Tollgate.Core.Policies.Definitions.SetVariable;

/// <summary><c>set-variable</c>: a value into <c>context.Variables</c>.</summary>
public sealed class SetVariablePolicy : PolicyDefinition<SetVariableConfig>
{
    private SetVariablePolicy()
    {
    }

    public static SetVariablePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new() { Name = "set-variable", Attributes = [new("name", Required: true), new("value", Required: true)] };

    public override SetVariableConfig Parse(PolicyElement element) => new(element["name"] ?? "", element.Setting("value"));
}
