using System.Text;
using System.Xml.Linq;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.XmlToJson;

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
