namespace Tollgate.Core.Policies.Definitions.Jsonp;

/// <summary>A <c>jsonp</c>.</summary>
/// <param name="CallbackParameterName">The query parameter naming the callback.</param>
public sealed record JsonpConfig(PolicySetting CallbackParameterName);
