using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>
/// <c>cache-lookup</c>: a GET whose response is in the cache (the <see cref="ICacheStore"/>: in-process, or Redis with
/// the redis counter provider) is answered from it and the rest of the pipeline is skipped; otherwise the key is kept
/// for <c>cache-store</c>. The key varies by API, operation, path, the listed query parameters (all of them when none
/// is listed) and headers, and the developer or their groups when asked. Requests with an <c>Authorization</c> header
/// are not cached unless <c>allow-private-response-caching</c>. The request record's cache field says hit or miss.
/// An unreachable cache is a miss (logged), never a failed call.
/// </summary>
internal sealed class CacheLookupHandler(
    PolicyLocation location,
    bool varyByDeveloper,
    bool varyByGroups,
    string downstream,
    bool mustRevalidate,
    bool allowPrivate,
    string[] varyByHeaders,
    string[] varyByQuery) : PolicyHandler(location)
{
    /// <summary>HttpContext item holding the key of a cache-lookup miss, for cache-store.</summary>
    internal static readonly object KeyItem = new();

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var request = context.Http.Request;
        if (!HttpMethods.IsGet(request.Method) || (!allowPrivate && request.Headers.ContainsKey(HeaderNames.Authorization)))
        {
            return PolicyStep.Continue;
        }

        var key = Key(context);
        CachedResponse? cached = null;
        try
        {
            cached = await context.Runtime.Services!.Cache.GetResponseAsync(key, context.Http.RequestAborted);
        }
        catch (CounterStoreException e)
        {
            CacheLog.LookupFailed(context.Runtime.Services!.Logger, context.Http.TraceIdentifier, e.Message);
        }

        if (cached is null)
        {
            context.Gateway.Cache = "miss";
            context.Http.Items[KeyItem] = key;
            return PolicyStep.Continue;
        }

        context.Gateway.Cache = "hit";
        context.StartResponse(cached.StatusCode);
        var headers = context.Http.Response.Headers;
        foreach (var (name, values) in cached.Headers)
        {
            headers[name] = values;
        }

        if (downstream != "none")
        {
            headers.CacheControl = downstream + (mustRevalidate ? ", must-revalidate" : "");
        }

        context.SetResponseBody(cached.Body.ToArray());
        return PolicyStep.Return;
    }

    private string Key(PolicyContext context)
    {
        var request = context.Http.Request;
        var gateway = context.Gateway;
        var sb = new StringBuilder(context.Runtime.KeyPrefix).Append("r:");
        sb.Append(gateway.Api.Id.ToLowerInvariant()).Append('/').Append(gateway.Operation.Id.ToLowerInvariant()).Append('|').Append(request.Path.Value);
        if (varyByQuery.Length == 0)
        {
            sb.Append('|').Append(request.QueryString.Value);
        }
        else
        {
            foreach (var q in varyByQuery)
            {
                sb.Append("|q:").Append(q).Append('=').Append(request.Query[q].ToString());
            }
        }

        foreach (var h in varyByHeaders)
        {
            sb.Append("|h:").Append(h).Append('=').Append(request.Headers[h].ToString());
        }

        if (varyByDeveloper)
        {
            sb.Append("|u:").Append(gateway.User?.Id ?? gateway.Subscription?.UserId ?? "");
        }

        if (varyByGroups)
        {
            sb.Append("|g:").Append(string.Join(",", (IEnumerable<string>?)gateway.User?.GroupIds.Order(StringComparer.OrdinalIgnoreCase) ?? []));
        }

        return sb.ToString();
    }
}

/// <summary>
/// <c>cache-store</c>: after a <c>cache-lookup</c> miss, keeps the response for <c>duration</c> seconds: a 200 (any
/// status with <c>cache-response="true"</c>) with its headers and body.
/// </summary>
internal sealed class CacheStoreHandler(PolicyLocation location, PolicyValue duration, bool anyStatus) : PolicyHandler(location)
{
    private static readonly HashSet<string> NotStored = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Transfer-Encoding", "Connection", "Set-Cookie", "x-request-id", "Date",
    };

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        if (context.Http.Items[CacheLookupHandler.KeyItem] is not string key || context.ResponseBody is null
            || (!anyStatus && context.Http.Response.StatusCode != 200))
        {
            return PolicyStep.Continue;
        }

        var seconds = duration.GetInteger(context, 0);
        var headers = new List<KeyValuePair<string, string[]>>();
        foreach (var (name, values) in context.Http.Response.Headers)
        {
            if (!NotStored.Contains(name))
            {
                headers.Add(new(name, values.ToArray()!));
            }
        }

        try
        {
            var response = new CachedResponse(context.Http.Response.StatusCode, headers, context.ResponseBody.Content);
            await context.Runtime.Services!.Cache.SetResponseAsync(key, response, TimeSpan.FromSeconds(seconds), context.Http.RequestAborted);
        }
        catch (CounterStoreException e)
        {
            CacheLog.StoreFailed(context.Runtime.Services!.Logger, context.Http.TraceIdentifier, e.Message);
        }

        return PolicyStep.Continue;
    }
}

