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

    private PolicyDocument(IReadOnlyList<PolicySection> sections, string source, PolicySourceMap map, NamedValues? namedValues)
    {
        Sections = sections;
        Source = source;
        Map = map;
        NamedValues = namedValues;
    }

    /// <summary>The XML text the document was parsed from: named values substituted, expressions escaped (expressions map their positions through it).</summary>
    internal string Source { get; }

    /// <summary>Traces positions in <see cref="Source"/> back to the text the author wrote.</summary>
    internal PolicySourceMap Map { get; }

    /// <summary>The named values substituted into the document, if any (their secrets are hidden from messages).</summary>
    internal NamedValues? NamedValues { get; }

    /// <summary><paramref name="message"/> with the secret named values of the document hidden.</summary>
    internal string Redact(string message) => NamedValues?.Redact(message) ?? message;

    /// <summary>An error found in <see cref="Source"/> as its author sees it: at the author's line and column, secrets hidden.</summary>
    internal PolicyError Report(PolicyError error)
    {
        var (line, column) = Map.Map(error.Line, error.Column);
        return error with { Line = line, Column = column, Message = Redact(error.Message) };
    }

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
    public static PolicyDocument Parse(string xml) => Parse(xml, null);

    /// <summary>
    /// Parses a policy document after substituting <paramref name="namedValues"/> (<c>{{name}}</c>; null: none are
    /// substituted). <paramref name="escaped"/>: the document is APIM's format <c>xml</c> (expressions already escaped);
    /// otherwise, or when it is not well-formed as written, it is read as format <c>rawxml</c>.
    /// </summary>
    public static PolicyDocument Parse(string xml, NamedValues? namedValues, bool escaped = false)
    {
        var errors = new List<PolicyError>();
        var doc = Load(xml, errors, namedValues, escaped);
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
    internal static PolicyDocument? Load(string xml, List<PolicyError> errors, NamedValues? namedValues = null, bool escaped = false)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var original = xml;

        // Named values first, textually, as APIM does: they may hold expressions, and may appear anywhere.
        var substituted = new SourceEdits();
        if (namedValues is not null)
        {
            (xml, substituted, var missing) = namedValues.Substitute(xml);
            foreach (var (name, offset, why) in missing)
            {
                var (ml, mc) = PolicySourceMap.Identity(original).Locate(offset);
                errors.Add(new PolicyError("{{" + name + "}}", ml, mc, why));
            }

            if (missing.Count > 0)
            {
                return null;
            }
        }

        // Expressions written as APIM's rawxml format (unescaped C#) become well-formed XML first; a document in format
        // xml is read as written when it is well-formed (its expressions are escaped already: @(&quot;it's&quot;)).
        var escapes = new SourceEdits();
        if (!escaped || !SafeParsing.IsWellFormedXml(xml))
        {
            xml = RawPolicyXml.Normalize(xml, escapes);
        }

        var map = substituted.IsEmpty && escapes.IsEmpty
            ? PolicySourceMap.Identity(xml)
            : new PolicySourceMap(xml, original, o => substituted.ToOld(escapes.ToOld(o)));
        var found = new List<PolicyError>();
        var document = Load(xml, found, map, namedValues);
        foreach (var e in found)
        {
            var (l, c) = map.Map(e.Line, e.Column);
            errors.Add(e with { Line = l, Column = c, Message = namedValues?.Redact(e.Message) ?? e.Message });
        }

        return document;
    }

    private static PolicyDocument? Load(string xml, List<PolicyError> errors, PolicySourceMap map, NamedValues? namedValues)
    {
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

        return new PolicyDocument(sections.AsReadOnly(), xml, map, namedValues);
    }

    private static PolicyElement ToElement(XElement el)
    {
        if (el.Name.LocalName == "set-body" && el.Attribute("template")?.Value.Trim() == "liquid")
        {
            return LiquidTemplate(el);
        }

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

    /// <summary>
    /// <c>set-body template="liquid"</c>: its content is the template, markup included (APIM's SOAP envelope examples
    /// write XML elements around <c>{{body.x}}</c>); the elements are not policies and have no children here.
    /// </summary>
    private static PolicyElement LiquidTemplate(XElement el)
    {
        var attrs = el.Attributes()
            .Where(a => !a.IsNamespaceDeclaration)
            .Select(a =>
            {
                var (al, ac) = Position(a);
                return new PolicyAttribute(a.Name.LocalName, a.Value, IsExpression(a.Value), al, ac);
            })
            .ToArray();
        var sb = new StringBuilder();
        foreach (var node in el.Nodes())
        {
            sb.Append(node switch
            {
                XText t => t.Value,
                XElement e => e.ToString(SaveOptions.DisableFormatting | SaveOptions.OmitDuplicateNamespaces),
                _ => "",
            });
        }

        var text = sb.ToString().Trim();
        var (l, c) = Position(el);
        return new PolicyElement(el.Name.LocalName, Array.AsReadOnly(attrs), [], text.Length == 0 ? null : text, false, l, c);
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
public static partial class PolicyFragment
{
    private const string Open = "<fragment>";
    private const string Close = "</fragment>";
    private const string DocumentOpen = "<policies><inbound>";

    /// <summary>The fragment as a <c>&lt;policies&gt;</c> document, or null when it is not one <c>&lt;fragment&gt;</c> element.</summary>
    /// <remarks>Comments and white space may surround the element (APIM's own fragment template starts with a comment).</remarks>
    public static string? ToDocumentXml(string fragment) => Wrap(fragment)?.Xml;

    /// <summary>The document, the offset of <c>&lt;fragment&gt;</c> in it and how many characters the wrapping added there.</summary>
    private static (string Xml, int At, int Shift)? Wrap(string fragment)
    {
        ArgumentNullException.ThrowIfNull(fragment);
        var start = SkipMisc(fragment, 0);
        var end = fragment.Length;
        while (end > start && char.IsWhiteSpace(fragment[end - 1]))
        {
            end--;
        }

        // Trailing comments: the element ends at the last '>' that is not part of one.
        while (end > start && fragment.AsSpan(start, end - start).EndsWith("-->", StringComparison.Ordinal))
        {
            var open = fragment.LastIndexOf("<!--", end - 1, end - start, StringComparison.Ordinal);
            if (open < start)
            {
                return null;
            }

            end = open;
            while (end > start && char.IsWhiteSpace(fragment[end - 1]))
            {
                end--;
            }
        }

        var element = fragment[start..end];
        var before = fragment[..start];
        var after = fragment[end..];
        if (EmptyFragment().IsMatch(element))
        {
            return (before + "<policies><inbound /></policies>" + after, start, 0);
        }

        return element.StartsWith(Open, StringComparison.Ordinal) && element.EndsWith(Close, StringComparison.Ordinal)
            ? (before + DocumentOpen + element[Open.Length..^Close.Length] + "</inbound></policies>" + after, start, DocumentOpen.Length - Open.Length)
            : null;
    }

    /// <summary>Skips white space, comments and an XML declaration from <paramref name="i"/>.</summary>
    private static int SkipMisc(string s, int i)
    {
        while (i < s.Length)
        {
            if (char.IsWhiteSpace(s[i]))
            {
                i++;
            }
            else if (string.CompareOrdinal(s, i, "<!--", 0, 4) == 0 || string.CompareOrdinal(s, i, "<?", 0, 2) == 0)
            {
                var close = s[i + 1] == '!' ? "-->" : "?>";
                var at = s.IndexOf(close, i + 2, StringComparison.Ordinal);
                if (at < 0)
                {
                    return i;
                }

                i = at + close.Length;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    /// <summary>Every problem of a fragment (empty when valid); section placement is checked where it is included.</summary>
    public static IReadOnlyList<PolicyError> Validate(string fragment) => Validate(fragment, null);

    /// <summary>Every problem of a fragment after substituting <paramref name="namedValues"/> (null: none), at the author's lines and columns.</summary>
    public static IReadOnlyList<PolicyError> Validate(string fragment, NamedValues? namedValues, bool escaped = false)
    {
        var wrapped = Wrap(fragment);
        if (wrapped is null)
        {
            return [new PolicyError("fragment", 1, 1, "A policy fragment must be one <fragment> element holding policies.")];
        }

        var (xml, at, shift) = wrapped.Value;
        var starts = PolicySourceMap.LineStarts(xml);
        var line = Array.BinarySearch(starts, at);
        line = line < 0 ? ~line : line + 1;
        var column = at - starts[line - 1] + 1;
        return PolicyValidator.Validate(xml, namedValues, escaped)
            .Where(e => !e.Message.Contains("is not allowed in section", StringComparison.Ordinal))
            .Select(e => e with
            {
                Path = e.Path.Replace("policies/inbound", "fragment", StringComparison.Ordinal),
                Column = e.Line == line && e.Column > column + shift ? e.Column - shift : e.Column,
            })
            .ToList();
    }

    /// <summary>Parses a fragment; throws <see cref="PolicyDocumentException"/> when it is not valid.</summary>
    public static PolicyDocument Parse(string fragment) => Parse(fragment, null);

    /// <summary>Parses a fragment after substituting <paramref name="namedValues"/>; throws <see cref="PolicyDocumentException"/> when it is not valid.</summary>
    public static PolicyDocument Parse(string fragment, NamedValues? namedValues, bool escaped = false)
    {
        var errors = Validate(fragment, namedValues, escaped);
        return errors.Count > 0 ? throw new PolicyDocumentException(errors) : PolicyDocument.Parse(ToDocumentXml(fragment)!, namedValues, escaped);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^<fragment\s*/>$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex EmptyFragment();
}
