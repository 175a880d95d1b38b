namespace Tollgate.Core.Policies.Definitions.CacheLookup;

/// <summary>A <c>cache-lookup</c>.</summary>
/// <param name="VaryByDeveloper">Whether each developer has their own entries.</param>
/// <param name="VaryByDeveloperGroups">Whether each set of developer groups has its own entries.</param>
/// <param name="DownstreamCachingType"><c>none</c> (the default), <c>private</c> or <c>public</c>.</param>
/// <param name="MustRevalidate">Whether downstream caches must revalidate; true by default.</param>
/// <param name="AllowPrivateResponseCaching">Whether requests with Authorization are cached; false by default.</param>
/// <param name="VaryByHeaders">Headers the key varies by.</param>
/// <param name="VaryByQueryParameters">Query parameters the key varies by; all of them when none.</param>
public sealed record CacheLookupConfig(
    bool VaryByDeveloper,
    bool VaryByDeveloperGroups,
    string DownstreamCachingType,
    bool MustRevalidate,
    bool AllowPrivateResponseCaching,
    IReadOnlyList<string> VaryByHeaders,
    IReadOnlyList<string> VaryByQueryParameters);
