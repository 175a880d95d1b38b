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
    /// PFX file of the HTTPS certificate. When not set, a self-signed certificate for localhost/127.0.0.1 is
    /// generated on first start and kept at <c>{data}/gateway-certificate.pfx</c>.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>, if any.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The API Management instance this gateway serves. Default: the first instance that exists.</summary>
    public string? ServiceName { get; set; }

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
    /// Also send the IETF <c>RateLimit</c> and <c>RateLimit-Policy</c> headers (draft-ietf-httpapi-ratelimit-headers) from
    /// rate-limit and rate-limit-by-key. Not APIM behaviour; default false.
    /// </summary>
    public bool RateLimitHeaders { get; set; }

    /// <summary>Rate-limit and quota counters and the response cache: in-process (default) or Redis.</summary>
    public CounterStoreOptions Counters { get; set; } = new();
}
