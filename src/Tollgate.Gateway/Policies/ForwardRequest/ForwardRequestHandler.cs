using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ForwardRequest;

/// <summary>
/// <c>forward-request</c>: sends the request to the backend with a timeout (default 300 s). With
/// <c>fail-on-error-status-code="true"</c> a 4xx or 5xx answer from the backend is an error of this policy: on-error runs
/// (the answer is held back until then, so on-error can replace or change it), with <c>context.LastError.Source</c>
/// <c>forward-request</c>.
/// </summary>
internal sealed class ForwardRequestHandler(PolicyLocation location, TimeSpan timeout, bool failOnErrorStatusCode) : PolicyHandler(location)
{
    public override bool Forwards => true;

    /// <summary>True when a backend error status runs on-error: the pipeline holds the backend's answer back.</summary>
    public bool FailsOnErrorStatusCode => failOnErrorStatusCode;

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var step = await PolicyExecutor.ForwardAsync(context, timeout, Location);
        if (step == PolicyStep.Continue && failOnErrorStatusCode && context.Gateway.BackendStatusCode is >= 400 and var status)
        {
            context.Fail(PolicyFailure.From(Location, "BackendError", $"The backend answered {status}."));
            return PolicyStep.Error;
        }

        return step;
    }
}
