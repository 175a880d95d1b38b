using Tollgate.Core.Policies.Definitions.SetVariable;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetVariable;

/// <summary>Builds <see cref="SetVariableHandler"/>.</summary>
internal sealed class SetVariableHandlerFactory() : PolicyHandlerFactory<SetVariableConfig>(SetVariablePolicy.Instance)
{
    public override PolicyHandler Build(SetVariableConfig config, PolicyBuildContext context) =>
        new SetVariableHandler(context.Location, config.Name, context.Value(config.Value));
}
