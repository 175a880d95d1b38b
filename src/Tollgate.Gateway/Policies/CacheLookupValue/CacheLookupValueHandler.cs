using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheLookupValue;

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
