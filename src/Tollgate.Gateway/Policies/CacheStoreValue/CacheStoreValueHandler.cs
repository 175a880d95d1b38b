using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheStoreValue;

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
