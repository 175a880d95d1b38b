namespace Tollgate.Core.Policies.Definitions.SetBody;

/// <summary>A <c>set-body</c>.</summary>
/// <param name="Body">The element's text: the body, an expression, or the Liquid template.</param>
/// <param name="Liquid">True for <c>template="liquid"</c>.</param>
/// <param name="ParseDate">Liquid: whether JSON date strings are read as dates; true by default.</param>
/// <param name="XsiNilAsNull">Liquid: whether <c>xsi:nil</c> elements are null (<c>xsi-nil="null"</c>) rather than blank.</param>
public sealed record SetBodyConfig(PolicySetting Body, bool Liquid, bool ParseDate, bool XsiNilAsNull);
