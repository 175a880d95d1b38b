namespace Tollgate.Core.Policies.Definitions.Base;

/// <summary><c>&lt;base/&gt;</c>: where the enclosing scope's policies run (<see cref="EffectivePolicy"/> merges them in; no handler of its own).</summary>
public sealed class BasePolicy : PolicyDefinition<BaseConfig>
{
    private BasePolicy()
    {
    }

    public static BasePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new() { Name = "base" };

    public override BaseConfig Parse(PolicyElement element) => BaseConfig.Instance;
}
