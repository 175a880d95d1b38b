namespace Tollgate.Core.Policies.Definitions.RewriteUri;

/// <summary>A <c>rewrite-uri</c>.</summary>
/// <param name="Template">The path and query, with <c>{parameter}</c> placeholders.</param>
/// <param name="CopyUnmatchedParams">Whether query parameters the operation's template does not name are kept; true by default.</param>
public sealed record RewriteUriConfig(PolicySetting Template, bool CopyUnmatchedParams);
