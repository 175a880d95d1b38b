using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Retry;

/// <summary><c>retry</c>: runs its policies, then again while the condition holds, up to count retries, waiting between them.</summary>
internal sealed class RetryHandler(
    PolicyLocation location,
    PolicyValue condition,
    PolicyValue count,
    PolicyValue interval,
    PolicyValue? maxInterval,
    PolicyValue? delta,
    PolicyValue? firstFastRetry,
    PolicyHandler[] children) : PolicyHandler(location)
{
    public override bool Forwards => children.Any(c => c.Forwards);

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var retries = Math.Clamp(count.GetInteger(context, 1), 0, 50);
        var step = await PolicyExecutor.RunSectionAsync(children, context);
        for (var attempt = 1; attempt <= retries; attempt++)
        {
            if (step == PolicyStep.Return || !condition.GetBoolean(context, false))
            {
                return step;
            }

            var wait = Wait(context, attempt);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, context.Runtime.Time, context.Http.RequestAborted);
            }

            context.ResetForRetry();
            step = await PolicyExecutor.RunSectionAsync(children, context);
        }

        return step;
    }

    private TimeSpan Wait(PolicyContext context, int attempt)
    {
        if (attempt == 1 && firstFastRetry?.GetBoolean(context, false) == true)
        {
            return TimeSpan.Zero;
        }

        var seconds = interval.GetInteger(context, 0);
        if (delta is not null)
        {
            seconds += delta.GetInteger(context, 0) * (attempt - 1);
        }

        if (maxInterval is not null)
        {
            seconds = Math.Min(seconds, maxInterval.GetInteger(context, seconds));
        }

        return TimeSpan.FromSeconds(Math.Max(0, seconds));
    }
}
