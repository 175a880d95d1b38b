using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Tollgate.Gateway.Subscriptions;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tollgate.Gateway.Configuration;

/// <summary>
/// The backend's request target, built here rather than by YARP's default when either of two things needs it:
/// <list type="bullet">
/// <item>the subscription-key query parameter is removed whenever it is present (any casing, a percent-encoded
/// name, several times), also when the key came from the header: keys never reach a backend. The other parameters
/// keep the client's exact encoding.</item>
/// <item>a path with percent-encoded characters is forwarded as the client encoded it. Kestrel leaves <c>%2F</c>
/// encoded in <see cref="HttpRequest.Path"/> and YARP's default encoding escapes its <c>%</c> again
/// (<c>a%2Fb</c> would arrive as <c>a%252Fb</c>): an unchanged path is taken from the raw request target, a path
/// a policy rewrote (rewrite-uri escapes its values) keeps its escapes.</item>
/// </list>
/// Requests without <c>%</c> in the path and without the key parameter in the query pay one scan of each.
/// </summary>
public sealed class SubscriptionKeyTransforms : ITransformProvider
{
    /// <summary>Route metadata naming the API's key query parameter.</summary>
    public const string QueryNameMetadata = "tollgate.keyQuery";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Metadata?.TryGetValue(QueryNameMetadata, out var name) != true || string.IsNullOrEmpty(name))
        {
            return;
        }

        context.AddRequestTransform(transform =>
        {
            var query = transform.Query.QueryString;
            var filtered = WithoutParameter(query.Value, name);
            var path = transform.Path.Value;
            var encodedPath = path is not null && path.Contains('%', StringComparison.Ordinal) ? EncodedPath(transform.HttpContext, path) : null;
            if (filtered is null && encodedPath is null)
            {
                return ValueTask.CompletedTask;
            }

            var target = new QueryString(filtered ?? query.Value);
            transform.ProxyRequest.RequestUri = encodedPath is null
                ? RequestUtilities.MakeDestinationAddress(transform.DestinationPrefix, transform.Path, target)
                : new Uri(transform.DestinationPrefix.TrimEnd('/') + encodedPath + target.Value, UriKind.Absolute);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>
    /// The query (<c>?a=1&amp;b=2</c>) without every parameter whose decoded name is <paramref name="name"/>
    /// (case-insensitive); null when it has none. The other pairs are kept byte for byte.
    /// </summary>
    public static string? WithoutParameter(string? query, string name)
    {
        // A percent-encoded name ("subscription%2Dkey") is only visible decoded.
        if (string.IsNullOrEmpty(query) || (!query.Contains(name, StringComparison.OrdinalIgnoreCase) && !query.Contains('%', StringComparison.Ordinal) && !query.Contains('+', StringComparison.Ordinal)))
        {
            return null;
        }

        var kept = new StringBuilder(query.Length);
        var removed = false;
        foreach (var pair in query.AsSpan(query.StartsWith('?') ? 1 : 0).ToString().Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var rawName = eq < 0 ? pair : pair[..eq];
            if (string.Equals(Uri.UnescapeDataString(rawName.Replace('+', ' ')), name, StringComparison.OrdinalIgnoreCase))
            {
                removed = true;
                continue;
            }

            if (pair.Length > 0)
            {
                kept.Append(kept.Length == 0 ? '?' : '&').Append(pair);
            }
        }

        return removed ? kept.ToString() : null;
    }

    /// <summary>The path to send, encoded: the client's own encoding when routing saw it unchanged, else the path's escapes kept.</summary>
    private static string EncodedPath(HttpContext http, string path)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var apiPath = http.Features.Get<GatewayRequest>()?.Entry.RoutePath;
        if (raw is { Length: > 0 } && raw[0] == '/' && apiPath is not null)
        {
            var question = raw.IndexOf('?', StringComparison.Ordinal);
            var rawPath = question < 0 ? raw : raw[..question];
            // The route removed "/{api path}" (literal segments: no %2F in them) from the decoded path.
            var skip = apiPath.Length == 0 ? 0 : apiPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Length;
            var start = 0;
            for (var i = 0; i < skip && start >= 0; i++)
            {
                start = rawPath.IndexOf('/', start + 1);
            }

            var rest = start < 0 ? "" : rawPath[start..];
            if (rest.Length > 0 && string.Equals(DecodeAsKestrel(rest), path, StringComparison.Ordinal))
            {
                return rest;
            }
        }

        return KeepEscapes(path);
    }

    /// <summary>Decodes like Kestrel does for <see cref="HttpRequest.Path"/>: everything but <c>%2F</c>.</summary>
    private static string DecodeAsKestrel(string raw)
    {
        var sb = new StringBuilder(raw.Length);
        var from = 0;
        while (true)
        {
            var at = raw.IndexOf("%2F", from, StringComparison.OrdinalIgnoreCase);
            sb.Append(Uri.UnescapeDataString(raw[from..(at < 0 ? raw.Length : at)]));
            if (at < 0)
            {
                return sb.ToString();
            }

            sb.Append(raw, at, 3);
            from = at + 3;
        }
    }

    /// <summary>Percent-encodes what a path may not carry, keeping <c>/</c> and existing <c>%XX</c> escapes.</summary>
    public static string KeepEscapes(string path)
    {
        var sb = new StringBuilder(path.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '%' && i + 2 < path.Length && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                sb.Append(path, i, 3);
                i += 2;
            }
            else if (char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:@/".Contains(c, StringComparison.Ordinal))
            {
                sb.Append(c);
            }
            else
            {
                var length = char.IsHighSurrogate(c) && i + 1 < path.Length ? 2 : 1;
                var count = Encoding.UTF8.GetBytes(path.AsSpan(i, length), utf8);
                for (var b = 0; b < count; b++)
                {
                    sb.Append('%').Append(utf8[b].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }

                i += length - 1;
            }
        }

        return sb.ToString();
    }
}
