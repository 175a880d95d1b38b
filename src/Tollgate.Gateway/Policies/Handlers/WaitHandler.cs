using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>
/// <c>wait</c>: runs its send-request, cache-lookup-value and choose children. <c>for="all"</c> (the default) completes
/// when every child has; <c>for="any"</c> when one has, and the others are not run. The children run one after the other
/// on the request's context (APIM runs them in parallel): the variables they set are the same, only the latency of
/// several send-requests adds up. A child that fails ends the wait with its error.
/// </summary>
internal sealed class WaitHandler(PolicyLocation location, PolicyValue mode, PolicyHandler[] children) : PolicyHandler(location)
{
    private readonly PolicyHandler[][] _each = children.Select(c => new[] { c }).ToArray();

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var forAny = string.Equals(mode.GetString(context)?.Trim(), "any", StringComparison.Ordinal);
        foreach (var child in _each)
        {
            var step = await PolicyExecutor.RunSectionAsync(child, context);
            if (step != PolicyStep.Continue || forAny)
            {
                return step;
            }
        }

        return PolicyStep.Continue;
    }
}
