using Tollgate.Core.Policies.Definitions.SetQueryParameter;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetQueryParameter;

/// <summary>Builds <see cref="SetQueryParameterHandler"/>.</summary>
internal sealed class SetQueryParameterHandlerFactory() : PolicyHandlerFactory<SetQueryParameterConfig>(SetQueryParameterPolicy.Instance)
{
    public override PolicyHandler Build(SetQueryParameterConfig config, PolicyBuildContext context) =>
        new SetQueryParameterHandler(context.Location, config.Name, config.ExistsAction, context.Values(config.Values));
}
