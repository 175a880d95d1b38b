namespace Tollgate.Core.Policies.Definitions.JsonToXml;

/// <summary>A <c>json-to-xml</c>.</summary>
/// <param name="Always">True for <c>apply="always"</c>; false converts only bodies declared JSON.</param>
/// <param name="ConsiderAcceptHeader">Whether to convert only when the client accepts XML; true by default.</param>
/// <param name="ParseDate">Whether JSON date strings become XML dates; true by default.</param>
/// <param name="NamespaceSeparator">The separator of namespace prefixes in property names; null when neither namespace attribute is given (no namespaces), an underscore when only the prefix is.</param>
/// <param name="NamespacePrefix">The property prefix declaring namespaces; <c>xmlns</c> by default.</param>
/// <param name="AttributeBlockName">The property whose object becomes attributes, if any.</param>
public sealed record JsonToXmlConfig(bool Always, bool ConsiderAcceptHeader, bool ParseDate, string? NamespaceSeparator, string NamespacePrefix, string? AttributeBlockName);
