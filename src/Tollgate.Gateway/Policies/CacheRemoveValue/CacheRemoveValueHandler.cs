using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheRemoveValue;

/// <summary><c>cache-remove-value</c>: removes the value cached under <c>key</c>.</summary>
internal sealed class CacheRemoveValueHandler(PolicyLocation location, PolicyValue key) : PolicyHandler(location)
{
    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        await context.Runtime.Services!.Cache.RemoveAsync(CachedValue.Key(context, key.GetString(context) ?? ""), context.Http.RequestAborted);
        return PolicyStep.Continue;
    }
}
