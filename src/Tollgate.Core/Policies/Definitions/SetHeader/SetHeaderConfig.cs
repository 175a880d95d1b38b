namespace Tollgate.Core.Policies.Definitions.SetHeader;

/// <summary>A <c>set-header</c> (also a child of return-response, send-request and send-one-way-request).</summary>
/// <param name="Name">The header's name.</param>
/// <param name="ExistsAction"><c>override</c> (the default), <c>skip</c>, <c>append</c> or <c>delete</c>.</param>
/// <param name="Values">The <c>value</c> children, in order.</param>
public sealed record SetHeaderConfig(string Name, string ExistsAction, IReadOnlyList<PolicySetting> Values);