internal static partial class CacheLog
{
    [LoggerMessage(EventIds.CacheLookupFailed, LogLevel.Warning, "Request {RequestId}: cache-lookup could not read the cache: {Message}")]
    public static partial void LookupFailed(ILogger logger, string requestId, string message);

    [LoggerMessage(EventIds.CacheStoreFailed, LogLevel.Warning, "Request {RequestId}: cache-store could not write the cache: {Message}")]
    public static partial void StoreFailed(ILogger logger, string requestId, string message);
}

/// <summary>Values of cache-store-value in the cache: a type tag and the value's text, so lookups give back the same type.</summary>
internal static class CachedValue
{
    public static byte[] Serialize(object? value)
    {
        var (tag, text) = value switch
        {
            null => ('n', ""),
            string s => ('s', s),
            bool b => ('b', b ? "true" : "false"),
            int i => ('i', i.ToString(CultureInfo.InvariantCulture)),
            long l => ('l', l.ToString(CultureInfo.InvariantCulture)),
            double d => ('d', d.ToString("R", CultureInfo.InvariantCulture)),
            decimal m => ('m', m.ToString(CultureInfo.InvariantCulture)),
            DateTime t => ('t', t.ToString("o", CultureInfo.InvariantCulture)),
            Guid g => ('g', g.ToString()),
            byte[] bytes => ('B', Convert.ToBase64String(bytes)),
            JToken j => ('j', j.ToString(Formatting.None)),
            IFormattable f => ('s', f.ToString(null, CultureInfo.InvariantCulture)),
            _ => ('s', value.ToString() ?? ""),
        };
        return Encoding.UTF8.GetBytes(tag + text);
    }

    public static object? Deserialize(byte[] data)
    {
        if (data.Length == 0)
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(data, 1, data.Length - 1);
        // Arms typed object: JToken converts implicitly from every other arm and would otherwise be the switch's type.
        return (char)data[0] switch
        {
            'n' => (object?)null,
            'b' => (object)(text == "true"),
            'i' => (object)int.Parse(text, CultureInfo.InvariantCulture),
            'l' => (object)long.Parse(text, CultureInfo.InvariantCulture),
            'd' => (object)double.Parse(text, CultureInfo.InvariantCulture),
            'm' => (object)decimal.Parse(text, CultureInfo.InvariantCulture),
            't' => (object)DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            'g' => (object)Guid.Parse(text),
            'B' => (object)Convert.FromBase64String(text),
            'j' => (object)JToken.Parse(text),
            _ => text,
        };
    }

    public static string Key(PolicyContext context, string key) => context.Runtime.KeyPrefix + "v:" + key;
}

/// <summary><c>cache-lookup-value</c>: the cached value of <c>key</c> into a variable, or <c>default-value</c> (else no variable).</summary>
internal sealed class CacheLookupValueHandler(PolicyLocation location, PolicyValue key, PolicyValue? defaultValue, string variable) : PolicyHandler(location)
{
    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var bytes = await context.Runtime.Services!.Cache.GetAsync(CachedValue.Key(context, key.GetString(context) ?? ""), context.Http.RequestAborted);
        if (bytes is not null)
        {
            context.SetVariable(variable, CachedValue.Deserialize(bytes)!);
        }
        else if (defaultValue is not null)
        {
            context.SetVariable(variable, defaultValue.GetObject(context)!);
        }

        return PolicyStep.Continue;
    }
}

/// <summary><c>cache-store-value</c>: keeps a value (string, number, boolean, JSON, bytes…) under <c>key</c> for <c>duration</c> seconds.</summary>
internal sealed class CacheStoreValueHandler(PolicyLocation location, PolicyValue key, PolicyValue value, PolicyValue duration) : PolicyHandler(location)
{
    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var seconds = duration.GetInteger(context, 0);
        await context.Runtime.Services!.Cache.SetAsync(
            CachedValue.Key(context, key.GetString(context) ?? ""), CachedValue.Serialize(value.GetObject(context)), TimeSpan.FromSeconds(seconds), context.Http.RequestAborted);
        return PolicyStep.Continue;
    }
}

/// <summary><c>cache-remove-value</c>: removes the value cached under <c>key</c>.</summary>
internal sealed class CacheRemoveValueHandler(PolicyLocation location, PolicyValue key) : PolicyHandler(location)
{
    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        await context.Runtime.Services!.Cache.RemoveAsync(CachedValue.Key(context, key.GetString(context) ?? ""), context.Http.RequestAborted);
        return PolicyStep.Continue;
    }
}
