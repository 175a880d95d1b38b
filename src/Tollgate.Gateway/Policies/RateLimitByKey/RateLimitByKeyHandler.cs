using Tollgate.Core.Policies.Definitions;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.RateLimitByKey;

/// <summary><c>rate-limit-by-key</c>: one counter per counter-key value shared by every scope (§2.2); increment-condition refunds after the response.</summary>
internal sealed class RateLimitByKeyHandler(
    PolicyLocation location,
    PolicyValue calls,
    PolicyValue renewalPeriod,
    PolicyValue counterKey,
    PolicyValue? incrementCondition,
    PolicyValue incrementCount,
    RateLimitOutputs outputs,
    PolicyServices services) : PolicyHandler(location)
{
    private readonly RateLimitOutputs _outputs = outputs;

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var key = context.Runtime.KeyPrefix + (counterKey.GetString(context) ?? "");
        var rule = new RateLimitRule((int)calls.GetInteger(context, 0), (int)renewalPeriod.GetInteger(context, 0));
        var count = (int)incrementCount.GetInteger(context, 1);
        var decision = await services.RateLimits.AcquireAsync(key, rule, Math.Max(count, 1));
        if (!decision.Admitted)
        {
            return Limits.RejectRate(context, this, _outputs, rule.Calls, rule.RenewalPeriodSeconds, decision);
        }

        if (incrementCondition is not null)
        {
            context.Defer(this, decision.Lease);
        }

        Limits.Admitted(context, this, _outputs, rule.Calls, rule.RenewalPeriodSeconds, decision);
        return PolicyStep.Continue;
    }

    public override async ValueTask CompleteAsync(PolicyContext context, object? state)
    {
        if (state is RateLimitLease lease && !incrementCondition!.GetBoolean(context, true))
        {
            await services.RateLimits.RefundAsync(lease);
        }
    }
}
