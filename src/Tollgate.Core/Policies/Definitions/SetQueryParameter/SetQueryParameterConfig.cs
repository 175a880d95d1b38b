namespace Tollgate.Core.Policies.Definitions.SetQueryParameter;

/// <summary>A <c>set-query-parameter</c>.</summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="ExistsAction"><c>override</c> (the default), <c>skip</c>, <c>append</c> or <c>delete</c>.</param>
/// <param name="Values">The <c>value</c> children, in order.</param>
public sealed record SetQueryParameterConfig(string Name, string ExistsAction, IReadOnlyList<PolicySetting> Values);
