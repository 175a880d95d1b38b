using System.Collections.Concurrent;
using System.Globalization;
using Tollgate.Core.Policies;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>The response headers and variables rate-limit and rate-limit-by-key may set.</summary>
internal sealed record RateLimitOutputs(string RetryAfterHeader, string? RetryAfterVariable, string? RemainingHeader, string? RemainingVariable, string? TotalHeader)
{
    public static RateLimitOutputs From(PolicyElement element) => new(
        element["retry-after-header-name"] is { Length: > 0 } h ? h : "Retry-After",
        element["retry-after-variable-name"],
        element["remaining-calls-header-name"],
        element["remaining-calls-variable-name"],
        element["total-calls-header-name"]);
}

/// <summary>Shared by the four limit policies: APIM's rejection responses and the optional headers.</summary>
internal static class Limits
{
    public static PolicyStep RejectRate(PolicyContext context, PolicyHandler handler, RateLimitOutputs outputs, int calls, int periodSeconds, RateLimitDecision decision)
    {
        var retry = decision.RetryAfterSeconds;
        var text = retry.ToString(CultureInfo.InvariantCulture);
        context.SetErrorResponse(429, $"Rate limit is exceeded. Try again in {text} seconds.");
        var headers = context.Http.Response.Headers;
        headers[outputs.RetryAfterHeader] = text;
        if (outputs.RemainingHeader is { } remaining)
        {
            headers[remaining] = "0";
        }

        if (outputs.TotalHeader is { } total)
        {
            headers[total] = calls.ToString(CultureInfo.InvariantCulture);
        }

        if (outputs.RetryAfterVariable is { } retryVariable)
        {
            context.SetVariable(retryVariable, retry);
        }

        if (outputs.RemainingVariable is { } remainingVariable)
        {
            context.SetVariable(remainingVariable, 0);
        }

        if (context.Runtime.Services?.Options.RateLimitHeaders == true)
        {
            headers["RateLimit-Policy"] = $"\"{handler.Location.Name}\";q={calls};w={periodSeconds}";
            headers["RateLimit"] = $"\"{handler.Location.Name}\";r=0;t={text}";
        }

        GatewayMetrics.RecordRejection(handler.Location.Name, context.Gateway);
        context.Fail(PolicyFailure.From(handler.Location, "RateLimitExceeded", "Rate limit is exceeded"));
        return PolicyStep.Error;
    }

    public static void Admitted(PolicyContext context, PolicyHandler handler, RateLimitOutputs outputs, int calls, int periodSeconds, RateLimitDecision decision)
    {
        if (outputs.RemainingHeader is { } remaining)
        {
            context.AddResponseHeaderLater(remaining, decision.Remaining.ToString(CultureInfo.InvariantCulture));
        }

        if (outputs.TotalHeader is { } total)
        {
            context.AddResponseHeaderLater(total, calls.ToString(CultureInfo.InvariantCulture));
        }

        if (outputs.RemainingVariable is { } remainingVariable)
        {
            context.SetVariable(remainingVariable, decision.Remaining);
        }

        if (context.Runtime.Services?.Options.RateLimitHeaders == true)
        {
            context.AddResponseHeaderLater("RateLimit-Policy", $"\"{handler.Location.Name}\";q={calls};w={periodSeconds}");
            context.AddResponseHeaderLater("RateLimit", $"\"{handler.Location.Name}\";r={decision.Remaining}");
        }
    }

    public static PolicyStep RejectQuota(PolicyContext context, PolicyHandler handler, QuotaDecision decision)
    {
        var what = decision.ExceededLimit == QuotaLimit.Bandwidth ? "Out of bandwidth quota." : "Out of call volume quota.";
        var message = decision.RenewsInText is { } renews ? $"{what} Quota will be replenished in {renews}." : what;
        context.SetErrorResponse(403, message);
        if (decision.RetryAfterSeconds is { } retry)
        {
            context.Http.Response.Headers["Retry-After"] = retry.ToString(CultureInfo.InvariantCulture);
        }

        GatewayMetrics.RecordRejection(handler.Location.Name, context.Gateway);
        context.Fail(PolicyFailure.From(handler.Location, "QuotaExceeded", message));
        return PolicyStep.Error;
    }

    public static int Int(PolicyElement element, string name, int defaultValue = 0) =>
        element[name] is { } v && int.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : defaultValue;

    public static long? Long(PolicyElement element, string name) =>
        element[name] is { } v && long.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>The per-subscription rule of a <c>rate-limit</c> element (its handler and the usage reader read it alike).</summary>
    public static RateLimitRule RateRule(PolicyElement element) => new(Int(element, "calls"), Int(element, "renewal-period"));

