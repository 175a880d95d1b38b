using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.Management.Persistence;
using Tollgate.ServiceDefaults;

namespace Tollgate.Management.Services;

/// <summary>
/// Keeps this management node's snapshots at the store's revisions when other nodes write to the same PostgreSQL:
/// each committed change set is announced by <c>NOTIFY</c>, and this node republishes that instance (or its deletion)
/// so gateways long-polling any node get the change. A poll every <see cref="StoreOptions.PollInterval"/>, and one
/// each time the listener (re)connects, catch what a lost connection missed.
/// </summary>
public sealed partial class RevisionFollower(IResourceStore store, IRevisionNotifications notifications, SnapshotPublisher publisher,
    StoreOptions options, TimeProvider timeProvider, ILogger<RevisionFollower> logger) : BackgroundService
{
    /// <summary>How long the listener waits before reconnecting after its connection failed.</summary>
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ListenAsync(stoppingToken), PollAsync(stoppingToken));

    /// <summary>Publishes every instance whose stored revision is newer than this node's snapshot of it.</summary>
    public async Task CatchUpAsync(CancellationToken ct)
    {
        foreach (var (service, revision) in await store.GetRevisionsAsync(ct))
        {
            await FollowAsync(service, revision, ct);
        }
    }

    private async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await notifications.ListenAsync(() => CatchUpAsync(ct), (service, revision) => FollowAsync(service, revision, ct), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ListenFailed(logger, options.PollInterval, ex);
            }

            try
            {
                await Task.Delay(ReconnectDelay, timeProvider, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.PollInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await CatchUpAsync(ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.PollFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task FollowAsync(string service, long revision, CancellationToken ct)
    {
        // "" is the list of instances: an instance's own change set follows its creation, and carries its deletion.
        if (service.Length == 0 || (publisher.Feed.Get(service)?.Revision ?? 0) >= revision)
        {
            return;
        }

        if (await store.GetAsync(ResourceService.ServiceKey(service), ct) is null)
        {
            publisher.Remove(service, revision);
        }
        else
        {
            await publisher.PublishAsync(service, ct);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.RevisionListenFailed, LogLevel.Warning, "Lost the store's revision notifications; polling every {PollInterval} until listening again.")]
        public static partial void ListenFailed(ILogger logger, TimeSpan pollInterval, Exception exception);

        [LoggerMessage(EventIds.RevisionPollFailed, LogLevel.Warning, "Could not read the store's revisions; trying again at the next poll.")]
        public static partial void PollFailed(ILogger logger, Exception exception);
    }
}
