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

    private static string Text(byte[] bytes)
    {
        var span = bytes.AsSpan();
        return Encoding.UTF8.GetString(span.StartsWith(Encoding.UTF8.Preamble) ? span[Encoding.UTF8.Preamble.Length..] : span);
    }
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
