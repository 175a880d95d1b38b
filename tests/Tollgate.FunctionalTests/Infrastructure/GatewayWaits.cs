using Tollgate.Core.Gateway;
using Tollgate.Hosting;

namespace Tollgate.FunctionalTests.Infrastructure;

/// <summary>Waits on what a gateway applies, by its <c>Applied</c> event (never by polling).</summary>
public static class GatewayWaits
{
    /// <summary>Completes once the gateway serves a snapshot meeting <paramref name="condition"/> (30 s at most).</summary>
    public static Task ForAsync(TollgateServer server, Func<GatewaySnapshot, bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Gateway!.Applied += s =>
        {
            if (condition(s))
            {
                done.TrySetResult();
            }
        };
        if (condition(server.Gateway.State.Snapshot))
        {
            done.TrySetResult();
        }

        return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
