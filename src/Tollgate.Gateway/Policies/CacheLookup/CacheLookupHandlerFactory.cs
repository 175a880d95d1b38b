using Tollgate.Core.Policies.Definitions.CacheLookup;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheLookup;

/// <summary>Builds <see cref="CacheLookupHandler"/>.</summary>
internal sealed class CacheLookupHandlerFactory() : PolicyHandlerFactory<CacheLookupConfig>(CacheLookupPolicy.Instance)
{
    public override PolicyHandler Build(CacheLookupConfig config, PolicyBuildContext context) => new CacheLookupHandler(
        context.Location,
        config.VaryByDeveloper,
        config.VaryByDeveloperGroups,
        config.DownstreamCachingType,
        config.MustRevalidate,
        config.AllowPrivateResponseCaching,
        [.. config.VaryByHeaders],
        [.. config.VaryByQueryParameters]);
}
