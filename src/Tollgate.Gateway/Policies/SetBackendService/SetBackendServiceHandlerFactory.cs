using Tollgate.Core.Policies.Definitions.SetBackendService;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetBackendService;

/// <summary>Builds <see cref="SetBackendHandler"/> for <c>backend-id</c>, else <see cref="SetBackendServiceHandler"/> for <c>base-url</c>.</summary>
internal sealed class SetBackendServiceHandlerFactory() : PolicyHandlerFactory<SetBackendServiceConfig>(SetBackendServicePolicy.Instance)
{
    public override PolicyHandler Build(SetBackendServiceConfig config, PolicyBuildContext context) => config.BackendId is { } backendId
        ? new SetBackendHandler(context.Location, context.Value(backendId))
        : new SetBackendServiceHandler(context.Location, context.Value(config.BaseUrl));
}
