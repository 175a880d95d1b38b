namespace Tollgate.Core.Policies.Definitions.ForwardRequest;

/// <summary>A <c>forward-request</c>.</summary>
/// <param name="Timeout"><c>timeout-ms</c>, else <c>timeout</c> seconds, else 300 seconds.</param>
public sealed record ForwardRequestConfig(TimeSpan Timeout);
