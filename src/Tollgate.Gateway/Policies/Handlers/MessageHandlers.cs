using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Gateway.Policies.SetHeader;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary><c>set-query-parameter</c>: override (default), skip, append or delete a query parameter of the request.</summary>
internal sealed class SetQueryParameterHandler(PolicyLocation location, string name, string action, PolicyValue[] values) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var request = context.Http.Request;
        var query = new Dictionary<string, StringValues>(request.Query.Count + 1, StringComparer.Ordinal);
        foreach (var (k, v) in request.Query)
        {
            query[k] = v;
        }

        switch (action)
        {
            case "delete":
                query.Remove(name);
                break;
            case "skip" when query.ContainsKey(name):
                return Continue;
            case "append" when query.TryGetValue(name, out var existing):
                query[name] = StringValues.Concat(existing, SetHeaderHandler.Evaluate(values, context));
                break;
            default:
                query[name] = SetHeaderHandler.Evaluate(values, context);
                break;
        }

        request.QueryString = QueryString.Create(query);
        return Continue;
    }
}

/// <summary><c>check-header</c>: the header must be present (and hold one of the listed values), else the given status and message.</summary>
internal sealed class CheckHeaderHandler(PolicyLocation location, string name, int statusCode, PolicyValue message, bool ignoreCase, PolicyValue[] values) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        if (!context.Http.Request.Headers.TryGetValue(name, out var actual))
        {
            return ValueTask.FromResult(Reject(context, "HeaderNotFound"));
        }

        if (values.Length == 0)
        {
            return Continue;
        }

        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var allowed in values)
        {
            var a = allowed.GetString(context);
            foreach (var v in actual)
            {
                if (string.Equals(v, a, comparison))
                {
                    return Continue;
                }
            }
        }

        return ValueTask.FromResult(Reject(context, "HeaderValueNotAllowed"));
    }

    private PolicyStep Reject(PolicyContext context, string reason)
    {
        var text = message.GetString(context) ?? "";
        context.SetErrorResponse(statusCode, text);
        GatewayMetrics.RecordRejection(Location.Name, context.Gateway);
        context.Fail(PolicyFailure.From(Location, reason, text));
        return PolicyStep.Error;
    }
}

/// <summary><c>ip-filter</c>: allow or forbid callers by address and address range (IPv4 and IPv6).</summary>
internal sealed class IpFilterHandler(PolicyLocation location, bool allow, IPAddress[] addresses, (byte[] From, byte[] To)[] ranges) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var ip = context.Http.Connection.RemoteIpAddress;
        if (ip is not null && ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        var listed = ip is not null && Listed(ip);
        if (listed == allow)
        {
            return Continue;
        }

        var message = $"Caller IP address {ip} is not allowed. Access denied.";
        context.SetErrorResponse(403, message);
        GatewayMetrics.RecordRejection(Location.Name, context.Gateway);
        context.Fail(PolicyFailure.From(Location, "CallerIpNotAllowed", message));
        return ValueTask.FromResult(PolicyStep.Error);
    }

    private bool Listed(IPAddress ip)
    {
        foreach (var a in addresses)
        {
            if (a.Equals(ip))
            {
                return true;
            }
        }

        if (ranges.Length == 0)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!ip.TryWriteBytes(bytes, out var length))
        {
            return false;
        }

        var value = bytes[..length];
        foreach (var (from, to) in ranges)
        {
            if (from.Length == length && value.SequenceCompareTo(from) >= 0 && value.SequenceCompareTo(to) <= 0)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary><c>set-status</c>: the response's status code and reason phrase.</summary>
internal sealed class SetStatusHandler(PolicyLocation location, PolicyValue code, PolicyValue? reason) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var status = (int)code.GetInteger(context, 200);
        if (!context.Http.Response.HasStarted)
        {
            context.Http.Response.StatusCode = status;
            context.SetReason(reason?.GetString(context));
        }

        return Continue;
    }
}

/// <summary><c>set-method</c>: the HTTP method sent to the backend.</summary>
internal sealed class SetMethodHandler(PolicyLocation location, PolicyValue method) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        if (method.GetString(context) is { Length: > 0 } m)
        {
            context.Http.Request.Method = m.Trim().ToUpperInvariant();
        }

        return Continue;
    }
}

