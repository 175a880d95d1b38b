using Tollgate.Core.Policies.Definitions.CacheLookupValue;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CacheLookupValue;

/// <summary>Builds <see cref="CacheLookupValueHandler"/>.</summary>
internal sealed class CacheLookupValueHandlerFactory() : PolicyHandlerFactory<CacheLookupValueConfig>(CacheLookupValuePolicy.Instance)
{
    public override PolicyHandler Build(CacheLookupValueConfig config, PolicyBuildContext context) =>
        new CacheLookupValueHandler(context.Location, context.Value(config.Key), context.Optional(config.DefaultValue), config.VariableName);
}
