namespace Tollgate.Core.Policies.Definitions;

/// <summary>
/// A value of a policy config as written in the document, from an attribute or an element's text: a literal, or a C#
/// expression (<c>@(…)</c>, <c>@{…}</c>) compiled with the snapshot and evaluated per request. The gateway finds the
/// compiled expression by <see cref="Source"/>.
/// </summary>
public sealed class PolicySetting
{
    private PolicySetting(string? text, bool isExpression, object? source)
    {
        Text = text;
        IsExpression = isExpression;
        Source = source;
    }

    /// <summary>The literal, or the expression's code; null for an attribute the element leaves out.</summary>
    public string? Text { get; }

    /// <summary>True when <see cref="Text"/> is an expression.</summary>
    public bool IsExpression { get; }

    /// <summary>The <see cref="PolicyAttribute"/> or <see cref="PolicyElement"/> (text) the value was read from; null for a literal default.</summary>
    public object? Source { get; }

    /// <summary>A literal (a default, or a value the policy fixes).</summary>
    public static PolicySetting Literal(string? text) => new(text, false, null);

    /// <summary>An attribute's value.</summary>
    public static PolicySetting Of(PolicyAttribute attribute)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        return new(attribute.Value, attribute.IsExpression, attribute);
    }

    /// <summary>An element's text (empty when it has none).</summary>
    public static PolicySetting OfText(PolicyElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        return new(element.Text ?? "", element.TextIsExpression, element);
    }

    /// <inheritdoc />
    public override string ToString() => Text ?? "";
}
