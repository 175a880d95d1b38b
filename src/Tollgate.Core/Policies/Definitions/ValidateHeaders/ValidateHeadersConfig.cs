namespace Tollgate.Core.Policies.Definitions.ValidateHeaders;

/// <summary>A <c>validate-headers</c>.</summary>
/// <param name="SpecifiedHeaderAction">The action for declared headers.</param>
/// <param name="UnspecifiedHeaderAction">The action for undeclared headers.</param>
/// <param name="ErrorsVariableName">A variable to append the errors to, if any.</param>
/// <param name="ByName">The <c>header</c> children: the action per header name (the last wins).</param>
public sealed record ValidateHeadersConfig(PolicySetting SpecifiedHeaderAction, PolicySetting UnspecifiedHeaderAction, string? ErrorsVariableName, IReadOnlyDictionary<string, PolicySetting> ByName);