/// <summary><c>trace</c>: a message (and metadata) to the gateway's log at the given severity.</summary>
internal sealed class TraceHandler(PolicyLocation location, string source, PolicyValue message, (string Name, PolicyValue Value)[] metadata) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var text = message.GetString(context) ?? "";
        if (metadata.Length > 0)
        {
            var sb = new StringBuilder(text);
            foreach (var (name, value) in metadata)
            {
                sb.Append(' ').Append(name).Append('=').Append(value.GetString(context));
            }

            text = sb.ToString();
        }

        context.Runtime.Trace(context, source, text);
        return Continue;
    }
}

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

/// <summary><c>set-backend-service base-url</c>: forwards to another backend for this request.</summary>
internal sealed class SetBackendServiceHandler(PolicyLocation location, PolicyValue baseUrl) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var url = baseUrl.GetString(context);
        if (string.IsNullOrEmpty(url) || !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"set-backend-service: '{url}' is not an absolute URL.");
        }

        context.Gateway.BackendUrl = url;
        context.BackendOverridden = true;
        return Continue;
    }
}

/// <summary>Body conversions shared by set-body, find-and-replace and the format policies.</summary>
internal static class Bodies
{
    public static byte[] ToBytes(object? value) => value switch
    {
        null => [],
        byte[] b => b,
        string s => Encoding.UTF8.GetBytes(s),
        JToken j => Encoding.UTF8.GetBytes(j.ToString(Formatting.None)),
        XNode x => Encoding.UTF8.GetBytes(x.ToString(SaveOptions.DisableFormatting)),
        IFormattable f => Encoding.UTF8.GetBytes(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => Encoding.UTF8.GetBytes(value.ToString() ?? ""),
    };

    public static MessageBody? Current(PolicyContext context, MessageTarget target) =>
        target == MessageTarget.Request ? context.RequestBody : context.ResponseBody;

    public static void Replace(PolicyContext context, MessageTarget target, byte[] body)
    {
        if (target == MessageTarget.Request)
        {
            context.RequestBody = new MessageBody(body) { IsClientRequest = true };
        }
        else
        {
            context.SetResponseBody(body);
        }
    }
}

/// <summary><c>set-body</c>: replaces the request or response body with a literal or an expression's value.</summary>
internal sealed class SetBodyHandler(PolicyLocation location, PolicyValue value, MessageTarget target) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        Bodies.Replace(context, target, Bodies.ToBytes(value.GetObject(context)));
        return Continue;
    }
}

/// <summary><c>find-and-replace</c>: replaces every occurrence of a string in the request or response body.</summary>
internal sealed class FindAndReplaceHandler(PolicyLocation location, PolicyValue from, PolicyValue to, MessageTarget target) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var body = Bodies.Current(context, target);
        var find = from.GetString(context);
        if (body is null || string.IsNullOrEmpty(find))
        {
            return Continue;
        }

        var text = body.As<string>(preserveContent: true);
        Bodies.Replace(context, target, Encoding.UTF8.GetBytes(text.Replace(find, to.GetString(context) ?? "", StringComparison.Ordinal)));
        return Continue;
    }
}

/// <summary><c>return-response</c>: a response of the gateway's own (status, headers, body); the rest of the pipeline is skipped.</summary>
internal sealed class ReturnResponseHandler(PolicyLocation location, PolicyHandler[] children, string? responseVariable = null) : PolicyHandler(location)
{
    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        if (responseVariable is null)
        {
            context.StartResponse(200);
        }
        else
        {
            // The response held in the variable (send-request's) is the starting point; the children may change it.
            if (!context.Variables.TryGetValue(responseVariable, out var value) || value is not IResponse held)
            {
                context.Fail(PolicyFailure.From(Location, "ResponseVariableNotFound",
                    $"Variable '{responseVariable}' does not hold a response (send-request stores one there)."));
                context.SetErrorResponse(500, "Internal server error");
                return PolicyStep.Error;
            }

            context.StartResponse(held.StatusCode, held.StatusReason);
            foreach (var (name, values) in held.Headers)
            {
                if (!HopByHopHeaders.IsHopByHop(name))
                {
                    context.Http.Response.Headers[name] = values;
                }
            }

            context.SetResponseBody(held.Body?.As<byte[]>(preserveContent: true) ?? []);
        }

        var step = await PolicyExecutor.RunSectionAsync(children, context);
        return step == PolicyStep.Error ? step : PolicyStep.Return;
    }
}

