namespace Tollgate.Core.Policies.Definitions.Quota;

/// <summary>A <c>quota</c>: per subscription, windows of <paramref name="RenewalPeriod"/> seconds from the subscription's start.</summary>
/// <param name="Calls">Calls allowed per window; null for no limit of calls.</param>
/// <param name="Bandwidth">Kilobytes allowed per window; null for no limit of bandwidth.</param>
/// <param name="RenewalPeriod">The window in seconds; 0 for one window that never renews.</param>
/// <param name="Apis">Further limits for the calls to an API (and its operations).</param>
public sealed record QuotaConfig(long? Calls, long? Bandwidth, int RenewalPeriod, IReadOnlyList<LimitScopeConfig> Apis);
