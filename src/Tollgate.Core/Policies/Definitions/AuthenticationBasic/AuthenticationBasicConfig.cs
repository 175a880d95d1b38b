namespace Tollgate.Core.Policies.Definitions.AuthenticationBasic;

/// <summary>An <c>authentication-basic</c>.</summary>
public sealed record AuthenticationBasicConfig(PolicySetting Username, PolicySetting Password);
