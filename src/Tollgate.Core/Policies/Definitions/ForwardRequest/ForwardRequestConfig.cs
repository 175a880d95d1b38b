namespace Tollgate.Core.Policies.Definitions.ForwardRequest;

/// <summary>A <c>forward-request</c>.</summary>
/// <param name="Timeout"><c>timeout-ms</c>, else <c>timeout</c> seconds, else 300 seconds.</param>
/// <param name="FailOnErrorStatusCode"><c>fail-on-error-status-code</c>: a 4xx or 5xx from the backend runs on-error (default false).</param>
public sealed record ForwardRequestConfig(TimeSpan Timeout, bool FailOnErrorStatusCode = false);
