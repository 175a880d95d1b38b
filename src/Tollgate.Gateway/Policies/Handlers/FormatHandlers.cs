using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Net.Http.Headers;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>What json-to-xml and xml-to-json share: when to convert, and the Content-Type that follows.</summary>
internal abstract class FormatHandler(PolicyLocation location, MessageTarget target, bool always, bool considerAccept) : PolicyHandler(location)
{
    protected abstract string From { get; }

    protected abstract string To { get; }

    protected abstract string ContentType { get; }

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var body = Bodies.Current(context, target);
        if (body is null || body.Content.Length == 0)
        {
            return Continue;
        }

        var headers = target == MessageTarget.Request ? context.Http.Request.Headers : context.Http.Response.Headers;
        if (!always && !headers.ContentType.ToString().Contains(From, StringComparison.OrdinalIgnoreCase))
        {
            return Continue;
        }

        // consider-accept-header: convert only when the client asks for the target format (or anything).
        if (considerAccept && context.Http.Request.Headers.Accept.ToString() is { Length: > 0 } accept
            && !accept.Contains(To, StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
        {
            return Continue;
        }

        Bodies.Replace(context, target, Convert(body.As<string>(preserveContent: true), target == MessageTarget.Request));
        headers[HeaderNames.ContentType] = ContentType;
        return Continue;
    }

    /// <summary>Converts the body; a body refused as a tree (DTD, too deep) is a <see cref="BodyRejectedException"/>.</summary>
    protected abstract byte[] Convert(string text, bool clientRequest);
}

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

/// <summary>
/// <c>xml-to-json</c>: an XML body becomes JSON. <c>direct</c> keeps the XML's shape (attributes as <c>@name</c>, text
/// beside them as <c>#text</c>, namespace prefixes kept); <c>javascript-friendly</c> drops namespace prefixes and the
/// <c>@</c> of attributes, so properties read naturally from JavaScript. Repeated elements become arrays (every child
/// element with <c>always-array-child-elements</c>).
/// </summary>
internal sealed class XmlToJsonHandler(PolicyLocation location, MessageTarget target, bool always, bool considerAccept, bool direct, bool alwaysArray)
    : FormatHandler(location, target, always, considerAccept)
{
    protected override string From => "xml";

    protected override string To => "json";

    protected override string ContentType => "application/json";

    protected override byte[] Convert(string text, bool clientRequest)
    {
        var document = SafeParsing.ParseXmlBody(text, clientRequest);
        var root = document.Root!;
        var json = new JObject { [Name(root.Name, root)] = Value(root) };
        return Encoding.UTF8.GetBytes(json.ToString(Newtonsoft.Json.Formatting.None));
    }

    private JToken Value(XElement element)
    {
        var attributes = element.Attributes().Where(a => !a.IsNamespaceDeclaration || direct).ToList();
        if (!element.HasElements && attributes.Count == 0)
        {
            return element.IsEmpty ? JValue.CreateNull() : new JValue(element.Value);
        }

        var result = new JObject();
        foreach (var a in attributes)
        {
            result[(direct ? "@" : "") + Name(a.Name, element)] = a.Value;
        }

        foreach (var group in element.Elements().GroupBy(e => Name(e.Name, e)))
        {
            var values = group.Select(Value).ToList();
            result[group.Key] = values.Count == 1 && !alwaysArray ? values[0] : new JArray(values);
        }

        var text = string.Concat(element.Nodes().OfType<XText>().Select(t => t.Value)).Trim();
        if (text.Length > 0)
        {
            result["#text"] = text;
        }

        return result;
    }

    private string Name(XName name, XElement scope)
    {
        if (name.Namespace == XNamespace.Xmlns)
        {
            return "xmlns:" + name.LocalName;
        }

        if (!direct || name.Namespace == XNamespace.None)
        {
            return name.LocalName;
        }

        var prefix = scope.GetPrefixOfNamespace(name.Namespace);
        return prefix is null ? name.LocalName : prefix + ":" + name.LocalName;
    }
}
