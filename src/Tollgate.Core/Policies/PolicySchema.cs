namespace Tollgate.Core.Policies;

/// <summary>How an attribute's literal value is checked.</summary>
internal enum PolicyValueKind
{
    Any,
    NonNegativeInteger,
    Boolean,
    DateTime,
    Enumeration,
}

/// <summary>Rules for one attribute of a policy element.</summary>
internal sealed record PolicyAttributeSpec(
    string Name,
    bool Required = false,
    bool AllowsExpressions = true,
    PolicyValueKind Kind = PolicyValueKind.Any,
    IReadOnlyList<string>? Values = null,
    long? Max = null,
    long? Min = null);

/// <summary>Rules for a policy element or one of its child elements.</summary>
internal sealed class PolicyElementSpec
{
    public required string Name { get; init; }

    public IReadOnlyList<PolicyAttributeSpec> Attributes { get; init; } = [];

    public IReadOnlyList<PolicyElementSpec> Children { get; init; } = [];

    /// <summary>Children are themselves policies (choose/when/otherwise).</summary>
    public bool PolicyChildren { get; init; }

    public bool AllowsText { get; init; }

    /// <summary>Sections a top-level policy may be used in; null means all.</summary>
    public IReadOnlyList<string>? Sections { get; init; }

    public bool OncePerDocument { get; init; }

    /// <summary>Extra checks: element, path, and a sink taking (path, element line/col source, message).</summary>
    public Action<PolicyElement, string, Action<string, string>>? Extra { get; init; }

    public PolicyAttributeSpec? FindAttribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    public PolicyElementSpec? FindChild(string name) => Children.FirstOrDefault(c => c.Name == name);
}

/// <summary>
/// The schemas of the policies Tollgate knows, by element name: a view of <see cref="Definitions.PolicyDefinitions"/>
/// (each policy's schema lives in its folder under <c>Definitions/</c>).
/// </summary>
internal static class PolicySchema
{
    /// <summary>Known top-level policies by element name.</summary>
    public static readonly IReadOnlyDictionary<string, PolicyElementSpec> Policies =
        Definitions.PolicyDefinitions.All.ToDictionary(d => d.Name, d => d.Schema, StringComparer.Ordinal);
}
