using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Configuration;

/// <summary>
/// Serves gateway snapshots, one per instance the gateway serves (<see cref="GatewayOptions.Services"/>): each newer
/// snapshot of an instance becomes a new <see cref="GatewayState"/> of that instance (sharing the routes and
/// pipelines of every unchanged API with the state it replaces), swapped atomically into the
/// <see cref="GatewayInstances"/> that maps host names to instances; the next request sees it.
/// </summary>
public sealed partial class SnapshotProxyConfigProvider
{
    private readonly GatewayOptions _options;
    private readonly ILogger<SnapshotProxyConfigProvider> _logger;
    private readonly Lock _gate = new();
    private volatile GatewayInstances _instances;

    /// <summary>Certificates loaded so far, by their base64 PFX: an unchanged one is not loaded again on every snapshot.</summary>
    private Dictionary<string, X509Certificate2> _loadedCertificates = new(StringComparer.Ordinal);

    private readonly PolicyServices? _policies;

    /// <summary>Documents compiled and pipelines built for the last snapshot of each instance, reused by the next.</summary>
    private readonly PolicyCompileCache _compileCache;

    public SnapshotProxyConfigProvider(IOptions<GatewayOptions> options, ILogger<SnapshotProxyConfigProvider> logger, PolicyServices? policies = null)
    {
        _options = options.Value;
        _logger = logger;
        _policies = policies;
        _compileCache = new PolicyCompileCache
        {
            Assemblies = string.IsNullOrEmpty(_options.PolicyAssemblyCachePath)
                ? null
                : new PolicyAssemblyStore(_options.PolicyAssemblyCachePath, Core.Policies.Expressions.PolicyExpressionCompiler.Default, logger),
        };
        _instances = GatewayInstances.Build([], _options, null, new Dictionary<string, X509Certificate2>());
    }

    /// <summary>Raised after a snapshot has been applied (YARP serves it from then on).</summary>
    public event Action<GatewaySnapshot>? Applied;

    /// <summary>The instances served, by host name, matching the routes YARP is serving.</summary>
    public GatewayInstances Instances => _instances;

    /// <summary>The state of the instance on the bare host (<see cref="GatewayInstances.Default"/>).</summary>
    public GatewayState State => _instances.Default;

    /// <summary>The state of a served instance, if it is served.</summary>
    public GatewayState? StateOf(string service) => _instances.ByName.GetValueOrDefault(service);

    /// <summary>
    /// Applies a snapshot if it is of an instance this gateway serves and newer than the one it has of that instance;
    /// a deletion stops serving the instance. Returns whether anything changed.
    /// </summary>
    public bool Apply(GatewaySnapshot snapshot)
    {
        lock (_gate)
        {
            var instances = _instances;
            var current = instances.ByName.GetValueOrDefault(snapshot.ServiceName);
            if (!_options.Serves(snapshot.ServiceName) || (current is not null && snapshot.Revision <= current.Snapshot.Revision) || (current is null && snapshot.Deleted))
            {
                return false;
            }

            GatewayState? state = null;
            if (!snapshot.Deleted)
            {
                // A snapshot read from JSON shares nothing with the one served: its unchanged APIs become the served objects.
                snapshot = snapshot.ShareUnchangedApis(current?.Snapshot);
                state = BuildState(snapshot, current?.Snapshot.Revision ?? 0);
                if (state is null)
                {
                    return false;
                }
            }

            var states = instances.ByName.Values.Where(s => s != current).ToList();
            if (state is not null)
            {
                states.Add(state);
            }

            var @default = ChooseDefault(states, instances.Default);
            var certificates = Certificates(states);
            _instances = GatewayInstances.Build(states, _options, @default, certificates);

            // The replaced snapshot's expressions are unloaded once the requests still running on them are done
            // (those the new snapshot reuses stay).
            current?.Policies.Retire();
            if (state is null)
            {
                _compileCache.Forget(snapshot.ServiceName);
                Log.InstanceRemoved(_logger, snapshot.ServiceName, snapshot.Revision);
            }
            else
            {
                Log.SnapshotApplied(_logger, snapshot.ServiceName, snapshot.Revision, state.RouteCount);
            }
        }

        Applied?.Invoke(snapshot);
        return true;
    }

