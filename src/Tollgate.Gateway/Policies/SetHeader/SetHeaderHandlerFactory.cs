using Tollgate.Core.Policies.Definitions.SetHeader;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetHeader;

/// <summary>Builds <see cref="SetHeaderHandler"/> on the request's headers in inbound and backend, else on the response's.</summary>
internal sealed class SetHeaderHandlerFactory() : PolicyHandlerFactory<SetHeaderConfig>(SetHeaderPolicy.Instance)
{
    public override PolicyHandler Build(SetHeaderConfig config, PolicyBuildContext context) =>
        new SetHeaderHandler(context.Location, config.Name, config.ExistsAction, context.Values(config.Values), context.Target);
}
