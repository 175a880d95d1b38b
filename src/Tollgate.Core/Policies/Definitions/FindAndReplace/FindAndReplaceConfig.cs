namespace Tollgate.Core.Policies.Definitions.FindAndReplace;

/// <summary>A <c>find-and-replace</c>.</summary>
public sealed record FindAndReplaceConfig(PolicySetting From, PolicySetting To);
