namespace Tollgate.Core.Policies.Definitions.RateLimitByKey;

/// <summary>A <c>rate-limit-by-key</c>; every setting but the outputs may be an expression.</summary>
/// <param name="Calls">Calls allowed per window.</param>
/// <param name="RenewalPeriod">The sliding window in seconds.</param>
/// <param name="CounterKey">The counter's key.</param>
/// <param name="IncrementCondition">When given, a call whose condition is false after the response is not counted.</param>
/// <param name="IncrementCount">How much a call counts; 1 by default.</param>
/// <param name="Outputs">Headers and variables set on admission and rejection.</param>
public sealed record RateLimitByKeyConfig(
    PolicySetting Calls,
    PolicySetting RenewalPeriod,
    PolicySetting CounterKey,
    PolicySetting? IncrementCondition,
    PolicySetting IncrementCount,
    RateLimitOutputs Outputs);
