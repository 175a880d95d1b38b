namespace Tollgate.Core.Policies.Definitions.Choose;

/// <summary>A <c>choose</c>.</summary>
/// <param name="Branches">The <c>when</c> children, in order.</param>
/// <param name="Otherwise">The policies of <c>otherwise</c>; null without one.</param>
public sealed record ChooseConfig(IReadOnlyList<ChooseBranch> Branches, IReadOnlyList<PolicyElement>? Otherwise);

/// <summary>A <c>when</c> of <c>choose</c>: its policies run when its condition holds.</summary>
public sealed record ChooseBranch(PolicySetting Condition, IReadOnlyList<PolicyElement> Policies);
