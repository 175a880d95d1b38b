namespace Tollgate.Core.Policies.Definitions.SetStatus;

/// <summary>A <c>set-status</c>.</summary>
/// <param name="Code">The status code.</param>
/// <param name="Reason">The reason phrase, if given.</param>
public sealed record SetStatusConfig(PolicySetting Code, PolicySetting? Reason);
