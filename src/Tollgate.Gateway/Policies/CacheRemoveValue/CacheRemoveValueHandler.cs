using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Tollgate.Gateway.Policies.Caching;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.ServiceDefaults;

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
