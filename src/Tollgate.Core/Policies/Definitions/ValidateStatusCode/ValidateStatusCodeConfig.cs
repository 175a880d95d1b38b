namespace Tollgate.Core.Policies.Definitions.ValidateStatusCode;

/// <summary>A <c>validate-status-code</c>.</summary>
/// <param name="UnspecifiedStatusCodeAction"><c>ignore</c>, <c>detect</c> or <c>prevent</c> for an undeclared status.</param>
/// <param name="ErrorsVariableName">A variable to append the errors to, if any.</param>
/// <param name="StatusCodes">The <c>status-code</c> children: the action for one status.</param>
public sealed record ValidateStatusCodeConfig(PolicySetting UnspecifiedStatusCodeAction, string? ErrorsVariableName, IReadOnlyList<StatusCodeAction> StatusCodes);

/// <summary>A <c>status-code</c> of <c>validate-status-code</c>.</summary>
public sealed record StatusCodeAction(int Code, PolicySetting Action);
