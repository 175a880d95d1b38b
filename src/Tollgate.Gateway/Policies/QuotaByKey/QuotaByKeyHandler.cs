using Tollgate.Core.Policies.Definitions.QuotaByKey;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.QuotaByKey;

/// <summary><c>quota-by-key</c>: calls and/or kilobytes per fixed window per counter-key value, anchored at first-period-start.</summary>
internal sealed class QuotaByKeyHandler(
    PolicyLocation location,
    QuotaByKeyConfig config,
    PolicyValue counterKey,
    PolicyValue? incrementCondition,
    PolicyServices services) : PolicyHandler(location)
{
    private readonly long? _calls = config.Calls;
    private readonly long? _bandwidth = config.Bandwidth;
    private readonly int _period = config.RenewalPeriod;

    private PolicyValue? IncrementCondition { get; } = incrementCondition;

    private readonly DateTimeOffset _start = config.FirstPeriodStart;

    public bool HasBandwidth => _bandwidth is not null;

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var key = context.Runtime.KeyPrefix + (counterKey.GetString(context) ?? "");
        var rule = new QuotaRule(_calls, _bandwidth, _period, _start);
        var keys = context.QuotaKeys ??= new Dictionary<string, QuotaKeyUse>(StringComparer.Ordinal);
        var store = services.Quotas;
        if (keys.TryGetValue(key, out var use))
        {
            // Counted already by another policy of this request: check this policy's limits without counting again.
            var check = await store.AcquireAsync(key, rule, calls: 0);
            if (!check.Admitted)
            {
                await store.RefundAsync(use.Lease);
                keys.Remove(key);
                return Limits.RejectQuota(context, this, check);
            }

            use.Handlers.Add(this);
            return PolicyStep.Continue;
        }

        var decision = await store.AcquireAsync(key, rule);
        if (!decision.Admitted)
        {
            return Limits.RejectQuota(context, this, decision);
        }

        use = new QuotaKeyUse(decision.Lease);
        use.Handlers.Add(this);
        keys[key] = use;
        context.Defer(this, use);
        return PolicyStep.Continue;
    }

    public override async ValueTask CompleteAsync(PolicyContext context, object? state)
    {
        if (state is not QuotaKeyUse use || context.QuotaKeys?.ContainsKey(KeyOf(context, use)) == false)
        {
            return;
        }

        var count = false;
        var bandwidth = false;
        foreach (var handler in use.Handlers)
        {
            count |= handler.IncrementCondition is null || handler.IncrementCondition.GetBoolean(context, true);
            bandwidth |= handler.HasBandwidth;
        }

        if (!count)
        {
            await services.Quotas.RefundAsync(use.Lease);
        }
        else if (bandwidth)
        {
            await services.Quotas.AddBandwidthAsync(use.Lease, context.TransferredBytes);
        }
    }

    private static string KeyOf(PolicyContext context, QuotaKeyUse use) => use.Lease.Key ?? "";
}
