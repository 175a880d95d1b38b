namespace Tollgate.Core.Policies.Definitions.CacheStoreValue;

/// <summary>A <c>cache-store-value</c>.</summary>
/// <param name="Key">The value's key.</param>
/// <param name="Value">The value (a string, number, boolean, JSON, bytes…).</param>
/// <param name="Duration">Seconds to keep it.</param>
public sealed record CacheStoreValueConfig(PolicySetting Key, PolicySetting Value, PolicySetting Duration);
