namespace Tollgate.Management.Services;

/// <summary>Settings of the control plane (section <c>Tollgate:Management</c>).</summary>
public sealed class ManagementOptions
{
    /// <summary>Where the management API listens. Default <c>http://127.0.0.1:5081</c>.</summary>
    public string Url { get; set; } = "http://127.0.0.1:5081";

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
