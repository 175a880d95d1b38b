namespace Tollgate.Core.Policies.Definitions.XmlToJson;

/// <summary>An <c>xml-to-json</c>.</summary>
/// <param name="Always">True for <c>apply="always"</c>; false converts only bodies declared XML.</param>
/// <param name="ConsiderAcceptHeader">Whether to convert only when the client accepts JSON; true by default.</param>
/// <param name="Direct">True for <c>kind="direct"</c>, false for <c>javascript-friendly</c>.</param>
/// <param name="AlwaysArrayChildElements">Whether child elements always become arrays; false by default.</param>
public sealed record XmlToJsonConfig(bool Always, bool ConsiderAcceptHeader, bool Direct, bool AlwaysArrayChildElements);
