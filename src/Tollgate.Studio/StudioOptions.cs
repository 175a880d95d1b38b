namespace Tollgate.Studio;

/// <summary>Settings of the Studio role (<c>Tollgate:Studio:*</c>).</summary>
public sealed class StudioOptions
{
    /// <summary>The listener of the Studio role (its API, RRS and BES). Default <c>http://127.0.0.1:5082</c>.</summary>
    public string Url { get; set; } = "http://127.0.0.1:5082";

    /// <summary>The base URL clients use to reach Studio (help pages, swagger, <c>ApiLocation</c>); default: <see cref="Url"/>.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Where Studio keeps its SQLite store and datasets (<c>{DataDirectory}/studio</c>); set by the host.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>
    /// The workspace's default storage: an Azure Blob connection string where BES writes outputs the request does not
    /// name. Empty: such a job is refused with <c>MissingOutputBlobInformation</c>.
    /// </summary>
    public string? DefaultStorageConnectionString { get; set; }

    /// <summary>
    /// The blob storage hosts BES jobs may use, separated by <c>;</c>: <c>host</c>, <c>host:port</c>, or <c>.suffix</c>
    /// (any host ending so). Empty: Azure's blob endpoints (<c>.blob.core.windows.net</c>, <c>.blob.core.chinacloudapi.cn</c>,
    /// <c>.blob.core.usgovcloudapi.net</c>, <c>.blob.storage.azure.net</c>). The default storage's host is always allowed.
    /// </summary>
    public string? AllowedStorageHosts { get; set; }

    /// <summary>How long Studio waits to connect to a job's storage account (default 5 s); submit's input check gives up after 3 times that.</summary>
    public TimeSpan StorageConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The container of the default storage that receives unnamed outputs (<c>{jobId}/{output}.csv</c>).</summary>
    public string DefaultStorageContainer { get; set; } = "studio-batch-outputs";

    /// <summary>Largest RRS / BES request body in bytes; larger gets 413 <c>MemoryQuotaViolation</c>. Default 8 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Largest ONNX model file that Import ONNX model accepts, in bytes; larger gets 413. Default 256 MiB.</summary>
    public long MaxOnnxModelBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary><c>MaxConcurrentCalls</c> of a new endpoint (Studio's default for paid workspaces: 20; at most 200).</summary>
    public int DefaultMaxConcurrentCalls { get; set; } = 20;

    /// <summary>BES jobs run at the same time in this process.</summary>
    public int BatchWorkers { get; set; } = 2;

    /// <summary>Rows per batch when BES streams a blob through the graph.</summary>
    public int BatchSize { get; set; } = 4096;

    /// <summary>How long a result SAS is valid (Studio's: about 24 hours).</summary>
    public TimeSpan ResultSasLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Rows kept per port for inspection after an experiment run.</summary>
    public int PreviewRows { get; set; } = 100;

    /// <summary>RRS without <c>details=true</c>: also drop <c>ColumnNames</c> (spec §1.3b; default keeps them, as the help page says).</summary>
    public bool OmitColumnNamesWithoutDetails { get; set; }

    /// <summary>Create the book reviews sample dataset on first start.</summary>
    public bool PreloadSample { get; set; } = true;

    internal string BaseUrl => (string.IsNullOrEmpty(PublicUrl) ? Url : PublicUrl).TrimEnd('/');
}
