namespace Tollgate.Core.Policies.Definitions.LimitConcurrency;

/// <summary>A <c>limit-concurrency</c>.</summary>
/// <param name="Key">The key requests are counted under.</param>
/// <param name="MaxCount">Requests allowed at once; 1 when not a number.</param>
/// <param name="Policies">The policies limited.</param>
public sealed record LimitConcurrencyConfig(PolicySetting Key, int MaxCount, IReadOnlyList<PolicyElement> Policies);
