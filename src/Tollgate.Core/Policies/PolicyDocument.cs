using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Tollgate.Core.Policies;

/// <summary>
/// An immutable APIM policy document: <c>&lt;policies&gt;</c> with optional inbound, backend, outbound and
/// on-error sections. Parsing checks structure only; use <see cref="PolicyValidator"/> for policy-level rules.
/// </summary>
public sealed class PolicyDocument
{
    /// <summary>Section names in APIM order.</summary>
    public static readonly IReadOnlyList<string> SectionNames = ["inbound", "backend", "outbound", "on-error"];

    private PolicyDocument(IReadOnlyList<PolicySection> sections, string source)
    {
        Sections = sections;
        Source = source;
    }

    /// <summary>The XML text the document was parsed from (expressions map their positions through it).</summary>
    internal string Source { get; }

    /// <summary>Sections present in the document, in document order.</summary>
    public IReadOnlyList<PolicySection> Sections { get; }

    /// <summary>The inbound section, or null when absent.</summary>
    public PolicySection? Inbound => GetSection("inbound");

    /// <summary>The backend section, or null when absent.</summary>
    public PolicySection? Backend => GetSection("backend");

    /// <summary>The outbound section, or null when absent.</summary>
    public PolicySection? Outbound => GetSection("outbound");

    /// <summary>The on-error section, or null when absent.</summary>
    public PolicySection? OnError => GetSection("on-error");

    /// <summary>Returns the section with the given name, or null.</summary>
    public PolicySection? GetSection(string name) => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>
    /// Parses a policy document. Throws <see cref="PolicyDocumentException"/> with every structural error
    /// (malformed XML, wrong root, unknown or repeated sections). Policy-level rules are not checked.
    /// </summary>
    public static PolicyDocument Parse(string xml)
    {
        var errors = new List<PolicyError>();
        var doc = Load(xml, errors);
        if (doc is null || errors.Count > 0)
        {
            throw new PolicyDocumentException(errors);
        }

        return doc;
    }

    /// <summary>Returns true when <paramref name="value"/> is a policy expression <c>@(...)</c> or <c>@{...}</c>.</summary>
    public static bool IsExpression(string? value)
    {
        if (value is null)
        {
            return false;
        }

        var v = value.Trim();
        return v.Length >= 3 && v[0] == '@' && ((v[1] == '(' && v[^1] == ')') || (v[1] == '{' && v[^1] == '}'));
    }

    /// <summary>Builds the model leniently, adding structural errors to <paramref name="errors"/>. Null when the XML is unreadable or the root is wrong.</summary>
    internal static PolicyDocument? Load(string xml, List<PolicyError> errors)
    {
        ArgumentNullException.ThrowIfNull(xml);

        // Expressions written as APIM's rawxml format (unescaped C#) become well-formed XML first.
        xml = RawPolicyXml.Normalize(xml);
        XDocument xdoc;
        try
        {
            // No DTD, and the nesting depth checked while reading: everything after this walks the tree recursively.
            xdoc = SafeParsing.ParseXml(xml, SafeParsing.MaxPolicyDepth, LoadOptions.SetLineInfo | LoadOptions.PreserveWhitespace);
        }
        catch (XmlDepthExceededException ex)
        {
            errors.Add(new PolicyError("", ex.LineNumber, ex.LinePosition,
                $"Policies are nested more than {SafeParsing.MaxPolicyDepth} levels deep (elements, <policies> included); the element at line {ex.LineNumber} is too deep."));
            return null;
        }
        catch (XmlException ex)
        {
            errors.Add(new PolicyError("", ex.LineNumber, ex.LinePosition, $"The policy document is not well-formed XML: {ex.Message}"));
            return null;
        }

        var root = xdoc.Root!;
        if (root.Name.LocalName != "policies" || root.Name.NamespaceName.Length != 0)
        {
            var (l, c) = Position(root);
            errors.Add(new PolicyError(root.Name.LocalName, l, c, $"The root element must be 'policies', not '{root.Name.LocalName}'."));
            return null;
        }

        foreach (var attr in root.Attributes().Where(a => !a.IsNamespaceDeclaration))
        {
            var (l, c) = Position(attr);
            errors.Add(new PolicyError("policies/@" + attr.Name.LocalName, l, c, $"Attribute '{attr.Name.LocalName}' is not allowed on 'policies'."));
        }

        ReportStrayText(root, "policies", errors);

        var sections = new List<PolicySection>();
        foreach (var el in root.Elements())
        {
            var name = el.Name.LocalName;
            var path = "policies/" + name;
            var (l, c) = Position(el);
            if (!SectionNames.Contains(name) || el.Name.NamespaceName.Length != 0)
            {
                errors.Add(new PolicyError(path, l, c, $"Element '{name}' is not a known section; expected 'inbound', 'backend', 'outbound' or 'on-error'."));
                continue;
            }

            if (sections.Any(s => s.Name == name))
            {
                errors.Add(new PolicyError(path, l, c, $"Section '{name}' appears more than once."));
                continue;
            }

            foreach (var attr in el.Attributes().Where(a => !a.IsNamespaceDeclaration))
            {
                var (al, ac) = Position(attr);
                errors.Add(new PolicyError(path + "/@" + attr.Name.LocalName, al, ac, $"Attribute '{attr.Name.LocalName}' is not allowed on section '{name}'."));
            }

            ReportStrayText(el, path, errors);
            sections.Add(new PolicySection(name, Array.AsReadOnly(el.Elements().Select(ToElement).ToArray()), l, c));
        }

        return new PolicyDocument(sections.AsReadOnly(), xml);
    }

