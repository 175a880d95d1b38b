using System.Text;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Jsonp;

/// <summary>
/// <c>jsonp</c> (outbound): when the client's query has the parameter named by <c>callback-parameter-name</c>
/// (<c>?cb=render</c>), the response body becomes <c>render(body)</c> with Content-Type <c>application/javascript</c>;
/// without it the response is left as it is. A callback that is not a JavaScript name (letters, digits, <c>_</c>,
/// <c>$</c>, dots) leaves the response unchanged too, so a crafted callback cannot inject script.
/// </summary>
internal sealed class JsonpHandler(PolicyLocation location, PolicyValue parameterName) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var name = parameterName.GetString(context);
        if (string.IsNullOrEmpty(name)
            || !context.OriginalUrl.Query.TryGetValue(name, out var values)
            || values.Length == 0
            || !IsCallbackName(values[0]))
        {
            return Continue;
        }

        var body = context.ResponseBody?.As<string>(preserveContent: true) ?? "";
        context.SetResponseBody(Encoding.UTF8.GetBytes($"{values[0]}({body})"));
        context.Http.Response.ContentType = "application/javascript; charset=utf-8";
        return Continue;
    }

    internal static bool IsCallbackName(string? callback)
    {
        if (string.IsNullOrEmpty(callback) || callback.Length > 256 || callback[0] == '.' || callback[^1] == '.' || char.IsAsciiDigit(callback[0]))
        {
            return false;
        }

        foreach (var c in callback)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '$' or '.'))
            {
                return false;
            }
        }

        return !callback.Contains("..", StringComparison.Ordinal);
    }
}
