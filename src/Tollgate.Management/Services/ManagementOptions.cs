namespace Tollgate.Management.Services;

/// <summary>Settings of the control plane (section <c>Tollgate:Management</c>).</summary>
public sealed class ManagementOptions
{
    /// <summary>Where the management API listens over HTTP. Default <c>http://127.0.0.1:5081</c>; empty: no HTTP listener (then <see cref="HttpsUrl"/> is required).</summary>
    public string Url { get; set; } = "http://127.0.0.1:5081";

    /// <summary>
    /// Where the management API listens over HTTPS (Azure SDKs send bearer tokens only over HTTPS). Empty: none. The
    /// shipped appsettings.json sets <c>https://127.0.0.1:5444</c>.
    /// </summary>
    public string? HttpsUrl { get; set; }

    /// <summary>A PFX for the HTTPS listener; default: the gateway's certificate (configured or self-signed in the data directory).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The gateway URL shown as <c>gatewayUrl</c> of instances. Default <c>https://127.0.0.1:5443</c>.</summary>
    public string GatewayUrl { get; set; } = "https://127.0.0.1:5443";

    /// <summary>Page size of lists when <c>$top</c> is not given (APIM pages at 100).</summary>
    public int DefaultPageSize { get; set; } = 100;
}

/// <summary>Settings of the store (section <c>Tollgate:Store</c>).</summary>
public sealed class StoreOptions
{
    /// <summary><c>sqlite</c> (default: a file under the data directory) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Connection string; for SQLite defaults to <c>Data Source={DataDirectory}/tollgate.db</c>.</summary>
    public string? ConnectionString { get; set; }
}
