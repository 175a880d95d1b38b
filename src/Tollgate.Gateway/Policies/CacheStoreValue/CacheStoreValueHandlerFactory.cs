using Tollgate.Core.Policies.Definitions.CacheStoreValue;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheStoreValue;

/// <summary>Builds <see cref="CacheStoreValueHandler"/>.</summary>
internal sealed class CacheStoreValueHandlerFactory() : PolicyHandlerFactory<CacheStoreValueConfig>(CacheStoreValuePolicy.Instance)
{
    public override PolicyHandler Build(CacheStoreValueConfig config, PolicyBuildContext context) =>
        new CacheStoreValueHandler(context.Location, context.Value(config.Key), context.Value(config.Value), context.Value(config.Duration));
}
