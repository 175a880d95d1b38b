using Tollgate.Core.Policies.Definitions.ForwardRequest;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ForwardRequest;

/// <summary>Builds <see cref="ForwardRequestHandler"/>.</summary>
internal sealed class ForwardRequestHandlerFactory() : PolicyHandlerFactory<ForwardRequestConfig>(ForwardRequestPolicy.Instance)
{
    public override PolicyHandler Build(ForwardRequestConfig config, PolicyBuildContext context) => new ForwardRequestHandler(context.Location, config.Timeout, config.FailOnErrorStatusCode);
}
