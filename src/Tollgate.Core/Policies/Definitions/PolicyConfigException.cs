namespace Tollgate.Core.Policies.Definitions;

/// <summary>
/// An element that cannot be read into its policy's config (a value the validator lets through but the config cannot
/// hold). The gateway reports it as a build failure at the policy's section and path.
/// </summary>
public sealed class PolicyConfigException(string message, Exception? inner = null) : Exception(message, inner);
