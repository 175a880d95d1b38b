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
/// <c>json-to-xml</c>: a JSON body becomes XML (arrays as repeated elements), with APIM's options: <c>parse-date</c>,
/// <c>namespace-prefix</c>/<c>namespace-separator</c> (a property named prefix + separator + p, such as
/// <c>"xmlns:soapenv"</c>, declares the namespace p on the element whose object holds it, and names p + separator +
/// local, such as <c>"soapenv:Envelope"</c>, are qualified with it there and below) and <c>attribute-block-name</c> (an
/// object whose properties become attributes of the enclosing element). The root is the JSON's one property when the
/// body is an object with a single property holding an object (APIM's SOAP envelope example), else a <c>Document</c>
/// element holding the body.
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
    private static readonly Dictionary<string, XNamespace> NoNamespaces = new(StringComparer.Ordinal);

    protected override string From => "json";

    protected override string To => "xml";

    protected override string ContentType => "application/xml";

    protected override byte[] Convert(string text, bool clientRequest)
    {
        var token = SafeParsing.ParseJsonBody(text, clientRequest, parseDate ? DateParseHandling.DateTime : DateParseHandling.None);
        var root = token is JObject { Count: 1 } obj && obj.Properties().First() is { Value: JObject } single && !IsDeclaration(single.Name) && single.Name != attributeBlock
            ? Element(single.Name, single.Value, NoNamespaces)
            : Element("Document", token, NoNamespaces);
        return Encoding.UTF8.GetBytes(root.ToString(SaveOptions.DisableFormatting));
    }

    /// <summary>The element for one JSON property: its object's namespace declarations are read first, as they may name it.</summary>
    private XElement Element(string name, JToken value, Dictionary<string, XNamespace> namespaces)
    {
        List<XAttribute>? declarations = null;
        if (value is JObject obj)
        {
            foreach (var property in obj.Properties())
            {
                if (IsDeclaration(property.Name))
                {
                    var prefix = property.Name[(namespacePrefix.Length + namespaceSeparator!.Length)..];
                    var uri = Scalar(property.Value);
                    // XML cannot bind a prefix to no namespace, nor rebind xml and xmlns: such a declaration is left out.
                    if (prefix.Length == 0 || uri.Length == 0 || prefix is "xml" or "xmlns")
                    {
                        continue;
                    }

                    if (declarations is null)
                    {
                        declarations = [];
                        namespaces = new Dictionary<string, XNamespace>(namespaces, StringComparer.Ordinal);
                    }

                    namespaces[prefix] = XNamespace.Get(uri);
                    declarations.Add(new XAttribute(XNamespace.Xmlns + XmlConvert.EncodeLocalName(prefix), uri));
                }
            }
        }

        var element = new XElement(Name(name, namespaces));
        if (declarations is not null)
        {
            element.Add(declarations);
        }

        Fill(element, value, namespaces);
        return element;
    }

    private void Fill(XElement element, JToken token, Dictionary<string, XNamespace> namespaces)
    {
        switch (token)
        {
            case JObject obj:
                foreach (var property in obj.Properties())
                {
                    if (IsDeclaration(property.Name))
                    {
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

                    if (property.Value is JArray array)
                    {
                        foreach (var item in array)
                        {
                            element.Add(Element(property.Name, item, namespaces));
                        }
                    }
                    else
                    {
                        element.Add(Element(property.Name, property.Value, namespaces));
                    }
                }

                break;
            case JArray items:
                foreach (var item in items)
                {
                    element.Add(Element("Array", item, namespaces));
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

    /// <summary>A property that declares a namespace (<c>xmlns:p</c> with the defaults of the example).</summary>
    private bool IsDeclaration(string name) =>
        namespaceSeparator is not null && name.StartsWith(namespacePrefix, StringComparison.Ordinal)
        && name.AsSpan(namespacePrefix.Length).StartsWith(namespaceSeparator, StringComparison.Ordinal);

    /// <summary>A name qualified when its prefix is declared here or above; else the name as written (encoded as an XML name).</summary>
    private XName Name(string name, Dictionary<string, XNamespace> namespaces)
    {
        if (namespaceSeparator is not null)
        {
            var at = name.IndexOf(namespaceSeparator, StringComparison.Ordinal);
            if (at > 0 && at + namespaceSeparator.Length < name.Length && namespaces.TryGetValue(name[..at], out var ns))
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
