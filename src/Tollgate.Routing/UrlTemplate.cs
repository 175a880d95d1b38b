using System.Text;

namespace Tollgate.Routing;

/// <summary>One query-string part of an operation's URL template: <c>name={param}</c> or <c>name=literal</c>.</summary>
/// <param name="Name">The query parameter name as it appears in the request.</param>
/// <param name="ParameterName">The template parameter it binds, or <c>null</c> for a literal.</param>
/// <param name="Literal">The literal value the request must carry when <paramref name="ParameterName"/> is <c>null</c>.</param>
public sealed record UrlTemplateQueryPart(string Name, string? ParameterName, string? Literal);

/// <summary>
/// An APIM operation URL template such as <c>/customers/{cid}/orders/{oid}?date={date}</c>, parsed.
/// Path parameters are <c>{name}</c>; a trailing <c>*</c> or <c>{*name}</c> matches the rest of the path.
/// </summary>
public sealed class UrlTemplate
{
    /// <summary>APIM's limit on the length of <c>urlTemplate</c>.</summary>
    public const int MaxLength = 1000;

    private UrlTemplate(string text, string path, IReadOnlyList<string> pathParameters, IReadOnlyList<UrlTemplateQueryPart> query, string? wildcard)
    {
        Text = text;
        Path = path;
        PathParameters = pathParameters;
        Query = query;
        WildcardName = wildcard;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The path part, always starting with '/'.</summary>
    public string Path { get; }

    /// <summary>Names of the path parameters, in order.</summary>
    public IReadOnlyList<string> PathParameters { get; }

    /// <summary>The query-string template parts, in order.</summary>
    public IReadOnlyList<UrlTemplateQueryPart> Query { get; }

    /// <summary>The name of the trailing catch-all parameter (empty for an anonymous <c>*</c>), or null.</summary>
    public string? WildcardName { get; }

    /// <summary>Every parameter name, path and query.</summary>
    public IEnumerable<string> AllParameters =>
        PathParameters.Concat(Query.Where(q => q.ParameterName is not null).Select(q => q.ParameterName!));

    /// <summary>Parses a template; returns false with a message naming the position of the first problem.</summary>
    public static bool TryParse(string? text, out UrlTemplate? template, out string? error)
    {
        template = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "must not be empty";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"must be at most {MaxLength} characters long";
            return false;
        }

        var q = text.IndexOf('?');
        var pathText = q < 0 ? text : text[..q];
        var queryText = q < 0 ? null : text[(q + 1)..];
        // Positions in messages refer to the template as written, before a missing leading '/' is added.
        var offset = pathText.StartsWith('/') ? 0 : -1;
        if (offset < 0)
        {
            pathText = "/" + pathText;
        }

        var pathParams = new List<string>();
        string? wildcard = null;
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < pathText.Length)
        {
            var c = pathText[i];
            if (wildcard is not null)
            {
                error = $"has text after the wildcard at {i + offset}; a wildcard must end the path";
                return false;
            }

            if (c == '}')
            {
                error = $"has a '}}' without a matching '{{' at {i + offset}";
                return false;
            }

            if (c == '*')
            {
                if (i != pathText.Length - 1 || pathText[i - 1] != '/')
                {
                    error = $"has a '*' at {i + offset}; '*' is only allowed as the last path segment";
                    return false;
                }

                wildcard = string.Empty;
                i++;
                continue;
            }

            if (c == '{')
            {
                var close = pathText.IndexOf('}', i + 1);
                var nextOpen = pathText.IndexOf('{', i + 1);
                if (close < 0 || (nextOpen >= 0 && nextOpen < close))
                {
                    error = $"has an unclosed '{{' at {i + offset}";
                    return false;
                }

                var name = pathText[(i + 1)..close];
                var isWildcard = name.StartsWith('*');
                if (isWildcard)
                {
                    name = name[1..];
                }

                if (!IsValidParameterName(name, out var why))
                {
                    error = $"has an invalid parameter name '{name}' at {i + offset}: {why}";
                    return false;
                }

                if (!names.Add(name))
                {
                    error = $"declares the parameter '{name}' twice";
                    return false;
                }

                if (isWildcard)
                {
                    if (close != pathText.Length - 1)
                    {
                        error = $"has text after the wildcard at {close + 1 + offset}; a wildcard must end the path";
                        return false;
                    }

                    wildcard = name;
                }
                else
                {
                    pathParams.Add(name);
                }

                i = close + 1;
                continue;
            }

            i++;
        }

