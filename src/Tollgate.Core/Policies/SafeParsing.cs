using System.Xml;
using System.Xml.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Tollgate.Core.Policies;

/// <summary>
/// Every XML and JSON text the server turns into a tree (policy documents, message bodies) is read here: no DTD (an
/// entity-expansion "billion laughs" body is refused, nothing is resolved) and a maximum nesting depth checked while
/// reading, so that no code walking the tree afterwards (recursively) can run out of stack.
/// </summary>
public static class SafeParsing
{
    /// <summary>Most levels of nested elements (XML) or objects and arrays (JSON) a body may have.</summary>
    public const int MaxBodyDepth = 64;

    /// <summary>Most levels of nested elements a policy document (or fragment) may have, <c>&lt;policies&gt;</c> included.</summary>
    public const int MaxPolicyDepth = 64;

    /// <summary>
    /// Parses XML without DTD processing, refusing elements nested deeper than <paramref name="maxDepth"/> levels
    /// (<see cref="XmlDepthExceededException"/>, an <see cref="XmlException"/> with the position) while reading.
    /// </summary>
    public static XDocument ParseXml(string text, int maxDepth, LoadOptions options = LoadOptions.None)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var reader = Reader(new StringReader(text), maxDepth, null, ignoreWhitespace: (options & LoadOptions.PreserveWhitespace) == 0);
        return XDocument.Load(reader, options);
    }

    /// <summary>
    /// A forward-only <see cref="XmlReader"/> over <paramref name="text"/> with the same rules as <see cref="ParseXml"/>:
    /// no DTD, nothing resolved, elements nested deeper than <paramref name="maxDepth"/> refused while reading (so a tree
    /// built from it, <c>XNode.ReadFrom</c>, stays shallow enough for recursive walks). Disposing it closes the text.
    /// <paramref name="tooDeep"/>, when given, is called (and may throw its own exception) before the reader refuses;
    /// <paramref name="eachNode"/>, when given, is called for every node read (an expression's step and element budgets).
    /// </summary>
    public static XmlReader CreateXmlReader(TextReader text, int maxDepth, Action? tooDeep = null, Action? eachNode = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Reader(text, maxDepth, tooDeep, ignoreWhitespace: false, eachNode);
    }

    /// <summary>
    /// <paramref name="reader"/> (one of <see cref="CreateXmlReader"/>'s, or a reader over a tree already in memory) with
    /// the same nesting limit and per-node callback, for code that builds a tree from a reader it did not create.
    /// </summary>
    public static XmlReader LimitDepth(XmlReader reader, int maxDepth, Action? tooDeep = null, Action? eachNode = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new DepthLimitedXmlReader(reader, maxDepth, tooDeep, eachNode);
    }

    /// <summary>The one way XML is read here: no DTD, no resolver, entities bounded, nesting limited; disposing it closes the text.</summary>
    private static DepthLimitedXmlReader Reader(TextReader text, int maxDepth, Action? tooDeep, bool ignoreWhitespace, Action? eachNode = null)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 1024,
            IgnoreWhitespace = ignoreWhitespace,
            CloseInput = true,
        };
        return new DepthLimitedXmlReader(XmlReader.Create(text, settings), maxDepth, tooDeep, eachNode);
    }

    /// <summary>True when <paramref name="text"/> reads as XML (no DTD, at most <see cref="MaxPolicyDepth"/> levels) as written.</summary>
    public static bool IsWellFormedXml(string text)
    {
        try
        {
            using var reader = Reader(new StringReader(text), MaxPolicyDepth, null, ignoreWhitespace: false);
            while (reader.Read())
            {
            }

            return true;
        }
        catch (XmlException)
        {
            return false;
        }
    }

    /// <summary>Parses JSON (Newtonsoft, as APIM's expressions see it), refusing more than <paramref name="maxDepth"/> nested levels while reading.</summary>
    public static JToken ParseJson(string text, int maxDepth = MaxBodyDepth, DateParseHandling dates = DateParseHandling.DateTime)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var reader = new DepthLimitedJsonReader(new StringReader(text), maxDepth) { DateParseHandling = dates, MaxDepth = maxDepth + 1 };
        return JToken.ReadFrom(reader);
    }

    /// <summary>
    /// Parses a message body as XML. A DTD or nesting deeper than <see cref="MaxBodyDepth"/> is a
    /// <see cref="BodyRejectedException"/>; malformed XML stays an <see cref="XmlException"/>.
    /// </summary>
    public static XDocument ParseXmlBody(string text, bool clientRequest)
    {
        try
        {
            return ParseXml(text, MaxBodyDepth);
        }
        catch (XmlDepthExceededException e)
        {
            throw new BodyRejectedException($"The XML body nests elements more than {MaxBodyDepth} levels deep (line {e.LineNumber}, position {e.LinePosition}).", clientRequest, e);
        }
        catch (XmlException e) when (text.Contains("<!DOCTYPE", StringComparison.Ordinal))
        {
            throw new BodyRejectedException("XML bodies with a document type declaration (<!DOCTYPE ...>) are not accepted.", clientRequest, e);
        }
    }

    /// <summary>Parses a message body as JSON; nesting deeper than <see cref="MaxBodyDepth"/> is a <see cref="BodyRejectedException"/>.</summary>
    public static JToken ParseJsonBody(string text, bool clientRequest, DateParseHandling dates = DateParseHandling.DateTime)
    {
        try
        {
            return ParseJson(text, MaxBodyDepth, dates);
        }
        catch (JsonDepthExceededException e)
        {
            throw new BodyRejectedException($"The JSON body nests objects and arrays more than {MaxBodyDepth} levels deep ({e.Where}).", clientRequest, e);
        }
    }

    private sealed class DepthLimitedJsonReader(TextReader text, int maxDepth) : JsonTextReader(text)
    {
        public override bool Read()
        {
            // Newtonsoft's own MaxDepth is set one above ours as a second fence; ours fires first and is typed.
            var read = base.Read();
            if (read && TokenType is JsonToken.StartObject or JsonToken.StartArray && Depth >= maxDepth)
            {
                throw new JsonDepthExceededException($"line {LineNumber}, position {LinePosition}");
            }

            return read;
        }
    }

    private sealed class JsonDepthExceededException(string where) : JsonException("Too deeply nested: " + where)
    {
        public string Where { get; } = where;
    }

    /// <summary>An <see cref="XmlReader"/> that throws when an element starts deeper than the limit; everything else is the inner reader's.</summary>
    private sealed class DepthLimitedXmlReader(XmlReader inner, int maxDepth, Action? tooDeep = null, Action? eachNode = null) : XmlReader, IXmlLineInfo
    {
        public override bool Read()
        {
            var read = inner.Read();
            if (read)
            {
                eachNode?.Invoke();
            }

            if (read && inner.NodeType == XmlNodeType.Element && inner.Depth >= maxDepth)
            {
                // The caller's own refusal first (an expression's depth budget), else the typed exception.
                tooDeep?.Invoke();
                var (line, position) = inner is IXmlLineInfo li ? (li.LineNumber, li.LinePosition) : (0, 0);
                throw new XmlDepthExceededException(maxDepth, line, position);
            }

            return read;
        }

        public override int AttributeCount => inner.AttributeCount;

        public override string BaseURI => inner.BaseURI;

        public override int Depth => inner.Depth;

        public override bool EOF => inner.EOF;

        public override bool IsEmptyElement => inner.IsEmptyElement;

        public override string LocalName => inner.LocalName;

        public override string Name => inner.Name;

        public override string NamespaceURI => inner.NamespaceURI;

        public override XmlNameTable NameTable => inner.NameTable;

        public override XmlNodeType NodeType => inner.NodeType;

        public override string Prefix => inner.Prefix;

        public override ReadState ReadState => inner.ReadState;

        public override string Value => inner.Value;

        public override bool HasValue => inner.HasValue;

        public override bool IsDefault => inner.IsDefault;

        public override char QuoteChar => inner.QuoteChar;

        public override XmlSpace XmlSpace => inner.XmlSpace;

        public override string XmlLang => inner.XmlLang;

        public override XmlReaderSettings? Settings => inner.Settings;

        public int LineNumber => inner is IXmlLineInfo li ? li.LineNumber : 0;

        public int LinePosition => inner is IXmlLineInfo li ? li.LinePosition : 0;

        public bool HasLineInfo() => inner is IXmlLineInfo li && li.HasLineInfo();

        public override string GetAttribute(int i) => inner.GetAttribute(i);

        public override string? GetAttribute(string name) => inner.GetAttribute(name);

        public override string? GetAttribute(string name, string? namespaceURI) => inner.GetAttribute(name, namespaceURI);

        public override string? LookupNamespace(string prefix) => inner.LookupNamespace(prefix);

        public override bool MoveToAttribute(string name) => inner.MoveToAttribute(name);

        public override bool MoveToAttribute(string name, string? ns) => inner.MoveToAttribute(name, ns);

        public override void MoveToAttribute(int i) => inner.MoveToAttribute(i);

        public override bool MoveToElement() => inner.MoveToElement();

        public override bool MoveToFirstAttribute() => inner.MoveToFirstAttribute();

        public override bool MoveToNextAttribute() => inner.MoveToNextAttribute();

        public override bool ReadAttributeValue() => inner.ReadAttributeValue();

        public override void ResolveEntity() => inner.ResolveEntity();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>XML whose elements nest deeper than the limit of <see cref="SafeParsing"/>, found while reading.</summary>
public sealed class XmlDepthExceededException(int maxDepth, int line, int position)
    : XmlException($"Elements are nested more than {maxDepth} levels deep.", null, line, position)
{
    public int MaxDepth { get; } = maxDepth;
}

/// <summary>
/// A message body that the gateway refuses to turn into a tree: a DTD, or nesting deeper than
/// <see cref="SafeParsing.MaxBodyDepth"/>. A client's request body refused this way is a 400.
/// </summary>
public sealed class BodyRejectedException(string message, bool clientRequest, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when the body is the client's request (the gateway answers 400), false for a response's.</summary>
    public bool ClientRequest { get; } = clientRequest;
}