/// <summary>Headers that describe one connection, never copied from a held response onto another.</summary>
internal static class HopByHopHeaders
{
    public static bool IsHopByHop(string name) =>
        name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase);
}

/// <summary><c>mock-response</c>: the operation's declared example for the status code and content type; the rest is skipped.</summary>
internal sealed class MockResponseHandler(PolicyLocation location, int statusCode, string? contentType) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        string? example = null;
        var type = contentType;
        foreach (var response in context.OperationPolicies.Definition.Responses)
        {
            if (response.StatusCode != statusCode)
            {
                continue;
            }

            foreach (var representation in response.Representations)
            {
                if (contentType is null || string.Equals(representation.ContentType, contentType, StringComparison.OrdinalIgnoreCase))
                {
                    type ??= representation.ContentType;
                    example = representation.Example;
                    break;
                }
            }

            break;
        }

        context.StartResponse(statusCode);
        context.Http.Response.ContentType = type ?? "application/json";
        context.SetResponseBody(example is null ? [] : Encoding.UTF8.GetBytes(example));
        return ValueTask.FromResult(PolicyStep.Return);
    }
}

/// <summary><c>choose</c>: the policies of the first <c>when</c> whose condition holds, else of <c>otherwise</c>.</summary>
internal sealed class ChooseHandler(PolicyLocation location, (PolicyValue Condition, PolicyHandler[] Policies)[] branches, PolicyHandler[]? otherwise) : PolicyHandler(location)
{
    public override bool Forwards => branches.Any(b => b.Policies.Any(p => p.Forwards)) || otherwise?.Any(p => p.Forwards) == true;

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        foreach (var (condition, policies) in branches)
        {
            if (condition.GetBoolean(context, false))
            {
                return PolicyExecutor.RunSectionAsync(policies, context);
            }
        }

        return otherwise is null ? Continue : PolicyExecutor.RunSectionAsync(otherwise, context);
    }
}

/// <summary><c>forward-request</c>: sends the request to the backend with a timeout (default 300 s).</summary>
internal sealed class ForwardRequestHandler(PolicyLocation location, TimeSpan timeout) : PolicyHandler(location)
{
    public override bool Forwards => true;

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context) => PolicyExecutor.ForwardAsync(context, timeout, Location);
}

/// <summary><c>retry</c>: runs its policies, then again while the condition holds, up to count retries, waiting between them.</summary>
internal sealed class RetryHandler(
    PolicyLocation location,
    PolicyValue condition,
    PolicyValue count,
    PolicyValue interval,
    PolicyValue? maxInterval,
    PolicyValue? delta,
    PolicyValue? firstFastRetry,
    PolicyHandler[] children) : PolicyHandler(location)
{
    public override bool Forwards => children.Any(c => c.Forwards);

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var retries = Math.Clamp(count.GetInteger(context, 1), 0, 50);
        var step = await PolicyExecutor.RunSectionAsync(children, context);
        for (var attempt = 1; attempt <= retries; attempt++)
        {
            if (step == PolicyStep.Return || !condition.GetBoolean(context, false))
            {
                return step;
            }

            var wait = Wait(context, attempt);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, context.Runtime.Time, context.Http.RequestAborted);
            }

            context.ResetForRetry();
            step = await PolicyExecutor.RunSectionAsync(children, context);
        }

        return step;
    }

    private TimeSpan Wait(PolicyContext context, int attempt)
    {
        if (attempt == 1 && firstFastRetry?.GetBoolean(context, false) == true)
        {
            return TimeSpan.Zero;
        }

        var seconds = interval.GetInteger(context, 0);
        if (delta is not null)
        {
            seconds += delta.GetInteger(context, 0) * (attempt - 1);
        }

        if (maxInterval is not null)
        {
            seconds = Math.Min(seconds, maxInterval.GetInteger(context, seconds));
        }

        return TimeSpan.FromSeconds(Math.Max(0, seconds));
    }
}

/// <summary>An <c>include-fragment</c> whose fragment no longer exists: the request fails with a 500 through on-error.</summary>
internal sealed class MissingFragmentHandler(PolicyLocation location, string id) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        context.Fail(PolicyFailure.From(Location, "FragmentNotFound", $"Policy fragment '{id}' does not exist."));
        context.SetErrorResponse(500, "Internal server error");
        return ValueTask.FromResult(PolicyStep.Error);
    }
}
