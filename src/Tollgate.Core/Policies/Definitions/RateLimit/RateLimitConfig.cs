namespace Tollgate.Core.Policies.Definitions.RateLimit;

/// <summary>A <c>rate-limit</c>: per subscription, at most <paramref name="Calls"/> calls in any <paramref name="RenewalPeriod"/> seconds.</summary>
/// <param name="Calls">Calls allowed per window.</param>
/// <param name="RenewalPeriod">The sliding window in seconds (1 to 300).</param>
/// <param name="Outputs">Headers and variables set on admission and rejection.</param>
/// <param name="Apis">Further limits for the calls to an API (and its operations).</param>
public sealed record RateLimitConfig(int Calls, int RenewalPeriod, RateLimitOutputs Outputs, IReadOnlyList<LimitScopeConfig> Apis);