        var query = new List<UrlTemplateQueryPart>();
        if (!string.IsNullOrEmpty(queryText))
        {
            var at = q + 1;
            foreach (var part in queryText.Split('&'))
            {
                if (part.Length == 0)
                {
                    at += 1;
                    continue;
                }

                var eq = part.IndexOf('=');
                var qname = eq < 0 ? part : part[..eq];
                var value = eq < 0 ? string.Empty : part[(eq + 1)..];
                if (qname.Length == 0 || qname.IndexOfAny(['{', '}']) >= 0)
                {
                    error = $"has an invalid query parameter name at {at}";
                    return false;
                }

                if (value.StartsWith('{'))
                {
                    if (!value.EndsWith('}') || value.IndexOf('}') != value.Length - 1)
                    {
                        error = $"has an unclosed '{{' at {at + eq + 1}";
                        return false;
                    }

                    var pname = value[1..^1];
                    if (!IsValidParameterName(pname, out var why))
                    {
                        error = $"has an invalid parameter name '{pname}' at {at + eq + 1}: {why}";
                        return false;
                    }

                    if (!names.Add(pname))
                    {
                        error = $"declares the parameter '{pname}' twice";
                        return false;
                    }

                    query.Add(new UrlTemplateQueryPart(qname, pname, null));
                }
                else if (value.IndexOfAny(['{', '}']) >= 0)
                {
                    error = $"has an unbalanced brace in the query at {at + eq + 1}";
                    return false;
                }
                else
                {
                    query.Add(new UrlTemplateQueryPart(qname, null, value));
                }

                at += part.Length + 1;
            }
        }

        template = new UrlTemplate(text, pathText, pathParams, query, wildcard);
        return true;
    }

    /// <summary>Parses a template or throws <see cref="FormatException"/> naming the problem.</summary>
    public static UrlTemplate Parse(string text) =>
        TryParse(text, out var t, out var error) ? t! : throw new FormatException($"urlTemplate '{text}' {error}.");

    /// <summary>
    /// The ASP.NET Core route pattern for this template below the API's URL suffix, e.g.
    /// <c>/ml/workspaces/{workspace}/{**rest}</c>.
    /// </summary>
    public string ToRoutePattern(string apiPath)
    {
        var sb = new StringBuilder();
        var prefix = apiPath.Trim('/');
        if (prefix.Length > 0)
        {
            sb.Append('/').Append(prefix);
        }

        var path = Path;
        if (WildcardName is not null)
        {
            // Strip the "*" or "{*name}" tail; it becomes a catch-all route parameter.
            var cut = WildcardName.Length == 0 ? path.Length - 1 : path.LastIndexOf('{');
            path = path[..cut];
        }

        if (path != "/" || WildcardName is not null)
        {
            sb.Append(path);
        }

        if (WildcardName is not null)
        {
            if (sb.Length == 0 || sb[^1] != '/')
            {
                sb.Append('/');
            }

            sb.Append("{**").Append(WildcardName.Length == 0 ? WildcardParameter : WildcardName).Append('}');
        }

        return sb.Length == 0 ? "/" : sb.ToString();
    }

    /// <summary>The route parameter name used for an anonymous trailing '*'.</summary>
    public const string WildcardParameter = "__tollgate_wildcard";

    private static bool IsValidParameterName(string name, out string? why)
    {
        why = null;
        if (name.Length == 0)
        {
            why = "the name is empty";
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '$'))
            {
                why = $"'{c}' is not allowed in a parameter name";
                return false;
            }
        }

        return true;
    }
}
