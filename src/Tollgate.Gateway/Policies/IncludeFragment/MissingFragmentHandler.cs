using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.IncludeFragment;

/// <summary>An <c>include-fragment</c> whose fragment no longer exists: the request fails with a 500 through on-error.</summary>
internal sealed class MissingFragmentHandler(PolicyLocation location, string id) : PolicyHandler(location)
{
    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        context.Fail(PolicyFailure.From(Location, "FragmentNotFound", $"Policy fragment '{id}' does not exist."));
        context.SetErrorResponse(500, "Internal server error");
        return ValueTask.FromResult(PolicyStep.Error);
    }
}
