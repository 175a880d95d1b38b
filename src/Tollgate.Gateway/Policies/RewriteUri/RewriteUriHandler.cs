using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.RewriteUri;

/// <summary><c>rewrite-uri</c>: the path and query sent to the backend, from a template with the operation's parameters.</summary>
internal sealed class RewriteUriHandler(PolicyLocation location, PolicyValue template, bool copyUnmatchedParams) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var text = template.GetString(context) ?? "/";
        var question = text.IndexOf('?', StringComparison.Ordinal);
        var path = Expand(question < 0 ? text : text[..question], context, escape: true);
        var query = question < 0 ? "" : Expand(text[(question + 1)..], context, escape: true);
        var request = context.Http.Request;
        var apiPath = context.Gateway.Api.Path;
        if (!path.StartsWith('/'))
        {
            path = "/" + path;
        }

        // The route strips "/{api path}" before forwarding, so the rewritten path goes under it.
        var original = request.Query;
        request.Path = new PathString(apiPath.Length == 0 ? path : "/" + apiPath + (path == "/" ? "" : path));
        var parameters = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            parameters[name] = parameters.TryGetValue(name, out var existing) ? StringValues.Concat(existing, value) : new StringValues(value);
        }

        if (copyUnmatchedParams)
        {
            var templateQuery = context.Gateway.Entry.Template.Query;
            foreach (var (name, value) in original)
            {
                var matched = false;
                foreach (var q in templateQuery)
                {
                    matched |= string.Equals(q.Name, name, StringComparison.OrdinalIgnoreCase);
                }

                if (!matched && !parameters.ContainsKey(name))
                {
                    parameters[name] = value;
                }
            }
        }

        request.QueryString = parameters.Count == 0 ? QueryString.Empty : QueryString.Create(parameters);
        return Continue;
    }

    /// <summary>
    /// Escapes a parameter value for the path: <c>/</c> stays a separator (a <c>{*rest}</c> wildcard spans segments)
    /// and a <c>%2F</c> the client sent (Kestrel leaves it encoded in the path) stays <c>%2F</c>, never <c>%252F</c>.
    /// </summary>
    private static string EscapeValue(string value)
    {
        var sb = new StringBuilder(value.Length + 8);
        var from = 0;
        while (true)
        {
            var slash = value.IndexOf('/', from);
            var encoded = value.IndexOf("%2F", from, StringComparison.OrdinalIgnoreCase);
            var at = slash < 0 ? encoded : encoded < 0 ? slash : Math.Min(slash, encoded);
            sb.Append(Uri.EscapeDataString(value[from..(at < 0 ? value.Length : at)]));
            if (at < 0)
            {
                return sb.ToString();
            }

            var length = at == slash ? 1 : 3;
            sb.Append(value, at, length);
            from = at + length;
        }
    }

    /// <summary>Replaces <c>{name}</c> with the operation's matched path parameter or query parameter of that name.</summary>
    private static string Expand(string template, PolicyContext context, bool escape)
    {
        if (!template.Contains('{', StringComparison.Ordinal))
        {
            return template;
        }

        var sb = new StringBuilder(template.Length + 16);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            var close = open < 0 ? -1 : template.IndexOf('}', open + 1);
            if (open < 0 || close < 0)
            {
                sb.Append(template, i, template.Length - i);
                break;
            }

            sb.Append(template, i, open - i);
            var name = template[(open + 1)..close].TrimStart('*');
            string? value = null;
            if (context.MatchedParameters.TryGetValue(name, out var matched))
            {
                value = matched;
            }
            else if (context.Http.Request.Query.TryGetValue(name, out var q))
            {
                value = q.ToString();
            }

            sb.Append(value is null ? "" : escape ? EscapeValue(value) : value);
            i = close + 1;
        }

        return sb.ToString();
    }
}
