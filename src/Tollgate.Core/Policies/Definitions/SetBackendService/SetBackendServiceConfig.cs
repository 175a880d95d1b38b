namespace Tollgate.Core.Policies.Definitions.SetBackendService;

/// <summary>A <c>set-backend-service</c>: exactly one of the two is given.</summary>
/// <param name="BaseUrl">The URL forwarded to (<c>base-url</c>).</param>
/// <param name="BackendId">The backend (<c>backends/{id}</c>) forwarded to; null with <c>base-url</c>.</param>
public sealed record SetBackendServiceConfig(PolicySetting BaseUrl, PolicySetting? BackendId);
