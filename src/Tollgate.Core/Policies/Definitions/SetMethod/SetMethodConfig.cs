namespace Tollgate.Core.Policies.Definitions.SetMethod;

/// <summary>A <c>set-method</c>.</summary>
/// <param name="Method">The method, the element's text.</param>
public sealed record SetMethodConfig(PolicySetting Method);