    /// <summary>The per-subscription rule of a <c>quota</c> element, windows from <paramref name="periodStart"/>.</summary>
    public static QuotaRule QuotaRule(PolicyElement element, DateTimeOffset periodStart) =>
        new(Long(element, "calls"), Long(element, "bandwidth"), Int(element, "renewal-period"), periodStart);
}

/// <summary>A counter of rate-limit or quota inside its scope, with the per-subscription keys cached (no string building per call).</summary>
internal sealed class SubscriptionCounter(string prefix)
{
    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);

    public string KeyFor(string subscriptionId) => _keys.GetOrAdd(subscriptionId, static (id, p) => p + id, prefix);
}

/// <summary>An <c>api</c> or <c>operation</c> child of rate-limit or quota: an extra counter for calls to that API or operation.</summary>
internal sealed class LimitChild
{
    public required string? Id { get; init; }

    public required string? Name { get; init; }

    public required int Calls { get; init; }

    public required long? Bandwidth { get; init; }

    public required int RenewalPeriod { get; init; }

    public required SubscriptionCounter Counter { get; init; }

    public LimitChild[] Operations { get; init; } = [];

    public bool MatchesApi(PolicyContext context) => Matches(context.Gateway.Api.Id, context.Gateway.Api.DisplayName);

    public bool MatchesOperation(PolicyContext context) => Matches(context.Gateway.Operation.Id, context.Gateway.Operation.DisplayName);

    private bool Matches(string id, string name) =>
        Id is not null ? string.Equals(Id, id, StringComparison.OrdinalIgnoreCase) : Name is not null && string.Equals(Name, name, StringComparison.Ordinal);

    public static LimitChild[] From(PolicyElement element, string childName, string prefix)
    {
        var result = new List<LimitChild>();
        foreach (var child in element.Children)
        {
            if (child.Name != childName)
            {
                continue;
            }

            var id = child["id"];
            var name = child["name"];
            var childPrefix = $"{prefix}{childName}:{(id ?? name)?.ToLowerInvariant()}|";
            result.Add(new LimitChild
            {
                Id = id,
                Name = name,
                Calls = Limits.Int(child, "calls", -1),
                Bandwidth = Limits.Long(child, "bandwidth"),
                RenewalPeriod = Limits.Int(child, "renewal-period"),
                Counter = new SubscriptionCounter(childPrefix),
                Operations = childName == "api" ? From(child, "operation", childPrefix) : [],
            });
        }

        return [.. result];
    }
}

/// <summary><c>rate-limit</c>: calls per sliding window per subscription (docs/apim-compatibility.md §2.1); calls without a subscription pass.</summary>
internal sealed class RateLimitHandler : PolicyHandler, IBatchedLimit
{
    private readonly RateLimitRule _rule;
    private readonly RateLimitOutputs _outputs;
    private readonly SubscriptionCounter _counter;
    private readonly LimitChild[] _apis;
    private readonly PolicyServices _services;

