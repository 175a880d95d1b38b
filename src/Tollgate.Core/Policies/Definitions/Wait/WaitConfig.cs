namespace Tollgate.Core.Policies.Definitions.Wait;

/// <summary>A <c>wait</c>.</summary>
/// <param name="For"><c>all</c> (the default) or <c>any</c>.</param>
/// <param name="Policies">The policies waited for.</param>
public sealed record WaitConfig(PolicySetting For, IReadOnlyList<PolicyElement> Policies);
