using System.Collections.Frozen;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Tollgate.Core.Gateway;

namespace Tollgate.Gateway.Configuration;

/// <summary>
/// The instances a gateway serves, by request host name: <c>{name}.{HostSuffix}</c> and the instance's custom
/// Proxy host names; the bare host (an IP address, <c>localhost</c>, the machine's or a listener's host name) is the
/// default instance's. Immutable; replaced as a whole when an instance changes, so a request resolves its instance
/// with one dictionary lookup and then matches only that instance's routes.
/// </summary>
public sealed class GatewayInstances
{

    private GatewayInstances(
        FrozenDictionary<string, GatewayState> byName,
        FrozenDictionary<string, GatewayState> byHost,
        FrozenDictionary<string, X509Certificate2> certificates,
        FrozenSet<string> httpOnlyHosts,
        FrozenSet<string> bareHosts,
        GatewayState @default)
    {
        ByName = byName;
        Certificates = certificates;
        HttpOnlyHosts = httpOnlyHosts;
        Default = @default;
        _byHostLookup = byHost.GetAlternateLookup<ReadOnlySpan<char>>();
        _bareHostsLookup = bareHosts.GetAlternateLookup<ReadOnlySpan<char>>();
        _httpOnlyLookup = httpOnlyHosts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private readonly FrozenDictionary<string, GatewayState>.AlternateLookup<ReadOnlySpan<char>> _byHostLookup;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _bareHostsLookup;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _httpOnlyLookup;

    /// <summary>The served instances by name (case-insensitive).</summary>
    public FrozenDictionary<string, GatewayState> ByName { get; }

    /// <summary>The instance on the bare host: the configured or first instance, or an empty state when none is served.</summary>
    public GatewayState Default { get; }

    /// <summary>Certificates of custom host names (SNI), by host name.</summary>
    public FrozenDictionary<string, X509Certificate2> Certificates { get; }

    /// <summary>Custom host names configured without a certificate: served over HTTP only.</summary>
    public FrozenSet<string> HttpOnlyHosts { get; }

    /// <summary>The instance a request host name (without port) is for; false for a host name of no instance.</summary>
    public bool TryResolve(string host, out GatewayState state) => TryResolve(host.AsSpan(), out state);

    /// <summary>The instance a request's <c>Host</c> (host name, optionally <c>:port</c>) is for, without allocating.</summary>
    public bool TryResolve(ReadOnlySpan<char> host, out GatewayState state)
    {
        host = WithoutPort(host);
        if (_byHostLookup.TryGetValue(host, out state!))
        {
            return true;
        }

        // No Host at all (HTTP/1.0) is the bare host too.
        if (host.IsEmpty || _bareHostsLookup.Contains(host) || IsAddress(host))
        {
            state = Default;
            return true;
        }

        return false;
    }

    /// <summary>Whether a request's <c>Host</c> is a custom host name without a certificate (served over HTTP only).</summary>
    public bool IsHttpOnly(ReadOnlySpan<char> host) => HttpOnlyHosts.Count > 0 && _httpOnlyLookup.Contains(WithoutPort(host));

    private static ReadOnlySpan<char> WithoutPort(ReadOnlySpan<char> host)
    {
        var colon = host.LastIndexOf(':');
        return colon >= 0 && host.LastIndexOf(']') < colon ? host[..colon] : host;
    }

    private static bool IsAddress(ReadOnlySpan<char> host) =>
        host.Length > 0 && (host[0] == '[' || char.IsAsciiDigit(host[0])) && IPAddress.TryParse(host, out _);

    /// <summary>The host names of an instance on a gateway with this host suffix.</summary>
    public static IEnumerable<string> HostNamesOf(GatewaySnapshot snapshot, string hostSuffix)
    {
        yield return snapshot.ServiceName.ToLowerInvariant() + "." + hostSuffix.Trim('.').ToLowerInvariant();
        foreach (var h in snapshot.HostNames)
        {
            if (string.Equals(h.Type, GatewayHostName.Proxy, StringComparison.OrdinalIgnoreCase))
            {
                yield return h.HostName.ToLowerInvariant();
            }
        }
    }

    /// <summary>
    /// Builds the lookup tables. A host name claimed twice goes to the instance whose own name it is, else to the first
    /// by name: management refuses duplicate custom host names, this only keeps the gateway deterministic.
    /// </summary>
    public static GatewayInstances Build(IEnumerable<GatewayState> states, GatewayOptions options, GatewayState? @default, IReadOnlyDictionary<string, X509Certificate2> certificates)
    {
        var byName = new Dictionary<string, GatewayState>(StringComparer.OrdinalIgnoreCase);
        var byHost = new Dictionary<string, GatewayState>(StringComparer.OrdinalIgnoreCase);
        var httpOnly = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var ordered = states.OrderBy(s => s.Snapshot.ServiceName, StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var state in ordered)
        {
            // Every instance's own {name}.{suffix} first: a custom host name never takes another instance's.
            byName[state.Snapshot.ServiceName] = state;
            byHost.TryAdd(HostNamesOf(state.Snapshot, options.HostSuffix).First(), state);
        }

        foreach (var state in ordered)
        {
            foreach (var host in HostNamesOf(state.Snapshot, options.HostSuffix).Skip(1))
            {
                byHost.TryAdd(host, state);
            }

            foreach (var h in state.Snapshot.HostNames)
            {
                if (string.Equals(h.Type, GatewayHostName.Proxy, StringComparison.OrdinalIgnoreCase) && !certificates.ContainsKey(h.HostName))
                {
                    httpOnly.Add(h.HostName);
                }
            }
        }

        return new GatewayInstances(
            byName.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            byHost.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            certificates.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            httpOnly.ToFrozenSet(StringComparer.OrdinalIgnoreCase),
            BareHosts(options),
            @default ?? GatewayState.Empty(options));
    }

    /// <summary>Host names that mean "this gateway" rather than an instance: localhost, the machine's name, the listeners' hosts.</summary>
    private static FrozenSet<string> BareHosts(GatewayOptions options)
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", Environment.MachineName };
        foreach (var url in new[] { options.HttpUrl, options.HttpsUrl })
        {
            if (!string.IsNullOrEmpty(url) && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host is not ("0.0.0.0" or "*" or "+"))
            {
                hosts.Add(uri.Host);
            }
        }

        return hosts.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }
}
