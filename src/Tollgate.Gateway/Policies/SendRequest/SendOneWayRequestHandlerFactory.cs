using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions.SendRequest;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SendRequest;

/// <summary>Builds <see cref="SendRequestHandler"/> for <c>send-one-way-request</c>: sent in the background, nothing kept.</summary>
internal sealed class SendOneWayRequestHandlerFactory() : PolicyHandlerFactory<SendRequestConfig>(SendOneWayRequestPolicy.Instance)
{
    /// <summary>A copy of the request carries its body.</summary>
    public override bool ReadsRequestBody(PolicyElement element, bool requestSide) => element["mode"] == "copy";

    public override PolicyHandler Build(SendRequestConfig config, PolicyBuildContext context) => SendRequestHandlerFactory.Create(config, context);
}
