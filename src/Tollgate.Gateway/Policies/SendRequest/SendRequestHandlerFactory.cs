using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions.SendRequest;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SendRequest;

/// <summary>Builds <see cref="SendRequestHandler"/> for <c>send-request</c>.</summary>
internal sealed class SendRequestHandlerFactory() : PolicyHandlerFactory<SendRequestConfig>(SendRequestPolicy.Instance)
{
    /// <summary>A copy of the request carries its body.</summary>
    public override bool ReadsRequestBody(PolicyElement element, bool requestSide) => element["mode"] == "copy";

    public override PolicyHandler Build(SendRequestConfig config, PolicyBuildContext context) => Create(config, context);

    /// <summary>The handler of send-request and send-one-way-request (no response variable).</summary>
    internal static SendRequestHandler Create(SendRequestConfig config, PolicyBuildContext context) => new(
        context.Location,
        config.Copy,
        config.ResponseVariableName,
        config.Timeout,
        config.IgnoreError,
        context.Optional(config.Url),
        context.Optional(config.Method),
        config.Headers.Select(h => new OutgoingHeader(h.Name, h.ExistsAction, context.Values(h.Values))).ToArray(),
        context.Optional(config.Body),
        context.Services);
}
