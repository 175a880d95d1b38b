using Tollgate.Core.Policies.Definitions.SetMethod;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetMethod;

/// <summary>Builds <see cref="SetMethodHandler"/>.</summary>
internal sealed class SetMethodHandlerFactory() : PolicyHandlerFactory<SetMethodConfig>(SetMethodPolicy.Instance)
{
    public override PolicyHandler Build(SetMethodConfig config, PolicyBuildContext context) => new SetMethodHandler(context.Location, context.Value(config.Method));
}
