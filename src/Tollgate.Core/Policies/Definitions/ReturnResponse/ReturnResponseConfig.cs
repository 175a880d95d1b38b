namespace Tollgate.Core.Policies.Definitions.ReturnResponse;

/// <summary>A <c>return-response</c>.</summary>
/// <param name="ResponseVariableName">A variable holding a response (send-request's) to start from; a new 200 when null.</param>
/// <param name="Policies">Its set-status, set-header and set-body children, run on the response.</param>
public sealed record ReturnResponseConfig(string? ResponseVariableName, IReadOnlyList<PolicyElement> Policies);
