using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Runtime;
using Yarp.ReverseProxy.Configuration;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Configuration;

/// <summary>
/// Feeds YARP from gateway snapshots: each newer snapshot becomes a new <see cref="GatewayState"/> and a new
/// proxy config, swapped atomically (YARP applies it before <see cref="Apply"/> returns, so the next request sees it).
/// </summary>
public sealed partial class SnapshotProxyConfigProvider : IProxyConfigProvider
{
    private readonly GatewayOptions _options;
    private readonly ILogger<SnapshotProxyConfigProvider> _logger;
    private readonly Lock _gate = new();
    private volatile Config _config;

    private readonly PolicyServices? _policies;

    public SnapshotProxyConfigProvider(IOptions<GatewayOptions> options, ILogger<SnapshotProxyConfigProvider> logger, PolicyServices? policies = null)
    {
        _options = options.Value;
        _logger = logger;
        _policies = policies;
        _config = new Config(GatewayState.Empty(_options));
    }

    /// <summary>Raised after a snapshot has been applied (YARP serves it from then on).</summary>
    public event Action<GatewaySnapshot>? Applied;

    /// <summary>The state that matches the routes YARP is serving.</summary>
    public GatewayState State => _config.State;

    public IProxyConfig GetConfig() => _config;

    /// <summary>Applies a snapshot if it is for this gateway's instance and newer than the current one.</summary>
    public bool Apply(GatewaySnapshot snapshot)
    {
        lock (_gate)
        {
            var current = _config.State.Snapshot;
            var sameService = string.Equals(current.ServiceName, snapshot.ServiceName, StringComparison.OrdinalIgnoreCase);

            // Without a configured instance the gateway serves the first one it hears of, and moves on to
            // another one when the instance it served is deleted.
            var mine = _options.ServiceName is { Length: > 0 } name
                ? string.Equals(name, snapshot.ServiceName, StringComparison.OrdinalIgnoreCase)
                : sameService || current.ServiceName.Length == 0 || (current.Deleted && !snapshot.Deleted);
            if (!mine || (sameService && snapshot.Revision <= current.Revision))
            {
                return false;
            }

            GatewayState state;
            try
            {
                state = GatewayState.Build(snapshot, _options);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Stored data a snapshot cannot be built from never stops the process: the last good snapshot serves.
                Log.SnapshotRefused(_logger, snapshot.ServiceName, snapshot.Revision, current.Revision, e.Message);
                return false;
            }

            if (_policies is not null)
            {
                try
                {
                    state.Policies = PolicyRuntime.Build(snapshot, state, _policies);
                    state.AcceptCorsPreflight(state.Policies.CorsRoutes);
                    foreach (var problem in state.Policies.Problems)
                    {
                        Log.PolicyNotLoaded(_logger, snapshot.ServiceName, snapshot.Revision, problem);
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Documents that cannot be loaded fail only their operations (above); this is for a failure of the whole build.
                    Log.SnapshotRefused(_logger, snapshot.ServiceName, snapshot.Revision, current.Revision, e.Message);
                    return false;
                }
            }

            foreach (var problem in state.Problems)
            {
                Log.RouteSkipped(_logger, problem);
            }

            var old = _config;
            _config = new Config(state);
            old.SignalChange();

            // The previous snapshot's expressions are unloaded once the requests still running on them are done.
            old.State.Policies.Retire();
            Log.SnapshotApplied(_logger, snapshot.ServiceName, snapshot.Revision, state.Routes.Count);
        }

        Applied?.Invoke(snapshot);
        return true;
    }

    private sealed class Config(GatewayState state) : IProxyConfig
    {
        private readonly CancellationTokenSource _cts = new();

        public GatewayState State { get; } = state;

        public string RevisionId { get; } = $"{state.Snapshot.ServiceName}@{state.Snapshot.Revision}";

        public IReadOnlyList<RouteConfig> Routes => State.Routes;

        public IReadOnlyList<ClusterConfig> Clusters => State.Clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_cts.Token);

        public void SignalChange() => _cts.Cancel();
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.GatewayServing, LogLevel.Information, "Gateway serves '{Service}' at revision {Revision} with {Routes} routes.")]
        public static partial void SnapshotApplied(ILogger logger, string service, long revision, int routes);

        [LoggerMessage(EventIds.SnapshotRefused, LogLevel.Error, "Refused snapshot '{Service}' revision {Revision}; still serving revision {Current}. It cannot be built: {Reason}")]
        public static partial void SnapshotRefused(ILogger logger, string service, long revision, long current, string reason);

        [LoggerMessage(EventIds.PolicyNotLoaded, LogLevel.Error, "Snapshot '{Service}' revision {Revision}: {Problem}. The operations it applies to answer 500; everything else serves.")]
        public static partial void PolicyNotLoaded(ILogger logger, string service, long revision, string problem);

        [LoggerMessage(EventIds.RouteSkipped, LogLevel.Warning, "Skipped a route: {Problem}")]
        public static partial void RouteSkipped(ILogger logger, string problem);
    }
}
