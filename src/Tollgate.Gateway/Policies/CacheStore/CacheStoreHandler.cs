using Tollgate.Gateway.Policies.CacheLookup;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheStore;

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
