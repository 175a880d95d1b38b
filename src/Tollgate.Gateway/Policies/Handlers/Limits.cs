using System.Collections.Concurrent;
using System.Globalization;
using Tollgate.Core.Policies.Definitions;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.QuotaByKey;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Handlers;

/// <summary>Shared by the four limit policies (rate-limit, rate-limit-by-key, quota, quota-by-key): APIM's rejection responses and the optional headers.</summary>
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
}

/// <summary>A counter of rate-limit or quota inside its scope, with the per-subscription keys cached (no string building per call).</summary>
internal sealed class SubscriptionCounter(string prefix)
{
    private readonly ConcurrentDictionary<string, Key> _keys = new(StringComparer.Ordinal);

    /// <summary>
    /// The last key handed out: a subscription's id is one string per snapshot, so its next call finds its key by
    /// reference, without hashing the id (a miss is a dictionary lookup, as before, and allocates nothing).
    /// </summary>
    private Key? _last;

    public string KeyFor(string subscriptionId)
    {
        var last = Volatile.Read(ref _last);
        if (last is null || !ReferenceEquals(last.Id, subscriptionId))
        {
            last = _keys.GetOrAdd(subscriptionId, static (id, p) => new Key(id, p + id), prefix);
            if (!ReferenceEquals(last.Id, subscriptionId))
            {
                // The same id from a newer snapshot: remember this string from now on.
                last = new Key(subscriptionId, last.Value);
                _keys[subscriptionId] = last;
            }

            Volatile.Write(ref _last, last);
        }

        return last.Value;
    }

    private sealed class Key(string id, string value)
    {
        public string Id { get; } = id;

        public string Value { get; } = value;
    }
}

/// <summary>An <c>api</c> or <c>operation</c> child of rate-limit or quota: an extra counter for calls to that API or operation.</summary>
internal sealed class LimitChild
{
    public required string? Id { get; init; }

    public required string? Name { get; init; }

    /// <summary>Calls per period; null when the child limits only bandwidth.</summary>
    public required int? Calls { get; init; }

    public required long? Bandwidth { get; init; }

    public required int RenewalPeriod { get; init; }

    public required SubscriptionCounter Counter { get; init; }

    public LimitChild[] Operations { get; init; } = [];

    public bool MatchesApi(PolicyContext context) => Matches(context.Gateway.Api.Id, context.Gateway.Api.DisplayName);

    public bool MatchesOperation(PolicyContext context) => Matches(context.Gateway.Operation.Id, context.Gateway.Operation.DisplayName);

    private bool Matches(string id, string name) =>
        Id is not null ? string.Equals(Id, id, StringComparison.OrdinalIgnoreCase) : Name is not null && string.Equals(Name, name, StringComparison.Ordinal);

    /// <summary>The counters of <paramref name="scopes"/> (<c>api</c> children, or an api's <c>operation</c> children) under <paramref name="prefix"/>.</summary>
    public static LimitChild[] From(IReadOnlyList<LimitScopeConfig> scopes, string childName, string prefix)
    {
        var result = new LimitChild[scopes.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var scope = scopes[i];
            var childPrefix = $"{prefix}{childName}:{(scope.Id ?? scope.Name)?.ToLowerInvariant()}|";
            result[i] = new LimitChild
            {
                Id = scope.Id,
                Name = scope.Name,
                Calls = scope.Calls,
                Bandwidth = scope.Bandwidth,
                RenewalPeriod = scope.RenewalPeriod,
                Counter = new SubscriptionCounter(childPrefix),
                Operations = From(scope.Operations, "operation", childPrefix),
            };
        }

        return result;
    }
}

/// <summary>What one request counted under one quota-by-key key (the key counts once per request, §2.4).</summary>
internal sealed class QuotaKeyUse(QuotaLease lease)
{
    public QuotaLease Lease { get; } = lease;

    /// <summary>Policies sharing the key, for their increment-condition and bandwidth.</summary>
    public List<QuotaByKeyHandler> Handlers { get; } = [];
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
    private readonly IBatchedLimit[] _members;
    private readonly PolicyServices _services;

    private LimitGroupHandler(PolicyHandler[] members)
        : base(members[0].Location)
    {
        _members = [.. members.Cast<IBatchedLimit>()];
        _services = _members[0].Services;
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

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var batch = context.LimitBatch;
        batch.Clear();
        ulong added = 0;
        for (var i = 0; i < _members.Length; i++)
        {
            if (_members[i].AddTo(context, batch))
            {
                added |= 1UL << i;
            }
        }

        if (batch.Count > 0)
        {
            ValueTask pending;
            try
            {
                pending = _services.LimitBatches.AcquireManyAsync(batch);
            }
            catch (CounterStoreException e)
            {
                return ValueTask.FromResult(StoreFailed(context, batch, added, e));
            }

            if (!pending.IsCompletedSuccessfully)
            {
                // A store that went asynchronous (Redis): await it, then the same as below.
                return AwaitAsync(pending, context, batch, added);
            }
        }

        return ValueTask.FromResult(Apply(context, batch, added));
    }

    private async ValueTask<PolicyStep> AwaitAsync(ValueTask pending, PolicyContext context, LimitBatch batch, ulong added)
    {
        try
        {
            await pending;
        }
        catch (CounterStoreException e)
        {
            return StoreFailed(context, batch, added, e);
        }

        return Apply(context, batch, added);
    }

    /// <summary>Attributed to the first policy whose counter was not decided, as when the policies run one by one.</summary>
    private PolicyStep StoreFailed(PolicyContext context, LimitBatch batch, ulong added, CounterStoreException e)
    {
        var index = 0;
        for (var i = 0; i < _members.Length; i++)
        {
            if ((added & (1UL << i)) != 0 && !batch.Ran(index++))
            {
                return PolicyExecutor.Failed(context, (PolicyHandler)_members[i], e);
            }
        }

        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        return PolicyStep.Error;
    }

    private PolicyStep Apply(PolicyContext context, LimitBatch batch, ulong added)
    {
        var entry = 0;
        for (var i = 0; i < _members.Length; i++)
        {
            if ((added & (1UL << i)) == 0)
            {
                continue;
            }

            var step = _members[i].Apply(context, batch, entry++);
            if (step != PolicyStep.Continue)
            {
                return step;
            }
        }

        return PolicyStep.Continue;
    }
}
