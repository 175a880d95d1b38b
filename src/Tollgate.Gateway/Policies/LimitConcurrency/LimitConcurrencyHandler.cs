using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.LimitConcurrency;

/// <summary>
/// <c>limit-concurrency</c>: at most <c>max-count</c> requests run the enclosed policies at once per <c>key</c> value
/// (a key is shared by every policy that names it, per instance). One more is refused at once with 429
/// <c>{"statusCode":429,"message":"Too many concurrent requests."}</c> and on-error (LastError Reason
/// <c>ConcurrencyLimitExceeded</c>). Counted per gateway process.
/// </summary>
internal sealed class LimitConcurrencyHandler(PolicyLocation location, PolicyValue key, int maxCount, PolicyHandler[] children, ConcurrencyCounters counters) : PolicyHandler(location)
{
    public override bool Forwards => children.Any(c => c.Forwards);

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var name = context.Runtime.KeyPrefix + (key.GetString(context) ?? "");
        if (!counters.TryEnter(name, maxCount))
        {
            context.SetErrorResponse(429, "Too many concurrent requests.");
            context.Fail(PolicyFailure.From(Location, "ConcurrencyLimitExceeded", $"More than {maxCount} concurrent requests for this key."));
            return PolicyStep.Error;
        }

        try
        {
            return await PolicyExecutor.RunSectionAsync(children, context);
        }
        finally
        {
            counters.Exit(name);
        }
    }
}

/// <summary>Requests inside limit-concurrency policies, per key, for the whole gateway process (survives snapshot changes).</summary>
public sealed class ConcurrencyCounters
{
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);

    /// <summary>Counts one more request under <paramref name="key"/> unless <paramref name="max"/> are already running.</summary>
    public bool TryEnter(string key, int max)
    {
        lock (_running)
        {
            var running = _running.GetValueOrDefault(key);
            if (running >= max)
            {
                return false;
            }

            _running[key] = running + 1;
            return true;
        }
    }

    public void Exit(string key)
    {
        lock (_running)
        {
            if (_running.TryGetValue(key, out var running))
            {
                if (running <= 1)
                {
                    _running.Remove(key);
                }
                else
                {
                    _running[key] = running - 1;
                }
            }
        }
    }

    /// <summary>Requests running under <paramref name="key"/> now.</summary>
    public int Running(string key)
    {
        lock (_running)
        {
            return _running.GetValueOrDefault(key);
        }
    }
}
