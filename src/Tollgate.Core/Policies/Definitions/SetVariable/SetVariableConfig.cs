namespace Tollgate.Core.Policies.Definitions.SetVariable;

/// <summary>A <c>set-variable</c>.</summary>
/// <param name="Name">The variable.</param>
/// <param name="Value">A literal string, or an expression whose value is stored as it is.</param>
public sealed record SetVariableConfig(string Name, PolicySetting Value);
