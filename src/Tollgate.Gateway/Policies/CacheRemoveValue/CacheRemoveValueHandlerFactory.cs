using Tollgate.Core.Policies.Definitions.CacheRemoveValue;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheRemoveValue;

/// <summary>Builds <see cref="CacheRemoveValueHandler"/>.</summary>
internal sealed class CacheRemoveValueHandlerFactory() : PolicyHandlerFactory<CacheRemoveValueConfig>(CacheRemoveValuePolicy.Instance)
{
    public override PolicyHandler Build(CacheRemoveValueConfig config, PolicyBuildContext context) => new CacheRemoveValueHandler(context.Location, context.Value(config.Key));
}
