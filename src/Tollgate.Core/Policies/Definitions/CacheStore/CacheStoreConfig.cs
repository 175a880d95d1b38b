namespace Tollgate.Core.Policies.Definitions.CacheStore;

/// <summary>A <c>cache-store</c>.</summary>
/// <param name="Duration">Seconds to keep the response.</param>
/// <param name="CacheResponse">Whether responses of any status are kept (else only 200); false by default.</param>
public sealed record CacheStoreConfig(PolicySetting Duration, bool CacheResponse);
