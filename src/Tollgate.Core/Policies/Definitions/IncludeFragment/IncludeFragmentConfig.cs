namespace Tollgate.Core.Policies.Definitions.IncludeFragment;

/// <summary>The fragment an <c>include-fragment</c> includes.</summary>
/// <param name="FragmentId">The fragment's id (<c>policyFragments/{id}</c>), matched ignoring case.</param>
public sealed record IncludeFragmentConfig(string FragmentId);
