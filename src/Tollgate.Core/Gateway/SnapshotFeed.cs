using System.Collections.Concurrent;

namespace Tollgate.Core.Gateway;

/// <summary>
/// Hands gateway snapshots from the control plane to gateways in the same process (and to the long-poll
/// endpoint for gateways elsewhere). Keeps the newest snapshot per instance; never goes back to an older revision.
/// </summary>
public sealed class SnapshotFeed
{
    private readonly ConcurrentDictionary<string, GatewaySnapshot> _snapshots = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Raised after a newer snapshot is published (synchronously, on the publisher's thread).</summary>
    public event Action<GatewaySnapshot>? Published;

    /// <summary>Names of the instances that exist (have a snapshot that is not a deletion).</summary>
    public IReadOnlyCollection<string> Services => _snapshots.Where(s => !s.Value.Deleted).Select(s => s.Key).ToArray();

    public GatewaySnapshot? Get(string service) => _snapshots.TryGetValue(service, out var s) ? s : null;

    /// <summary>Publishes a snapshot unless a newer one of the same instance is already there. Returns whether it was taken.</summary>
    public bool Publish(GatewaySnapshot snapshot)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (_snapshots.TryGetValue(snapshot.ServiceName, out var current) && current.Revision >= snapshot.Revision)
            {
                return false;
            }

            _snapshots[snapshot.ServiceName] = snapshot;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        Published?.Invoke(snapshot);
        changed.TrySetResult();
        return true;
    }

    /// <summary>Removes an instance (deleted); gateways serving it get an empty snapshot.</summary>
    public void Remove(string service, long revision)
    {
        Publish(GatewaySnapshot.Empty(service) with { Revision = revision, Deleted = true });
    }

    /// <summary>
    /// Waits until an instance the gateway serves has changed, or the timeout passes (empty then). Changed: a snapshot
    /// newer than the revision the gateway knows, or an instance it does not know yet that exists; a deleted instance
    /// it knows comes as its deletion snapshot.
    /// </summary>
    /// <param name="serves">Whether the gateway serves an instance (its <c>Services</c> setting).</param>
    /// <param name="known">The revision of every instance the gateway has, by name.</param>
    public async Task<IReadOnlyList<GatewaySnapshot>> WaitChangesAsync(Func<string, bool> serves, IReadOnlyDictionary<string, long> known, TimeSpan timeout,
        TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var timeoutCts = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutCts.Token, cancellationToken);
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                var changed = _snapshots.Values
                    .Where(s => serves(s.ServiceName) && (known.TryGetValue(s.ServiceName, out var revision) ? s.Revision > revision : !s.Deleted))
                    .OrderBy(s => s.ServiceName, StringComparer.OrdinalIgnoreCase)
                    .ToArray();
                if (changed.Length > 0)
                {
                    return changed;
                }

                wait = _changed.Task;
            }

            try
            {
                await wait.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return [];
            }
        }
    }

    /// <summary>
    /// Waits until the instance has a snapshot newer than <paramref name="sinceRevision"/>, or the timeout passes.
    /// With no instance named, the first instance (by name) is meant, whenever one appears.
    /// </summary>
    public async Task<GatewaySnapshot?> WaitNewerAsync(string? service, long sinceRevision, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var timeoutCts = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutCts.Token, cancellationToken);
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                var name = string.IsNullOrEmpty(service) ? Services.Order(StringComparer.OrdinalIgnoreCase).FirstOrDefault() : service;
                if (name is not null && Get(name) is { } s && s.Revision > sinceRevision)
                {
                    return s;
                }

                wait = _changed.Task;
            }

            try
            {
                await wait.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }
    }
}

/// <summary>A gateway's list of instances to serve: <c>*</c> (every instance) or names separated by commas.</summary>
public static class GatewayServiceList
{
    public static bool Contains(string? list, string service)
    {
        if (string.IsNullOrWhiteSpace(list))
        {
            return true;
        }

        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (name == "*" || string.Equals(name, service, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
