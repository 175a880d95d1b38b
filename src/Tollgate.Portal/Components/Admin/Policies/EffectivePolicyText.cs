using System.Xml;
using System.Xml.Linq;

namespace Tollgate.Portal.Components.Admin.Policies;

/// <summary>One scope's policy document for <see cref="EffectivePolicyText.Compose"/>: its label and raw XML (null: none).</summary>
public sealed record PolicyScopeText(string Label, string? Xml);

/// <summary>
/// The policy that runs for an operation, as text: the documents of the global, product, API and operation scopes
/// merged through <c>&lt;base /&gt;</c> as the gateway merges them, each run of policies preceded by a comment naming
/// the scope it comes from. A scope without a document, or a document without a section, inherits the section of the
/// scope above unchanged; a section without <c>&lt;base /&gt;</c> drops the policies above it.
/// </summary>
public static class EffectivePolicyText
{
    private static readonly string[] Sections = ["inbound", "backend", "outbound", "on-error"];

    /// <summary>Merges <paramref name="scopes"/>, broadest first (global, product, API, operation).</summary>
    public static string Compose(IReadOnlyList<PolicyScopeText> scopes)
    {
        var documents = scopes.Select(s => (s.Label, Root: Parse(s.Xml))).ToList();
        var result = new XElement("policies");
        foreach (var name in Sections)
        {
            IReadOnlyList<(string Scope, XElement Element)> inherited = [];
            foreach (var (label, root) in documents)
            {
                if (root?.Element(name) is not { } section)
                {
                    continue;
                }

                var merged = new List<(string, XElement)>();
                foreach (var element in section.Elements())
                {
                    if (element.Name.LocalName == "base")
                    {
                        merged.AddRange(inherited);
                    }
                    else
                    {
                        merged.Add((label, element));
                    }
                }

                inherited = merged;
            }

            var composed = new XElement(name);
            string? current = null;
            foreach (var (scope, element) in inherited)
            {
                if (scope != current)
                {
                    composed.Add(new XComment($" {scope} "));
                    current = scope;
                }

                composed.Add(new XElement(element));
            }

            result.Add(composed);
        }

        return result.ToString(SaveOptions.None);
    }

    /// <summary>A stored document (management has validated it); one that does not parse counts as none.</summary>
    private static XElement? Parse(string? xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            return null;
        }

        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                MaxCharactersInDocument = 4 * 1024 * 1024,
            });
            return XDocument.Load(reader).Root;
        }
        catch (XmlException)
        {
            return null;
        }
    }
}