    private GatewayState? BuildState(GatewaySnapshot snapshot, long currentRevision)
    {
        GatewayState state;
        try
        {
            state = GatewayState.Build(snapshot, _options, _instances.ByName.GetValueOrDefault(snapshot.ServiceName));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Stored data a snapshot cannot be built from never stops the process: the last good snapshot serves.
            Log.SnapshotRefused(_logger, snapshot.ServiceName, snapshot.Revision, currentRevision, e.Message);
            return null;
        }

        if (_policies is not null)
        {
            try
            {
                var started = _policies.Time.GetTimestamp();
                state.Policies = PolicyRuntime.Build(snapshot, state, _policies, _compileCache);
                Log.PoliciesBuilt(
                    _logger, snapshot.ServiceName, snapshot.Revision, state.Policies.DocumentsCompiled, state.Policies.DocumentCount,
                    state.Policies.PipelinesReused, state.Policies.PipelineCount, (long)_policies.Time.GetElapsedTime(started).TotalMilliseconds,
                    state.Policies.DocumentsLoaded);
                foreach (var problem in state.Policies.Problems)
                {
                    Log.PolicyNotLoaded(_logger, snapshot.ServiceName, snapshot.Revision, problem);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Documents that cannot be loaded fail only their operations (above); this is for a failure of the whole build.
                Log.SnapshotRefused(_logger, snapshot.ServiceName, snapshot.Revision, currentRevision, e.Message);
                return null;
            }
        }

        foreach (var problem in state.Problems)
        {
            Log.RouteSkipped(_logger, problem);
        }

        return state;
    }

    /// <summary>
    /// The configured instance when it is served; else the one on the bare host so far while it is served (a new
    /// instance never takes the bare host from another); else the first by name.
    /// </summary>
    private GatewayState? ChooseDefault(List<GatewayState> states, GatewayState current)
    {
        if (_options.ServiceName is { Length: > 0 } configured)
        {
            return states.FirstOrDefault(s => string.Equals(s.Snapshot.ServiceName, configured, StringComparison.OrdinalIgnoreCase));
        }

        return states.FirstOrDefault(s => string.Equals(s.Snapshot.ServiceName, current.Snapshot.ServiceName, StringComparison.OrdinalIgnoreCase))
            ?? states.OrderBy(s => s.Snapshot.ServiceName, StringComparer.OrdinalIgnoreCase).FirstOrDefault();
    }

    /// <summary>The certificates of the instances' custom Proxy host names; one that cannot be loaded is logged and left out.</summary>
    private Dictionary<string, X509Certificate2> Certificates(List<GatewayState> states)
    {
        var certificates = new Dictionary<string, X509Certificate2>(StringComparer.OrdinalIgnoreCase);
        var kept = new Dictionary<string, X509Certificate2>(StringComparer.Ordinal);
        foreach (var state in states)
        {
            foreach (var host in state.Snapshot.HostNames)
            {
                if (host.Certificate is not { Length: > 0 } pfx || !string.Equals(host.Type, GatewayHostName.Proxy, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                try
                {
                    if (!_loadedCertificates.TryGetValue(pfx, out var certificate))
                    {
                        certificate = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(pfx), null);
                    }

                    certificates[host.HostName] = certificate;
                    kept[pfx] = certificate;
                }
                catch (Exception e) when (e is FormatException or CryptographicException)
                {
                    Log.CertificateNotLoaded(_logger, state.Snapshot.ServiceName, host.HostName, e.Message);
                }
            }
        }

        // Certificates no host name uses any more are not disposed: a TLS handshake may still be using them.
        _loadedCertificates = kept;
        return certificates;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.GatewayServing, LogLevel.Information, "Gateway serves '{Service}' at revision {Revision} with {Routes} routes.")]
        public static partial void SnapshotApplied(ILogger logger, string service, long revision, int routes);

        [LoggerMessage(EventIds.SnapshotRefused, LogLevel.Error, "Refused snapshot '{Service}' revision {Revision}; still serving revision {Current}. It cannot be built: {Reason}")]
        public static partial void SnapshotRefused(ILogger logger, string service, long revision, long current, string reason);

        [LoggerMessage(EventIds.PolicyNotLoaded, LogLevel.Error, "Snapshot '{Service}' revision {Revision}: {Problem}. The operations it applies to answer 500; everything else serves.")]
        public static partial void PolicyNotLoaded(ILogger logger, string service, long revision, string problem);

        [LoggerMessage(EventIds.GatewayInstanceRemoved, LogLevel.Information, "Gateway no longer serves '{Service}' (deleted at revision {Revision}).")]
        public static partial void InstanceRemoved(ILogger logger, string service, long revision);

        [LoggerMessage(EventIds.HostCertificateNotLoaded, LogLevel.Error, "Instance '{Service}': the certificate of host name '{Host}' cannot be loaded: {Reason}. The host name is served over HTTP only.")]
        public static partial void CertificateNotLoaded(ILogger logger, string service, string host, string reason);

        [LoggerMessage(EventIds.PoliciesBuilt, LogLevel.Debug, "Snapshot '{Service}' revision {Revision}: compiled {Compiled} of {Documents} policy documents, reused {Reused} of {Pipelines} pipelines, in {Elapsed} ms; loaded {Loaded} documents' compiled expressions from disk.")]
        public static partial void PoliciesBuilt(ILogger logger, string service, long revision, int compiled, int documents, int reused, int pipelines, long elapsed, int loaded);

        [LoggerMessage(EventIds.RouteSkipped, LogLevel.Warning, "Skipped a route: {Problem}")]
        public static partial void RouteSkipped(ILogger logger, string problem);
    }
}
