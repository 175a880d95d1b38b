using System.Globalization;
using System.Xml;
using System.Xml.XPath;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// <c>XmlDocument</c> as expressions use it (APIM's own snippets do: <c>new XmlDocument()</c>, <c>LoadXml</c>,
/// <c>SelectSingleNode</c>): every document an expression creates is a <see cref="BudgetedXmlDocument"/>, which reads
/// only through <see cref="SafeParsing"/> and evaluates XPath on a navigator that passes a budget check at every move.
/// </summary>
public static partial class ExpressionRuntime
{
    /// <summary>Characters of a node's value read per step when a navigator hands it out.</summary>
    private const int CharactersPerStep = 64;

    /// <summary><c>new XmlDocument()</c> as expressions run it (see <see cref="BudgetedXmlDocument"/>).</summary>
    public static XmlDocument NewXmlDocument() => new BudgetedXmlDocument();

    /// <summary>
    /// Refuses an XPath expression before .NET's parser (recursive over the text) reads it: longer than
    /// <see cref="ExpressionLimits.MaxXPathLength"/> characters, or with more than <see cref="ExpressionLimits.MaxXPathNesting"/>
    /// brackets (<c>(</c>, <c>[</c>) open at once outside its string literals. Throws an <see cref="XPathException"/>
    /// naming the limit, as a malformed XPath does.
    /// </summary>
    internal static void CheckXPath(string? xpath)
    {
        if (xpath is null)
        {
            return;
        }

        var limits = CurrentLimits;
        if (xpath.Length > limits.MaxXPathLength)
        {
            throw new XPathException(string.Create(CultureInfo.InvariantCulture,
                $"The XPath expression is {xpath.Length:N0} characters long; XPath in policy expressions is limited to {limits.MaxXPathLength:N0} characters (MaxXPathLength)."));
        }

        var open = 0;
        var quote = '\0';
        foreach (var c in xpath)
        {
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
                continue;
            }

            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    break;
                case '(' or '[' when ++open > limits.MaxXPathNesting:
                    throw new XPathException(string.Create(CultureInfo.InvariantCulture,
                        $"The XPath expression nests brackets more than {limits.MaxXPathNesting} deep; XPath in policy expressions is limited to {limits.MaxXPathNesting} open '(' and '[' at once (MaxXPathNesting)."));
                case ')' or ']':
                    open--;
                    break;
            }
        }
    }

    /// <summary>One step for a node read while building a document; refused past <see cref="ExpressionLimits.MaxElements"/> nodes.</summary>
    private static Action NodeCounter()
    {
        var nodes = 0;
        var max = CurrentLimits.MaxElements;
        return () =>
        {
            if (++nodes > max)
            {
                Exceed("elements");
            }

            TickIfRunning();
        };
    }

    /// <summary>Steps for reading <paramref name="characters"/> of text (one per <see cref="CharactersPerStep"/>), the clock read at once.</summary>
    private static void ChargeText(int characters)
    {
        if (_clock is not { } clock || characters < CharactersPerStep)
        {
            return;
        }

        _remaining -= characters / CharactersPerStep;
        if (_remaining < 0)
        {
            Exceed("steps");
        }

        if (clock.GetTimestamp() > _deadline)
        {
            Exceed("time");
        }
    }

    /// <summary>
    /// The <c>XmlDocument</c> of an expression: loads only through <see cref="SafeParsing"/> (no DTD, so no entity is
    /// expanded and nothing is resolved; elements nested at most <see cref="ExpressionLimits.MaxDepth"/> levels, deeper is
    /// the <c>depth</c> budget; one step per node read and at most <see cref="ExpressionLimits.MaxElements"/> nodes), never
    /// from a file, URL or stream, never with a resolver; every XPath evaluated on it (<c>SelectNodes</c>,
    /// <c>SelectSingleNode</c>, on the document or any of its nodes) is checked by <see cref="CheckXPath"/> and runs on a
    /// <see cref="BudgetedNavigator"/>.
    /// </summary>
    private sealed class BudgetedXmlDocument : XmlDocument
    {
        public override XmlResolver? XmlResolver
        {
            set => throw new NotSupportedException("Policy expressions read XML without a resolver: XmlDocument.XmlResolver cannot be set.");
        }

        public override void LoadXml(string xml)
        {
            ArgumentNullException.ThrowIfNull(xml);
            Str(xml, CurrentLimits.MaxStringLength);
            LoadSafely(new StringReader(xml));
        }

        public override void Load(TextReader txtReader) => LoadSafely(txtReader);

        public override void Load(XmlReader reader)
        {
            ArgumentNullException.ThrowIfNull(reader);
            base.Load(SafeParsing.LimitDepth(reader, CurrentLimits.MaxDepth, static () => Exceed("depth"), NodeCounter()));
        }

        public override void Load(Stream inStream) =>
            throw new NotSupportedException("Policy expressions load an XmlDocument from text only (LoadXml, Load(TextReader)).");

        public override void Load(string filename) =>
            throw new NotSupportedException("Policy expressions load an XmlDocument from text only (LoadXml, Load(TextReader)).");

        protected override XPathNavigator? CreateNavigator(XmlNode node) =>
            base.CreateNavigator(node) is { } inner ? new BudgetedNavigator(inner) : null;

        private void LoadSafely(TextReader text)
        {
            ArgumentNullException.ThrowIfNull(text);
            using var reader = SafeParsing.CreateXmlReader(text, CurrentLimits.MaxDepth, static () => Exceed("depth"), NodeCounter());
            base.Load(reader);
        }
    }

    /// <summary>
    /// The navigator XPath runs on over an expression's <c>XmlDocument</c>: every move (and every clone) passes a budget
    /// check, and reading a node's value costs a step per <see cref="CharactersPerStep"/> characters, so an XPath that
    /// would take polynomial time over the document (nested <c>//</c> predicates) is stopped by the step and time
    /// budgets in the middle of the library call. XPath text is checked (<see cref="CheckXPath"/>) before it is compiled.
    /// Selections, axes and comparisons use <see cref="XPathNavigator"/>'s own implementations over these moves.
    /// </summary>
    private sealed class BudgetedNavigator(XPathNavigator inner) : XPathNavigator, IHasXmlNode
    {
        public override XmlNameTable NameTable => inner.NameTable;

        public override XPathNodeType NodeType => inner.NodeType;

        public override string LocalName => inner.LocalName;

        public override string Name => inner.Name;

        public override string NamespaceURI => inner.NamespaceURI;

        public override string Prefix => inner.Prefix;

        public override string BaseURI => inner.BaseURI;

        public override bool IsEmptyElement => inner.IsEmptyElement;

        public override string Value
        {
            get
            {
                TickIfRunning();
                var value = inner.Value;
                ChargeText(value.Length);
                return value;
            }
        }

        public override object? UnderlyingObject => inner.UnderlyingObject;

        public XmlNode GetNode() => ((IHasXmlNode)inner).GetNode();

        public override XPathNavigator Clone()
        {
            TickIfRunning();
            return new BudgetedNavigator(inner.Clone());
        }

        public override bool IsSamePosition(XPathNavigator other) => other is BudgetedNavigator b && inner.IsSamePosition(b.Inner);

        public override bool MoveTo(XPathNavigator other) => Step() && other is BudgetedNavigator b && inner.MoveTo(b.Inner);

        public override bool MoveToFirstAttribute() => Step() && inner.MoveToFirstAttribute();

        public override bool MoveToNextAttribute() => Step() && inner.MoveToNextAttribute();

        public override bool MoveToFirstNamespace(XPathNamespaceScope namespaceScope) => Step() && inner.MoveToFirstNamespace(namespaceScope);

        public override bool MoveToNextNamespace(XPathNamespaceScope namespaceScope) => Step() && inner.MoveToNextNamespace(namespaceScope);

        public override bool MoveToNext() => Step() && inner.MoveToNext();

        public override bool MoveToPrevious() => Step() && inner.MoveToPrevious();

        public override bool MoveToFirstChild() => Step() && inner.MoveToFirstChild();

        public override bool MoveToParent() => Step() && inner.MoveToParent();

        public override bool MoveToId(string id) => Step() && inner.MoveToId(id);

        public override XPathExpression Compile(string xpath)
        {
            CheckXPath(xpath);
            return base.Compile(xpath);
        }

        public override XPathNodeIterator Select(string xpath)
        {
            CheckXPath(xpath);
            return base.Select(xpath);
        }

        public override XPathNodeIterator Select(string xpath, IXmlNamespaceResolver? resolver)
        {
            CheckXPath(xpath);
            return base.Select(xpath, resolver);
        }

        public override object Evaluate(string xpath)
        {
            CheckXPath(xpath);
            return base.Evaluate(xpath);
        }

        public override object Evaluate(string xpath, IXmlNamespaceResolver? resolver)
        {
            CheckXPath(xpath);
            return base.Evaluate(xpath, resolver);
        }

        private XPathNavigator Inner => inner;

        private static bool Step()
        {
            TickIfRunning();
            return true;
        }
    }
}
