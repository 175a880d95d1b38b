using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.JsonToXml;

/// <summary>
/// <c>json-to-xml</c>: a JSON body becomes XML under a <c>Document</c> root (arrays as repeated elements), with APIM's
/// options: <c>parse-date</c>, <c>namespace-separator</c>/<c>namespace-prefix</c> (<c>"xmlns:p"</c> properties declare
/// namespaces, <c>"p:name"</c> properties are qualified) and <c>attribute-block-name</c> (an object whose properties
/// become attributes of the enclosing element).
/// </summary>
internal sealed class JsonToXmlHandler(
    PolicyLocation location,
    MessageTarget target,
    bool always,
    bool considerAccept,
    bool parseDate,
    string? namespaceSeparator,
    string namespacePrefix,
    string? attributeBlock) : FormatHandler(location, target, always, considerAccept)
{
    protected override string From => "json";

    protected override string To => "xml";

    protected override string ContentType => "application/xml";

    protected override byte[] Convert(string text, bool clientRequest)
    {
        var token = SafeParsing.ParseJsonBody(text, clientRequest, parseDate ? DateParseHandling.DateTime : DateParseHandling.None);
        var root = new XElement("Document");
        var namespaces = new Dictionary<string, XNamespace>(StringComparer.Ordinal);
        Fill(root, token, namespaces);
        return Encoding.UTF8.GetBytes(root.ToString(SaveOptions.DisableFormatting));
    }

    private void Fill(XElement element, JToken token, Dictionary<string, XNamespace> namespaces)
    {
        switch (token)
        {
            case JObject obj:
                foreach (var property in obj.Properties())
                {
                    if (namespaceSeparator is not null && property.Name.StartsWith(namespacePrefix + namespaceSeparator, StringComparison.Ordinal))
                    {
                        var prefix = property.Name[(namespacePrefix.Length + namespaceSeparator.Length)..];
                        XNamespace ns = property.Value.ToString();
                        namespaces[prefix] = ns;
                        element.Add(new XAttribute(XNamespace.Xmlns + prefix, ns.NamespaceName));
                        continue;
                    }

                    if (attributeBlock is not null && property.Name == attributeBlock && property.Value is JObject attributes)
                    {
                        foreach (var a in attributes.Properties())
                        {
                            element.SetAttributeValue(Name(a.Name, namespaces), Scalar(a.Value));
                        }

                        continue;
                    }

                    var name = Name(property.Name, namespaces);
                    if (property.Value is JArray array)
                    {
                        foreach (var item in array)
                        {
                            var child = new XElement(name);
                            Fill(child, item, namespaces);
                            element.Add(child);
                        }
                    }
                    else
                    {
                        var child = new XElement(name);
                        Fill(child, property.Value, namespaces);
                        element.Add(child);
                    }
                }

                break;
            case JArray items:
                foreach (var item in items)
                {
                    var child = new XElement("Array");
                    Fill(child, item, namespaces);
                    element.Add(child);
                }

                break;
            default:
                if (token.Type != JTokenType.Null)
                {
                    element.Value = Scalar(token);
                }

                break;
        }
    }

    private XName Name(string name, Dictionary<string, XNamespace> namespaces)
    {
        if (namespaceSeparator is not null)
        {
            var at = name.IndexOf(namespaceSeparator, StringComparison.Ordinal);
            if (at > 0 && namespaces.TryGetValue(name[..at], out var ns))
            {
                return ns + XmlConvert.EncodeLocalName(name[(at + namespaceSeparator.Length)..]);
            }
        }

        return XmlConvert.EncodeLocalName(name);
    }

    private static string Scalar(JToken token) => token switch
    {
        JValue { Value: DateTime d } => d.ToString("o", CultureInfo.InvariantCulture),
        JValue { Value: bool b } => b ? "true" : "false",
        JValue { Value: IFormattable f } => f.ToString(null, CultureInfo.InvariantCulture),
        JValue v => v.Value?.ToString() ?? "",
        _ => token.ToString(Newtonsoft.Json.Formatting.None),
    };
}
