namespace Tollgate.Core.Policies.Definitions.Trace;

/// <summary>A <c>trace</c>.</summary>
/// <param name="Source">The <c>source</c> written with the message.</param>
/// <param name="Message">The <c>message</c> child's text, else the element's (APIM's older form).</param>
/// <param name="Metadata">The <c>metadata</c> children.</param>
public sealed record TraceConfig(string Source, PolicySetting Message, IReadOnlyList<TraceMetadata> Metadata);

/// <summary>A <c>metadata</c> of <c>trace</c>: written as <c>name=value</c> after the message.</summary>
public sealed record TraceMetadata(string Name, PolicySetting Value);
