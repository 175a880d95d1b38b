namespace Tollgate.Core.Policies;

/// <summary>A problem found while parsing or validating a policy document.</summary>
/// <param name="Path">XPath-like location, e.g. <c>policies/inbound/rate-limit[1]/@calls</c>.</param>
/// <param name="Line">1-based line, or 0 when unknown.</param>
/// <param name="Column">1-based column, or 0 when unknown.</param>
/// <param name="Message">Human-readable message naming the element or attribute.</param>
public sealed record PolicyError(string Path, int Line, int Column, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"({Line},{Column}) {Path}: {Message}";
}

/// <summary>An attribute of a policy element, in document order.</summary>
/// <param name="Name">Attribute name.</param>
/// <param name="Value">Raw attribute value.</param>
/// <param name="IsExpression">True when the value is a policy expression <c>@(...)</c> or <c>@{...}</c>.</param>
/// <param name="Line">1-based line of the attribute, or 0 when unknown.</param>
/// <param name="Column">1-based column of the attribute, or 0 when unknown.</param>
public sealed record PolicyAttribute(string Name, string Value, bool IsExpression, int Line = 0, int Column = 0);

/// <summary>An element in a policy section (a policy such as <c>rate-limit</c> or <c>base</c>, or one of its children).</summary>
public sealed class PolicyElement
{
    internal PolicyElement(string name, IReadOnlyList<PolicyAttribute> attributes, IReadOnlyList<PolicyElement> children, string? text, bool textIsExpression, int line, int column)
    {
        Name = name;
        Attributes = attributes;
        Children = children;
        Text = text;
        TextIsExpression = textIsExpression;
        Line = line;
        Column = column;
    }

    /// <summary>Element name, e.g. <c>rate-limit</c>.</summary>
    public string Name { get; }

    /// <summary>Attributes in document order.</summary>
    public IReadOnlyList<PolicyAttribute> Attributes { get; }

    /// <summary>Child elements in document order.</summary>
    public IReadOnlyList<PolicyElement> Children { get; }

    /// <summary>Concatenated, trimmed text content (text and CDATA), or null when there is none.</summary>
    public string? Text { get; }

    /// <summary>True when <see cref="Text"/> is a policy expression.</summary>
    public bool TextIsExpression { get; }

    /// <summary>Positions of the text and CDATA nodes that make up <see cref="Text"/>, in document order.</summary>
    internal IReadOnlyList<(int Line, int Column, bool CData)> TextNodes { get; init; } = [];

    /// <summary>1-based line of the element's start tag.</summary>
    public int Line { get; }

    /// <summary>1-based column of the element's start tag.</summary>
    public int Column { get; }

    /// <summary>Returns the attribute with the given name, or null.</summary>
    public PolicyAttribute? GetAttribute(string name)
    {
        foreach (var a in Attributes)
        {
            if (a.Name == name)
            {
                return a;
            }
        }

        return null;
    }

    /// <summary>Returns the value of the attribute with the given name, or null.</summary>
    public string? this[string attributeName] => GetAttribute(attributeName)?.Value;

    /// <inheritdoc />
    public override string ToString() => $"<{Name}> ({Line},{Column})";
}

/// <summary>One section of a policy document (inbound, backend, outbound or on-error).</summary>
/// <param name="Name">Section name.</param>
/// <param name="Elements">Policy elements in document order.</param>
/// <param name="Line">1-based line of the section's start tag.</param>
/// <param name="Column">1-based column of the section's start tag.</param>
public sealed record PolicySection(string Name, IReadOnlyList<PolicyElement> Elements, int Line, int Column);

/// <summary>Thrown by <see cref="PolicyDocument.Parse"/> when the document is malformed or structurally invalid.</summary>
public sealed class PolicyDocumentException : Exception
{
    /// <summary>Creates the exception from the errors found.</summary>
    public PolicyDocumentException(IReadOnlyList<PolicyError> errors)
        : base(errors.Count == 0 ? "The policy document is invalid." : string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
    {
        Errors = errors;
    }

    /// <summary>All errors found.</summary>
    public IReadOnlyList<PolicyError> Errors { get; }
}
