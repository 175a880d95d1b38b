namespace Tollgate.Core.Policies.Definitions.CacheRemoveValue;

/// <summary>A <c>cache-remove-value</c>.</summary>
/// <param name="Key">The value's key.</param>
public sealed record CacheRemoveValueConfig(PolicySetting Key);
