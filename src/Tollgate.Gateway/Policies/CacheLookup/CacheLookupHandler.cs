using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheLookup;

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
