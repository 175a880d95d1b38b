using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Xml.Linq;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// The size, nesting and regular expression guards the compiler puts around what expressions build and hand to library
/// code (see <see cref="ExpressionLimits"/>). Outside an evaluation they apply <see cref="ExpressionLimits.Default"/>.
/// </summary>
public static partial class ExpressionRuntime
{
    [ThreadStatic]
    private static Stack<(object Node, int Depth)>? _walk;

    [ThreadStatic]
    private static Dictionary<object, int>? _seen;

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]?> Members = new();

    private static ExpressionLimits CurrentLimits => _limits ?? ExpressionLimits.Default;

    /// <summary>A string the expression computed: refused when longer than <paramref name="max"/> characters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static string Str(string value, int max)
    {
        if (value is not null && value.Length > max)
        {
            Exceed("string");
        }

        return value!;
    }

    /// <summary>A size about to be allocated (string length, capacity, array length): refused above the limit before anything is allocated.</summary>
    public static int Size(int size, bool characters)
    {
        var limits = CurrentLimits;
        if (size > (characters ? limits.MaxStringLength : limits.MaxElements))
        {
            Exceed(characters ? "string" : "elements");
        }

        return size;
    }

    /// <summary><see cref="Size(int, bool)"/> for a <c>long</c> array length.</summary>
    public static long Size(long size, bool characters) => size > int.MaxValue ? Size(int.MaxValue, characters) : Size((int)size, characters);

    /// <summary>The receiver of a call that adds elements: refused once it holds <see cref="ExpressionLimits.MaxElements"/>.</summary>
    public static T Items<T>(T collection)
    {
        if (collection is ICollection c && c.Count >= CurrentLimits.MaxElements)
        {
            Exceed("elements");
        }

        return collection;
    }

    /// <summary>A collection or JSON container just built from other sequences: refused when it holds more than <see cref="ExpressionLimits.MaxElements"/>.</summary>
    public static T Built<T>(T collection)
    {
        if (collection is ICollection c && c.Count > CurrentLimits.MaxElements)
        {
            Exceed("elements");
        }

        return collection;
    }

    /// <summary>A JSON or XML node something is attached to: refused when it is already <see cref="ExpressionLimits.MaxDepth"/> deep.</summary>
    public static T Parented<T>(T node)
    {
        var max = CurrentLimits.MaxDepth;
        var depth = 0;
        switch (node)
        {
            case JToken token:
                for (var p = token.Parent; p is not null; p = p.Parent)
                {
                    if (++depth > max)
                    {
                        Exceed("depth");
                    }
                }

                break;
            case XObject x:
                for (var p = x.Parent; p is not null; p = p.Parent)
                {
                    if (++depth > max)
                    {
                        Exceed("depth");
                    }
                }

                break;
        }

        return node;
    }

    /// <summary>
    /// A value handed to library code that may walk it recursively (a JSON or XML tree, a tuple, an anonymous object, an
    /// exception with inner exceptions; with <paramref name="collections"/>, for Newtonsoft.Json and System.Xml.Linq, also
    /// arrays, lists and dictionaries): walked without recursion, one step per node, and refused when deeper than
    /// <see cref="ExpressionLimits.MaxDepth"/> or larger than <see cref="ExpressionLimits.MaxElements"/>.
    /// </summary>
    public static T Nest<T>(T value, bool collections)
    {
        if (value is not null && !IsLeaf(value, collections))
        {
            Walk(value, collections);
        }

        return value;
    }

    /// <summary>The match timeout of a regular expression: what is left of the evaluation's time budget.</summary>
    public static TimeSpan RegexTimeout()
    {
        if (_clock is not { } clock)
        {
            return ExpressionLimits.Default.MaxDuration;
        }

        var left = _deadline == long.MaxValue ? long.MaxValue : _deadline - clock.GetTimestamp();
        if (left <= 0)
        {
            Exceed("time");
        }

        var seconds = (double)left / clock.TimestampFrequency;
        return seconds >= TimeSpan.FromDays(1).TotalSeconds ? TimeSpan.FromDays(1) : TimeSpan.FromSeconds(Math.Max(seconds, 0.001));
    }

    /// <summary>A match timeout the expression gave: no longer than what is left of its time budget.</summary>
    public static TimeSpan RegexTimeout(TimeSpan requested)
    {
        var left = RegexTimeout();
        return requested > TimeSpan.Zero && requested < left ? requested : left;
    }

    /// <summary>A lazy LINQ result whose every element pulled passes a budget check.</summary>
    public static IEnumerable<T> Ticked<T>(IEnumerable<T> source) => new TickingEnumerable<T>(source);

    /// <summary><see cref="Ticked{T}(IEnumerable{T})"/> keeping <c>ThenBy</c> available.</summary>
    public static IOrderedEnumerable<T> TickedOrdered<T>(IOrderedEnumerable<T> source) => new TickingOrderedEnumerable<T>(source);

    /// <summary>A <c>StringBuilder</c> that cannot grow past <see cref="ExpressionLimits.MaxStringLength"/>.</summary>
    public static StringBuilder NewStringBuilder() => new(16, CurrentLimits.MaxStringLength);

    public static StringBuilder NewStringBuilder(int capacity) => new(Size(capacity, characters: true), CurrentLimits.MaxStringLength);

    public static StringBuilder NewStringBuilder(int capacity, int maxCapacity) =>
        new(Size(capacity, characters: true), Math.Min(maxCapacity, CurrentLimits.MaxStringLength));

    public static StringBuilder NewStringBuilder(string value) => NewStringBuilder(value, 16);

    public static StringBuilder NewStringBuilder(string value, int capacity) =>
        NewStringBuilder(value, 0, value?.Length ?? 0, capacity);

    public static StringBuilder NewStringBuilder(string value, int startIndex, int length, int capacity)
    {
        Size(length, characters: true);
        return new StringBuilder(Math.Min(Math.Max(Size(capacity, characters: true), length), CurrentLimits.MaxStringLength), CurrentLimits.MaxStringLength)
            .Append(value, startIndex, length);
    }

    /// <summary>
    /// <c>XDocument.Parse</c> as expressions run it: no DTD (a document type declaration is refused, no entity is expanded,
    /// nothing is resolved) and elements nested at most <see cref="ExpressionLimits.MaxDepth"/> levels.
    /// </summary>
    public static XDocument ParseXDocument(string text) => ParseXDocument(text, LoadOptions.None);

    /// <inheritdoc cref="ParseXDocument(string)"/>
    public static XDocument ParseXDocument(string text, LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return SafeParsing.ParseXml(text, CurrentLimits.MaxDepth, options);
        }
        catch (XmlDepthExceededException)
        {
            Exceed("depth");
            throw;
        }
    }

    /// <summary><c>XElement.Parse</c> as expressions run it (see <see cref="ParseXDocument(string)"/>).</summary>
    public static XElement ParseXElement(string text) => ParseXElement(text, LoadOptions.None);

    /// <inheritdoc cref="ParseXElement(string)"/>
    public static XElement ParseXElement(string text, LoadOptions options)
    {
        var root = ParseXDocument(text, options).Root ?? throw new System.Xml.XmlException("Root element is missing.");
        root.Remove();
        return root;
    }

    /// <summary>
    /// <c>XmlReader.Create(TextReader)</c> as expressions run it: no DTD, nothing resolved, elements nested at most
    /// <see cref="ExpressionLimits.MaxDepth"/> levels (deeper fails the expression with the <c>depth</c> budget).
    /// </summary>
    public static System.Xml.XmlReader CreateXmlReader(TextReader input) =>
        SafeParsing.CreateXmlReader(input, CurrentLimits.MaxDepth, static () => Exceed("depth"));

    /// <summary><c>new StringWriter()</c> over a <c>StringBuilder</c> that cannot grow past <see cref="ExpressionLimits.MaxStringLength"/>.</summary>
    public static StringWriter NewStringWriter() => new(NewStringBuilder(), System.Globalization.CultureInfo.CurrentCulture);

    /// <summary><c>new StringWriter(formatProvider)</c> over a bounded <c>StringBuilder</c>.</summary>
    public static StringWriter NewStringWriter(IFormatProvider? formatProvider) => new(NewStringBuilder(), formatProvider);

    /// <summary>Characters any one string may have in the running evaluation.</summary>
    internal static int MaxStringLength => CurrentLimits.MaxStringLength;

    private static void Walk(object root, bool collections)
    {
        var limits = CurrentLimits;
        var stack = _walk ??= new Stack<(object, int)>();
        var seen = _seen ??= new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        long nodes = 0;
        string? exceeded = null;
        stack.Push((root, 0));
        try
        {
            while (stack.Count > 0 && exceeded is null)
            {
                var (node, depth) = stack.Pop();
                if (depth > limits.MaxDepth)
                {
                    exceeded = "depth";
                    break;
                }

                void Child(object? child)
                {
                    if (++nodes > limits.MaxElements)
                    {
                        exceeded ??= "elements";
                    }
                    else if (child is not null && !IsLeaf(child, collections))
                    {
                        stack.Push((child, depth + 1));
                    }
                }

                // Graphs other than trees (tuples, anonymous objects, collections) can share nodes or loop: a node is
                // walked again only when reached deeper than before, so a shared node costs at most MaxDepth visits.
                if (node is not (JToken or XObject or Exception))
                {
                    if (seen.TryGetValue(node, out var before) && before >= depth)
                    {
                        continue;
                    }

                    seen[node] = depth;
                }

                switch (node)
                {
                    case JContainer container:
                        foreach (var child in container.Children())
                        {
                            Child(child);
                        }

                        break;
                    case XContainer container:
                        foreach (var child in container.Nodes())
                        {
                            Child(child);
                        }

                        break;
                    case Exception e:
                        Child(e.InnerException);
                        break;
                    case ITuple tuple:
                        for (var i = 0; i < tuple.Length; i++)
                        {
                            Child(tuple[i]);
                        }

                        break;
                    case IDictionary dictionary when collections:
                        foreach (DictionaryEntry entry in dictionary)
                        {
                            Child(entry.Key);
                            Child(entry.Value);
                        }

                        break;
                    case IEnumerable items when collections:
                        foreach (var item in items)
                        {
                            Child(item);
                            if (exceeded is not null)
                            {
                                break;
                            }
                        }

                        break;
                    default:
                        if (MembersOf(node.GetType()) is { } members)
                        {
                            foreach (var member in members)
                            {
                                Child(member.GetValue(node));
                            }
                        }

                        break;
                }
            }
        }
        finally
        {
            stack.Clear();
            seen.Clear();
        }

        if (exceeded is not null)
        {
            Exceed(exceeded);
        }

        if (_clock is not null && (_remaining -= nodes) < 0)
        {
            Exceed("steps");
        }
    }

    /// <summary>True for values no library code walks into: everything but containers, tuples, anonymous objects, key-value pairs, exceptions (and collections).</summary>
    private static bool IsLeaf(object value, bool collections) => value switch
    {
        string or JValue => true,
        JContainer or XContainer or Exception or ITuple => false,
        XObject => true,
        _ when collections && IsMaterializedCollection(value) => !ElementsMayNest(value.GetType()),
        _ => MembersOf(value.GetType()) is null,
    };

    /// <summary>Arrays and System.Collections.Generic collections; not lazy LINQ sequences (walking them would run them).</summary>
    private static bool IsMaterializedCollection(object value) =>
        value is ICollection || (value is IEnumerable && value.GetType().Namespace == "System.Collections.Generic");

    private static bool ElementsMayNest(Type type)
    {
        if (type.IsArray)
        {
            return !IsLeafType(type.GetElementType()!);
        }

        return !type.IsGenericType || !type.GetGenericArguments().All(IsLeafType);
    }

    private static bool IsLeafType(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || typeof(JValue).IsAssignableFrom(type)
        || (type.IsValueType && !type.IsGenericType);

    /// <summary>The properties of anonymous types and of <c>KeyValuePair</c> (walked like tuples); null for other types.</summary>
    private static PropertyInfo[]? MembersOf(Type type) => Members.GetOrAdd(type, static t =>
    {
        var anonymous = t.IsDefined(typeof(CompilerGeneratedAttribute), false) && t.Name.Contains("AnonymousType", StringComparison.Ordinal);
        var pair = t.IsGenericType && t.GetGenericTypeDefinition() == typeof(KeyValuePair<,>);
        return anonymous || pair ? t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => !IsLeafType(p.PropertyType)).ToArray() : null;
    });

    private static void TickIfRunning()
    {
        if (_clock is not null)
        {
            Tick();
        }
    }

    private sealed class TickingEnumerable<T>(IEnumerable<T> source) : IEnumerable<T>
    {
        public IEnumerator<T> GetEnumerator() => new Enumerator(source.GetEnumerator());

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed class Enumerator(IEnumerator<T> inner) : IEnumerator<T>
        {
            public T Current => inner.Current;

            object? IEnumerator.Current => inner.Current;

            public bool MoveNext()
            {
                if (!inner.MoveNext())
                {
                    return false;
                }

                TickIfRunning();
                return true;
            }

            public void Reset() => inner.Reset();

            public void Dispose() => inner.Dispose();
        }
    }

    private sealed class TickingOrderedEnumerable<T>(IOrderedEnumerable<T> source) : IOrderedEnumerable<T>
    {
        public IOrderedEnumerable<T> CreateOrderedEnumerable<TKey>(Func<T, TKey> keySelector, IComparer<TKey>? comparer, bool descending) =>
            new TickingOrderedEnumerable<T>(source.CreateOrderedEnumerable(keySelector, comparer, descending));

        public IEnumerator<T> GetEnumerator() => new TickingEnumerable<T>(source).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
