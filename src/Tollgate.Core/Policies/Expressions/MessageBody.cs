using System.Text;
using System.Xml.Linq;
using Newtonsoft.Json.Linq;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// A buffered body for <see cref="IMessageBody"/>: UTF-8 text, JSON (Newtonsoft, as APIM) or XML. Reading without
/// <c>preserveContent</c> consumes it, as in APIM: later reads see an empty body.
/// </summary>
public sealed class MessageBody : IMessageBody
{
    private byte[] _content;

    public MessageBody(byte[] content) => _content = content ?? throw new ArgumentNullException(nameof(content));

    public MessageBody(string text)
        : this(Encoding.UTF8.GetBytes(text ?? throw new ArgumentNullException(nameof(text))))
    {
    }

    /// <summary>True for the client's request body: a body refused as a tree (<see cref="BodyRejectedException"/>) is then the client's fault (400).</summary>
    public bool IsClientRequest { get; init; }

    /// <summary>What is left of the body (empty once read without <c>preserveContent</c>); the gateway forwards this.</summary>
    public byte[] Content => _content;

    /// <inheritdoc />
    public T As<T>(bool preserveContent = false)
    {
        var bytes = _content;
        if (!preserveContent)
        {
            _content = [];
        }

        object result;
        if (typeof(T) == typeof(byte[]))
        {
            result = bytes.ToArray();
        }
        else if (typeof(T) == typeof(string))
        {
            result = Text(bytes);
        }
        else if (typeof(T) == typeof(JObject) || typeof(T) == typeof(JArray) || typeof(T) == typeof(JToken))
        {
            var token = SafeParsing.ParseJsonBody(Text(bytes), IsClientRequest);
            result = token is T ? token : throw new InvalidCastException($"The body is JSON of type {token.Type}, not a {typeof(T).Name}.");
        }
        else if (typeof(T) == typeof(XDocument))
        {
            result = SafeParsing.ParseXmlBody(Text(bytes), IsClientRequest);
        }
        else if (typeof(T) == typeof(XElement) || typeof(T) == typeof(XNode))
        {
            var root = SafeParsing.ParseXmlBody(Text(bytes), IsClientRequest).Root!;
            root.Remove();
            result = root;
        }
        else
        {
            throw new NotSupportedException($"A body cannot be read as {typeof(T).Name}: use string, byte[], JObject, JToken, JArray, XNode, XElement or XDocument.");
        }

        return (T)result;
    }

    /// <inheritdoc />
    public IDictionary<string, IList<string>> AsFormUrlEncodedContent(bool preserveContent = false) =>
        FormFields.Parse(As<string>(preserveContent));

    private static string Text(byte[] bytes)
    {
        var span = bytes.AsSpan();
        return Encoding.UTF8.GetString(span.StartsWith(Encoding.UTF8.Preamble) ? span[Encoding.UTF8.Preamble.Length..] : span);
    }
}

/// <summary>
/// URL-encoded form fields (<see cref="IMessageBody.AsFormUrlEncodedContent"/>): names in the order they first appear,
/// compared ordinally; reading a field that is not there adds it with no values (APIM's <c>body["new"].Add("v")</c>).
/// </summary>
public sealed class FormFields : IDictionary<string, IList<string>>
{
    private readonly Dictionary<string, IList<string>> _fields = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Reads <c>a=1&amp;b=x+y&amp;a=2</c>: <c>+</c> is a space, <c>%XX</c> an escaped byte (UTF-8); a part without <c>=</c> is a field with an empty value.</summary>
    public static FormFields Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new FormFields();
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(eq < 0 ? pair : pair[..eq]);
            fields[name].Add(eq < 0 ? "" : Decode(pair[(eq + 1)..]));
        }

        return fields;
    }

    private static string Decode(string part) => Uri.UnescapeDataString(part.Replace('+', ' '));

    public IList<string> this[string key]
    {
        get
        {
            if (!_fields.TryGetValue(key, out var values))
            {
                values = [];
                Add(key, values);
            }

            return values;
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!_fields.ContainsKey(key))
            {
                _order.Add(key);
            }

            _fields[key] = value;
        }
    }

    public ICollection<string> Keys => _order.ToArray();

    public ICollection<IList<string>> Values => _order.Select(k => _fields[k]).ToArray();

    public int Count => _fields.Count;

    public bool IsReadOnly => false;

    public void Add(string key, IList<string> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _fields.Add(key, value);
        _order.Add(key);
    }

    public void Add(KeyValuePair<string, IList<string>> item) => Add(item.Key, item.Value);

    public void Clear()
    {
        _fields.Clear();
        _order.Clear();
    }

    public bool Contains(KeyValuePair<string, IList<string>> item) => _fields.TryGetValue(item.Key, out var v) && ReferenceEquals(v, item.Value);

    public bool ContainsKey(string key) => _fields.ContainsKey(key);

    public void CopyTo(KeyValuePair<string, IList<string>>[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        foreach (var pair in this)
        {
            array[arrayIndex++] = pair;
        }
    }

    public IEnumerator<KeyValuePair<string, IList<string>>> GetEnumerator()
    {
        foreach (var key in _order)
        {
            yield return new KeyValuePair<string, IList<string>>(key, _fields[key]);
        }
    }

    public bool Remove(string key) => _fields.Remove(key) && _order.Remove(key);

    public bool Remove(KeyValuePair<string, IList<string>> item) => Contains(item) && Remove(item.Key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out IList<string> value) => _fields.TryGetValue(key, out value);

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>An <see cref="IUrl"/> over a <see cref="Uri"/>; query parameter names are case-sensitive.</summary>
public sealed class Url : IUrl
{
    private readonly Uri _uri;

    public Url(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException("The URL must be absolute.", nameof(uri));
        }

        _uri = uri;
        var query = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            if (!query.TryGetValue(name, out var list))
            {
                query[name] = list = [];
            }

            list.Add(value);
        }

        Query = query.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    public Url(string url)
        : this(new Uri(url, UriKind.Absolute))
    {
    }

    public string Host => _uri.Host;

    public string Path => _uri.AbsolutePath;

    public int Port => _uri.Port;

    public IReadOnlyDictionary<string, string[]> Query { get; }

    public string QueryString => _uri.Query;

    public string Scheme => _uri.Scheme;

    /// <summary>The whole URL.</summary>
    public override string ToString() => _uri.AbsoluteUri;
}
