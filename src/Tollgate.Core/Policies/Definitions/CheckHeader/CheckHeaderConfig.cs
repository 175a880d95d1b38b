namespace Tollgate.Core.Policies.Definitions.CheckHeader;

/// <summary>A <c>check-header</c>.</summary>
/// <param name="Name">The header.</param>
/// <param name="FailedCheckHttpCode">The status of a failed check; 401 when not a number.</param>
/// <param name="FailedCheckErrorMessage">The message of a failed check.</param>
/// <param name="IgnoreCase">Whether values compare ignoring case.</param>
/// <param name="Values">The values allowed; any value when none.</param>
public sealed record CheckHeaderConfig(string Name, int FailedCheckHttpCode, PolicySetting FailedCheckErrorMessage, bool IgnoreCase, IReadOnlyList<PolicySetting> Values);
