using Tollgate.Core.Policies.Definitions;
using Tollgate.Core.Policies.Definitions.RateLimit;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.RateLimit;

/// <summary><c>rate-limit</c>: calls per sliding window per subscription (docs/apim-compatibility.md §2.1); calls without a subscription pass.</summary>
internal sealed class RateLimitHandler : PolicyHandler, IBatchedLimit
{
    private readonly RateLimitRule _rule;
    private readonly RateLimitOutputs _outputs;
    private readonly SubscriptionCounter _counter;
    private readonly LimitChild[] _apis;
    private readonly PolicyServices _services;

    public RateLimitHandler(PolicyLocation location, RateLimitConfig config, string scopeKey, PolicyServices services)
        : base(location)
    {
        _rule = new RateLimitRule(config.Calls, config.RenewalPeriod);
        _outputs = config.Outputs;
        var prefix = CounterKeys.RateLimitPrefix(scopeKey);
        _counter = new SubscriptionCounter(CounterKeys.SubscriptionPrefix(prefix));
        _apis = LimitChild.From(config.Apis, "api", prefix);
        _services = services;
    }

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var subscription = context.Gateway.Subscription;
        if (subscription is null)
        {
            return PolicyStep.Continue;
        }

        var store = _services.RateLimits;
        var decision = await store.AcquireAsync(_counter.KeyFor(subscription.Id), _rule);
        if (!decision.Admitted)
        {
            return Limits.RejectRate(context, this, _outputs, _rule.Calls, _rule.RenewalPeriodSeconds, decision);
        }

        var reported = decision;
        var reportedRule = _rule;
        foreach (var api in _apis)
        {
            if (!api.MatchesApi(context))
            {
                continue;
            }

            var admitted = new List<RateLimitLease>(2) { decision.Lease };
            var step = await ChildAsync(context, store, api, subscription.Id, admitted);
            if (step is { } rejected)
            {
                return rejected;
            }

            foreach (var op in api.Operations)
            {
                if (op.MatchesOperation(context) && await ChildAsync(context, store, op, subscription.Id, admitted) is { } opRejected)
                {
                    return opRejected;
                }
            }
        }

        Limits.Admitted(context, this, _outputs, reportedRule.Calls, reportedRule.RenewalPeriodSeconds, reported);
        return PolicyStep.Continue;
    }

    public bool CanBatch => _apis.Length == 0;

    public PolicyServices Services => _services;

    public bool AddTo(PolicyContext context, LimitBatch batch)
    {
        if (context.Gateway.Subscription is not { } subscription)
        {
            return false;
        }

        batch.AddRateLimit(_counter.KeyFor(subscription.Id), _rule);
        return true;
    }

    public PolicyStep Apply(PolicyContext context, LimitBatch batch, int index)
    {
        var decision = batch.RateLimitDecision(index);
        if (!decision.Admitted)
        {
            return Limits.RejectRate(context, this, _outputs, _rule.Calls, _rule.RenewalPeriodSeconds, decision);
        }

        Limits.Admitted(context, this, _outputs, _rule.Calls, _rule.RenewalPeriodSeconds, decision);
        return PolicyStep.Continue;
    }

    private async ValueTask<PolicyStep?> ChildAsync(PolicyContext context, IRateLimitStore store, LimitChild child, string subscriptionId, List<RateLimitLease> admitted)
    {
        var rule = new RateLimitRule(child.Calls ?? 0, child.RenewalPeriod);
        var decision = await store.AcquireAsync(child.Counter.KeyFor(subscriptionId), rule);
        if (decision.Admitted)
        {
            admitted.Add(decision.Lease);
            return null;
        }

        // Rejected calls are not counted: give back what the call counted in the other counters.
        foreach (var lease in admitted)
        {
            await store.RefundAsync(lease);
        }

        return Limits.RejectRate(context, this, _outputs, rule.Calls, rule.RenewalPeriodSeconds, decision);
    }
}
