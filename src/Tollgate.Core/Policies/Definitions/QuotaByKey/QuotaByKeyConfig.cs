namespace Tollgate.Core.Policies.Definitions.QuotaByKey;

/// <summary>A <c>quota-by-key</c>: windows of <paramref name="RenewalPeriod"/> seconds from <paramref name="FirstPeriodStart"/>, per key.</summary>
/// <param name="Calls">Calls allowed per window; null for no limit of calls.</param>
/// <param name="Bandwidth">Kilobytes allowed per window; null for no limit of bandwidth.</param>
/// <param name="RenewalPeriod">The window in seconds; 0 for one window that never renews.</param>
/// <param name="CounterKey">The counter's key.</param>
/// <param name="IncrementCondition">When given, a call whose condition is false after the response is not counted.</param>
/// <param name="FirstPeriodStart">Where the windows start; <see cref="DateTimeOffset.MinValue"/> by default.</param>
public sealed record QuotaByKeyConfig(long? Calls, long? Bandwidth, int RenewalPeriod, PolicySetting CounterKey, PolicySetting? IncrementCondition, DateTimeOffset FirstPeriodStart);