    private static PolicyElement ToElement(XElement el)
    {
        var attrs = el.Attributes()
            .Where(a => !a.IsNamespaceDeclaration)
            .Select(a =>
            {
                var (al, ac) = Position(a);
                return new PolicyAttribute(a.Name.LocalName, a.Value, IsExpression(a.Value), al, ac);
            })
            .ToArray();
        var children = el.Elements().Select(ToElement).ToArray();
        string? text = null;
        var sb = new StringBuilder();
        var textNodes = new List<(int Line, int Column, bool CData)>();
        foreach (var node in el.Nodes())
        {
            if (node is XText t)
            {
                sb.Append(t.Value);
                var (tl, tc) = Position(t);
                textNodes.Add((tl, tc, t is XCData));
            }
        }

        var trimmed = sb.ToString().Trim();
        if (trimmed.Length > 0)
        {
            text = trimmed;
        }

        var (l, c) = Position(el);
        return new PolicyElement(el.Name.LocalName, Array.AsReadOnly(attrs), Array.AsReadOnly(children), text, IsExpression(text), l, c)
        {
            TextNodes = textNodes,
        };
    }

    private static void ReportStrayText(XElement el, string path, List<PolicyError> errors)
    {
        foreach (var node in el.Nodes().OfType<XText>())
        {
            if (!string.IsNullOrWhiteSpace(node.Value))
            {
                var (l, c) = Position(node);
                errors.Add(new PolicyError(path, l, c, $"Text is not allowed directly in '{el.Name.LocalName}'."));
                return;
            }
        }
    }

    internal static (int Line, int Column) Position(XObject o) =>
        o is IXmlLineInfo li && li.HasLineInfo() ? (li.LineNumber, li.LinePosition) : (0, 0);
}

/// <summary>
/// Policy fragments (APIM <c>policyFragments</c>): a <c>&lt;fragment&gt;</c> element holding policies, included in
/// documents with <c>&lt;include-fragment fragment-id="…"/&gt;</c>. A fragment is read as the inbound section of a
/// document so that it parses, validates and compiles like one; the section it runs in is decided where it is included.
/// </summary>
public static class PolicyFragment
{
    private const string Open = "<fragment>";
    private const string Close = "</fragment>";

    /// <summary>The fragment as a <c>&lt;policies&gt;</c> document, or null when it is not one <c>&lt;fragment&gt;</c> element.</summary>
    public static string? ToDocumentXml(string fragment)
    {
        ArgumentNullException.ThrowIfNull(fragment);
        var xml = fragment.Trim();
        if (xml is "<fragment/>" or "<fragment />")
        {
            return "<policies><inbound /></policies>";
        }

        return xml.StartsWith(Open, StringComparison.Ordinal) && xml.EndsWith(Close, StringComparison.Ordinal)
            ? "<policies><inbound>" + xml[Open.Length..^Close.Length] + "</inbound></policies>"
            : null;
    }

    /// <summary>Every problem of a fragment (empty when valid); section placement is checked where it is included.</summary>
    public static IReadOnlyList<PolicyError> Validate(string fragment)
    {
        var xml = ToDocumentXml(fragment);
        if (xml is null)
        {
            return [new PolicyError("fragment", 1, 1, "A policy fragment must be one <fragment> element holding policies.")];
        }

        return PolicyValidator.Validate(xml)
            .Where(e => !e.Message.Contains("is not allowed in section", StringComparison.Ordinal))
            .Select(e => e with { Path = e.Path.Replace("policies/inbound", "fragment", StringComparison.Ordinal) })
            .ToList();
    }

    /// <summary>Parses a fragment; throws <see cref="PolicyDocumentException"/> when it is not valid.</summary>
    public static PolicyDocument Parse(string fragment)
    {
        var errors = Validate(fragment);
        return errors.Count > 0 ? throw new PolicyDocumentException(errors) : PolicyDocument.Parse(ToDocumentXml(fragment)!);
    }
}
