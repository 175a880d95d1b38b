using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Gateway.Policies.SendRequest;

namespace Tollgate.Gateway.Policies.Wait;

/// <summary>
/// <c>wait</c>: runs its send-request, cache-lookup-value and choose children. <c>for="all"</c> (the default) completes
/// when every child has; <c>for="any"</c> when the first has, and the others are stopped. The send-request children are
/// sent at the same time, as APIM does (each built on the request's context, its response stored when all are in, or
/// with <c>any</c> only the first one's while the others are cancelled); cache-lookup-value and choose children run
/// first, one after the other, on the request's context (with <c>any</c>, the first of them completes the wait).
/// A child that fails ends the wait with its error.
/// </summary>
internal sealed class WaitHandler(PolicyLocation location, PolicyValue mode, PolicyHandler[] children) : PolicyHandler(location)
{
    private readonly PolicyHandler[][] _inOrder = children.Where(c => c is not SendRequestHandler { OneWay: false }).Select(c => new[] { c }).ToArray();

    private readonly SendRequestHandler[] _sent = children.OfType<SendRequestHandler>().Where(c => !c.OneWay).ToArray();

    private readonly PolicyHandler[] _firstSent = children.OfType<SendRequestHandler>().Where(c => !c.OneWay).Take(1).ToArray();

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var forAny = string.Equals(mode.GetString(context)?.Trim(), "any", StringComparison.Ordinal);
        foreach (var child in _inOrder)
        {
            var step = await PolicyExecutor.RunSectionAsync(child, context);
            if (step != PolicyStep.Continue || forAny)
            {
                return step;
            }
        }

        return _sent.Length switch
        {
            0 => PolicyStep.Continue,
            1 => await PolicyExecutor.RunSectionAsync(_firstSent, context),
            _ => await SendTogetherAsync(context, forAny),
        };
    }

    private async Task<PolicyStep> SendTogetherAsync(PolicyContext context, bool forAny)
    {
        var messages = new HttpRequestMessage[_sent.Length];
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.Http.RequestAborted);
        try
        {
            for (var i = 0; i < messages.Length; i++)
            {
                messages[i] = _sent[i].BuildRequest(context);
            }

            var exchanges = new Task<SendRequestExchange>[messages.Length];
            for (var i = 0; i < messages.Length; i++)
            {
                exchanges[i] = _sent[i].ExchangeAsync(messages[i], context.Runtime.Time, cancel.Token);
            }

            if (forAny)
            {
                var first = await Task.WhenAny(exchanges);
                var exchange = await first;
                await cancel.CancelAsync();
                await Task.WhenAll(exchanges).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return _sent[Array.IndexOf(exchanges, first)].Complete(context, exchange);
            }

            var all = await Task.WhenAll(exchanges);
            for (var i = 0; i < all.Length; i++)
            {
                var step = _sent[i].Complete(context, all[i]);
                if (step != PolicyStep.Continue)
                {
                    return step;
                }
            }

            return PolicyStep.Continue;
        }
        finally
        {
            foreach (var message in messages)
            {
                message?.Dispose();
            }
        }
    }
}
