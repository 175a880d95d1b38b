using Tollgate.Core.Policies.Definitions.ReturnResponse;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ReturnResponse;

/// <summary>Builds <see cref="ReturnResponseHandler"/>: its children change the response, whatever the section.</summary>
internal sealed class ReturnResponseHandlerFactory() : PolicyHandlerFactory<ReturnResponseConfig>(ReturnResponsePolicy.Instance)
{
    public override PolicyHandler Build(ReturnResponseConfig config, PolicyBuildContext context) =>
        new ReturnResponseHandler(context.Location, context.Policies(config.Policies, target: MessageTarget.Response), config.ResponseVariableName);
}
