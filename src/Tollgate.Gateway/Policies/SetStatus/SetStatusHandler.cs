using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetStatus;

/// <summary><c>set-status</c>: the response's status code and reason phrase.</summary>
internal sealed class SetStatusHandler(PolicyLocation location, PolicyValue code, PolicyValue? reason) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var status = (int)code.GetInteger(context, 200);
        if (!context.Http.Response.HasStarted)
        {
            context.Http.Response.StatusCode = status;
            context.SetReason(reason?.GetString(context));
        }

        return Continue;
    }
}
