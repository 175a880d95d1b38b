namespace Tollgate.Core.Policies.Definitions.CacheLookupValue;

/// <summary>A <c>cache-lookup-value</c>.</summary>
/// <param name="Key">The value's key.</param>
/// <param name="DefaultValue">The variable's value when nothing is cached, if given (else no variable).</param>
/// <param name="VariableName">The variable.</param>
public sealed record CacheLookupValueConfig(PolicySetting Key, PolicySetting? DefaultValue, string VariableName);