    public RateLimitHandler(PolicyLocation location, PolicyElement element, string scopeKey, PolicyServices services)
        : base(location)
    {
        _rule = Limits.RateRule(element);
        _outputs = RateLimitOutputs.From(element);
        var prefix = CounterKeys.RateLimitPrefix(scopeKey);
        _counter = new SubscriptionCounter(CounterKeys.SubscriptionPrefix(prefix));
        _apis = LimitChild.From(element, "api", prefix);
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
        var rule = new RateLimitRule(Math.Max(child.Calls, 0), child.RenewalPeriod);
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

/// <summary><c>rate-limit-by-key</c>: one counter per counter-key value shared by every scope (§2.2); increment-condition refunds after the response.</summary>
internal sealed class RateLimitByKeyHandler(
    PolicyLocation location,
    PolicyElement element,
    PolicyValue calls,
    PolicyValue renewalPeriod,
    PolicyValue counterKey,
    PolicyValue? incrementCondition,
    PolicyValue incrementCount,
    PolicyServices services) : PolicyHandler(location)
{
    private readonly RateLimitOutputs _outputs = RateLimitOutputs.From(element);

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

/// <summary><c>quota</c>: calls and/or kilobytes per fixed window per subscription, windows anchored at the subscription's start (§2.3).</summary>
internal sealed class QuotaHandler : PolicyHandler, IBatchedLimit
{
    private readonly long? _calls;
    private readonly long? _bandwidth;
    private readonly int _period;
    private readonly SubscriptionCounter _counter;
    private readonly LimitChild[] _apis;
    private readonly PolicyServices _services;

    public QuotaHandler(PolicyLocation location, PolicyElement element, string scopeKey, PolicyServices services)
        : base(location)
    {
        _calls = Limits.Long(element, "calls");
        _bandwidth = Limits.Long(element, "bandwidth");
        _period = Limits.Int(element, "renewal-period");
        var prefix = CounterKeys.QuotaPrefix(scopeKey);
        _counter = new SubscriptionCounter(CounterKeys.SubscriptionPrefix(prefix));
        _apis = LimitChild.From(element, "api", prefix);
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

                var rule = new QuotaRule(child.Calls < 0 ? null : child.Calls, child.Bandwidth, child.RenewalPeriod, start);
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

/// <summary>What one request counted under one quota-by-key key (the key counts once per request, §2.4).</summary>
internal sealed class QuotaKeyUse(QuotaLease lease)
{
    public QuotaLease Lease { get; } = lease;

    /// <summary>Policies sharing the key, for their increment-condition and bandwidth.</summary>
    public List<QuotaByKeyHandler> Handlers { get; } = [];
}

/// <summary><c>quota-by-key</c>: calls and/or kilobytes per fixed window per counter-key value, anchored at first-period-start.</summary>
internal sealed class QuotaByKeyHandler(
    PolicyLocation location,
    PolicyElement element,
    PolicyValue counterKey,
    PolicyValue? incrementCondition,
    PolicyServices services) : PolicyHandler(location)
{
    private readonly long? _calls = Limits.Long(element, "calls");
    private readonly long? _bandwidth = Limits.Long(element, "bandwidth");
    private readonly int _period = Limits.Int(element, "renewal-period");

    private PolicyValue? IncrementCondition { get; } = incrementCondition;

    private readonly DateTimeOffset _start = element["first-period-start"] is { } s
        ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
        : DateTimeOffset.MinValue;

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

/// <summary>A rate-limit or quota policy whose counter can be decided in a <see cref="LimitBatch"/> with its neighbours'.</summary>
internal interface IBatchedLimit
{
    /// <summary>False when the policy has <c>api</c>/<c>operation</c> children (it then runs on its own).</summary>
    bool CanBatch { get; }

    PolicyServices Services { get; }

    /// <summary>Adds this request's counter to the batch; false when the policy counts nothing for it (no subscription).</summary>
    bool AddTo(PolicyContext context, LimitBatch batch);

    /// <summary>What the policy does with its entry's decision: the rejection response, or the headers and deferred work of an admission.</summary>
    PolicyStep Apply(PolicyContext context, LimitBatch batch, int index);
}

/// <summary>
/// Adjacent rate-limit and quota policies (Starter's <c>&lt;rate-limit/&gt;&lt;quota/&gt;</c>) run as one step: their
/// counters are decided together by <see cref="ILimitBatchStore.AcquireManyAsync"/> (one round trip on Redis), in
/// order and stopping at the first rejection, which is what running them one after the other does. Each policy still
/// answers, sets headers and appears in LastError as itself.
/// </summary>
internal sealed class LimitGroupHandler : PolicyHandler
{
    private readonly PolicyHandler[] _members;
    private readonly PolicyServices _services;

    private LimitGroupHandler(PolicyHandler[] members)
        : base(members[0].Location)
    {
        _members = members;
        _services = ((IBatchedLimit)members[0]).Services;
    }

    /// <summary>The section's handlers with every run of two or more adjacent batchable limit policies grouped.</summary>
    public static PolicyHandler[] Fuse(List<PolicyHandler> handlers)
    {
        var result = new List<PolicyHandler>(handlers.Count);
        for (var i = 0; i < handlers.Count;)
        {
            var end = i;
            while (end < handlers.Count && end - i < 64 && handlers[end] is IBatchedLimit { CanBatch: true })
            {
                end++;
            }

            if (end - i >= 2)
            {
                result.Add(new LimitGroupHandler([.. handlers.GetRange(i, end - i)]));
                i = end;
            }
            else
            {
                result.Add(handlers[i]);
                i++;
            }
        }

        return [.. result];
    }

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var batch = context.LimitBatch;
        batch.Clear();
        ulong added = 0;
        for (var i = 0; i < _members.Length; i++)
        {
            if (((IBatchedLimit)_members[i]).AddTo(context, batch))
            {
                added |= 1UL << i;
            }
        }

        if (batch.Count > 0)
        {
            try
            {
                await _services.LimitBatches.AcquireManyAsync(batch);
            }
            catch (CounterStoreException e)
            {
                // Attributed to the first policy whose counter was not decided, as when the policies run one by one.
                var index = 0;
                for (var i = 0; i < _members.Length; i++)
                {
                    if ((added & (1UL << i)) != 0 && !batch.Ran(index++))
                    {
                        return PolicyExecutor.Failed(context, _members[i], e);
                    }
                }

                throw;
            }
        }

        var entry = 0;
        for (var i = 0; i < _members.Length; i++)
        {
            if ((added & (1UL << i)) == 0)
            {
                continue;
            }

            var step = ((IBatchedLimit)_members[i]).Apply(context, batch, entry++);
            if (step != PolicyStep.Continue)
            {
                return step;
            }
        }

        return PolicyStep.Continue;
    }
}
