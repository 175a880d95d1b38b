namespace Tollgate.Core.Policies.Definitions.Retry;

/// <summary>A <c>retry</c>.</summary>
/// <param name="Condition">Whether to run the policies again.</param>
/// <param name="Count">The most retries (at most 50).</param>
/// <param name="Interval">Seconds between tries.</param>
/// <param name="MaxInterval">The longest wait, if given.</param>
/// <param name="Delta">Seconds added to the wait at each retry, if given.</param>
/// <param name="FirstFastRetry">Whether the first retry waits nothing, if given.</param>
/// <param name="Policies">The policies tried.</param>
public sealed record RetryConfig(
    PolicySetting Condition,
    PolicySetting Count,
    PolicySetting Interval,
    PolicySetting? MaxInterval,
    PolicySetting? Delta,
    PolicySetting? FirstFastRetry,
    IReadOnlyList<PolicyElement> Policies);
