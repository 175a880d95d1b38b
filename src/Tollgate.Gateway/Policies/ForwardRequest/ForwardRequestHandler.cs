using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ForwardRequest;

/// <summary><c>forward-request</c>: sends the request to the backend with a timeout (default 300 s).</summary>
internal sealed class ForwardRequestHandler(PolicyLocation location, TimeSpan timeout) : PolicyHandler(location)
{
    public override bool Forwards => true;

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context) => PolicyExecutor.ForwardAsync(context, timeout, Location);
}
