using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Choose;

/// <summary><c>choose</c>: the policies of the first <c>when</c> whose condition holds, else of <c>otherwise</c>.</summary>
internal sealed class ChooseHandler(PolicyLocation location, (PolicyValue Condition, PolicyHandler[] Policies)[] branches, PolicyHandler[]? otherwise) : PolicyHandler(location)
{
    public override bool Forwards => branches.Any(b => b.Policies.Any(p => p.Forwards)) || otherwise?.Any(p => p.Forwards) == true;

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        foreach (var (condition, policies) in branches)
        {
            if (condition.GetBoolean(context, false))
            {
                return PolicyExecutor.RunSectionAsync(policies, context);
            }
        }

        return otherwise is null ? Continue : PolicyExecutor.RunSectionAsync(otherwise, context);
    }
}
