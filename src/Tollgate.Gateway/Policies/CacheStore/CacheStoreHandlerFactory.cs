using Tollgate.Core.Policies.Definitions.CacheStore;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheStore;

/// <summary>Builds <see cref="CacheStoreHandler"/>.</summary>
internal sealed class CacheStoreHandlerFactory() : PolicyHandlerFactory<CacheStoreConfig>(CacheStorePolicy.Instance)
{
    public override PolicyHandler Build(CacheStoreConfig config, PolicyBuildContext context) => new CacheStoreHandler(context.Location, context.Value(config.Duration), config.CacheResponse);
}
