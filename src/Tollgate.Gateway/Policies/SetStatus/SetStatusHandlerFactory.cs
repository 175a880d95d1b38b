using Tollgate.Core.Policies.Definitions.SetStatus;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetStatus;

/// <summary>Builds <see cref="SetStatusHandler"/>.</summary>
internal sealed class SetStatusHandlerFactory() : PolicyHandlerFactory<SetStatusConfig>(SetStatusPolicy.Instance)
{
    public override PolicyHandler Build(SetStatusConfig config, PolicyBuildContext context) =>
        new SetStatusHandler(context.Location, context.Value(config.Code), context.Optional(config.Reason));
}
