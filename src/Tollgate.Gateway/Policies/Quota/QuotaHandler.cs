using Tollgate.Core.Policies.Definitions.Quota;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Quota;

/// <summary><c>quota</c>: calls and/or kilobytes per fixed window per subscription, windows anchored at the subscription's start (§2.3).</summary>
internal sealed class QuotaHandler : PolicyHandler, IBatchedLimit
{
    private readonly long? _calls;
    private readonly long? _bandwidth;
    private readonly int _period;
    private readonly SubscriptionCounter _counter;
    private readonly LimitChild[] _apis;
    private readonly PolicyServices _services;

    public QuotaHandler(PolicyLocation location, QuotaConfig config, string scopeKey, PolicyServices services)
        : base(location)
    {
        _calls = config.Calls;
        _bandwidth = config.Bandwidth;
        _period = config.RenewalPeriod;
        var prefix = CounterKeys.QuotaPrefix(scopeKey);
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

        var store = _services.Quotas;
        var start = subscription.CreatedDate;
        var decision = await store.AcquireAsync(_counter.KeyFor(subscription.Id), new QuotaRule(_calls, _bandwidth, _period, start));
        if (!decision.Admitted)
        {
            return Limits.RejectQuota(context, this, decision);
        }

        List<QuotaLease>? admitted = null;
        if (_bandwidth is not null)
        {
            (admitted ??= []).Add(decision.Lease);
        }

        foreach (var api in _apis)
        {
            if (!api.MatchesApi(context))
            {
                continue;
            }

            var leases = new List<QuotaLease> { decision.Lease };
            // The api counter, then its matching operations' (a loop, not LINQ: a lambda over the context would
            // allocate its closure on every call of this method).
            for (var i = -1; i < api.Operations.Length; i++)
            {
                var child = i < 0 ? api : api.Operations[i];
                if (i >= 0 && !child.MatchesOperation(context))
                {
                    continue;
                }

                var rule = new QuotaRule(child.Calls, child.Bandwidth, child.RenewalPeriod, start);
                if (rule.Calls is null && rule.BandwidthKilobytes is null)
                {
                    continue;
                }

                var childDecision = await store.AcquireAsync(child.Counter.KeyFor(subscription.Id), rule);
                if (!childDecision.Admitted)
                {
                    foreach (var lease in leases)
                    {
                        await store.RefundAsync(lease);
                    }

                    return Limits.RejectQuota(context, this, childDecision);
                }

                leases.Add(childDecision.Lease);
                if (child.Bandwidth is not null)
                {
                    (admitted ??= []).Add(childDecision.Lease);
                }
            }
        }

        if (admitted is not null)
        {
            context.Defer(this, admitted);
        }

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

        batch.AddQuota(_counter.KeyFor(subscription.Id), new QuotaRule(_calls, _bandwidth, _period, subscription.CreatedDate));
        return true;
    }

    public PolicyStep Apply(PolicyContext context, LimitBatch batch, int index)
    {
        var decision = batch.QuotaDecision(index);
        if (!decision.Admitted)
        {
            return Limits.RejectQuota(context, this, decision);
        }

        if (_bandwidth is not null)
        {
            context.Defer(this, new List<QuotaLease> { decision.Lease });
        }

        return PolicyStep.Continue;
    }

    public override async ValueTask CompleteAsync(PolicyContext context, object? state)
    {
        if (state is List<QuotaLease> leases)
        {
            var bytes = context.TransferredBytes;
            foreach (var lease in leases)
            {
                await _services.Quotas.AddBandwidthAsync(lease, bytes);
            }
        }
    }
}
