using Tollgate.Gateway.Policies.Counters;

namespace Tollgate.Gateway;

/// <summary>Settings of the gateway role (section <c>Tollgate:Gateway</c>).</summary>
public sealed class GatewayOptions
{
    /// <summary>Plain HTTP listener. Default <c>http://127.0.0.1:5080</c>; empty turns it off.</summary>
    public string? HttpUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>HTTPS listener. Default <c>https://127.0.0.1:5443</c>; empty turns it off.</summary>
    public string? HttpsUrl { get; set; } = "https://127.0.0.1:5443";

    /// <summary>
    /// PFX file of the HTTPS certificate. When not set, a self-signed certificate for localhost, *.localhost and
    /// 127.0.0.1 is generated on first start and kept at <c>{data}/gateway-certificate.pfx</c>. Custom host names of an
    /// instance with a certificate of their own get theirs (SNI).
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>, if any.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// The instance served on the bare host (an IP address, <c>localhost</c>, the machine's name or the listeners' host):
    /// APIs called as <c>https://127.0.0.1:5443/{path}</c>. Default: the first instance the gateway serves (by name at start).
    /// </summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// The instances this gateway serves: <c>*</c> (default, every instance) or a comma-separated list of names.
    /// Each is served on <c>{name}.{HostSuffix}</c> and on its custom host names.
    /// </summary>
    public string Services { get; set; } = "*";

    /// <summary>
    /// The domain under which every instance has a host name of its own, <c>{name}.{HostSuffix}</c>. Default
    /// <c>localhost</c>: <c>https://myapim.localhost:5443</c> needs no DNS (<c>*.localhost</c> is loopback).
    /// </summary>
    public string HostSuffix { get; set; } = "localhost";

    /// <summary>Whether this gateway serves the named instance (<see cref="Services"/>).</summary>
    public bool Serves(string service) => Core.Gateway.GatewayServiceList.Contains(Services, service);

    /// <summary>How long the backend may stay silent before the gateway answers 504. Default 300 s (APIM's forward-request default).</summary>
    public TimeSpan BackendTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Management URL to long-poll for snapshots when the gateway runs without the management role in its process
    /// (APIM self-hosted gateway model). Not used in the all-in-one process.
    /// </summary>
    public string? ManagementUrl { get; set; }

    /// <summary>SharedAccessSignature used to call <see cref="ManagementUrl"/>.</summary>
    public string? ManagementToken { get; set; }

    /// <summary>
    /// Where a remote gateway keeps its last good snapshot, to start serving while management is down.
    /// Default <c>{data}/gateway-snapshot.json</c>.
    /// </summary>
    public string? SnapshotBackupPath { get; set; }

    /// <summary>
    /// Where the gateway keeps its compiled policy expressions, so that a restart loads them instead of compiling every
    /// document again. Default <c>{data}/policy-assemblies</c>; empty: nothing is kept, every start compiles.
    /// </summary>
    public string? PolicyAssemblyCachePath { get; set; }

    /// <summary>
    /// Where a remote gateway keeps the request records management could not take yet (sent again, oldest first, when
    /// it can). Default <c>{data}/gateway-records</c>.
    /// </summary>
    public string? RecordBufferPath { get; set; }

    /// <summary>The most request records a remote gateway keeps on disk, in megabytes; past it new batches are dropped and counted. Default 256.</summary>
    public int RecordBufferLimitMegabytes { get; set; } = 256;

    /// <summary>
    /// Also send the IETF <c>RateLimit</c> and <c>RateLimit-Policy</c> headers (draft-ietf-httpapi-ratelimit-headers) from
    /// rate-limit and rate-limit-by-key. Not APIM behaviour; default false.
    /// </summary>
    public bool RateLimitHeaders { get; set; }

    /// <summary>Rate-limit and quota counters and the response cache: in-process (default) or Redis.</summary>
    public CounterStoreOptions Counters { get; set; } = new();
}
