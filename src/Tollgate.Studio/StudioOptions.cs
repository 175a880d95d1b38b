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

    /// <summary>Studio's store (<c>Tollgate:Studio:Store:*</c>): SQLite under the data directory, or PostgreSQL for several nodes.</summary>
    public StudioStoreOptions Store { get; set; } = new();

    /// <summary>
    /// How long a node holds a BES job it claimed without renewing its lease (default 30 s). The node renews it every
    /// third of that; a job whose node died is claimed by another once its lease ended. Between 1 s and 1 h.
    /// </summary>
    public TimeSpan JobLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle worker looks in the store for a job to claim (default 1 s); a job started on this node is taken at once.</summary>
    public TimeSpan JobPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>This node's name in BES job leases; default: host name, process id and a random suffix (unique per process).</summary>
    public string? NodeName { get; set; }

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

    /// <summary>Whether datasets and trained models are kept in the default storage (<see cref="StudioStoreOptions.Files"/>, else: the store is PostgreSQL).</summary>
    public bool FilesInBlobStorage => Store.Files is { Length: > 0 } files
        ? files.Equals(StudioStoreOptions.BlobFiles, StringComparison.OrdinalIgnoreCase)
        : Store.Provider.Equals(StudioStoreOptions.Postgres, StringComparison.OrdinalIgnoreCase);

    /// <summary>What is wrong with the store and job settings, named by their configuration keys; null when nothing is.</summary>
    public string? Problem()
    {
        var problems = new List<string>();
        if (!Store.Provider.Equals(StudioStoreOptions.Sqlite, StringComparison.OrdinalIgnoreCase) && !Store.Provider.Equals(StudioStoreOptions.Postgres, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"Tollgate:Studio:Store:Provider is '{Store.Provider}': it must be 'sqlite' (the default) or 'postgres'.");
        }
        else if (Store.Provider.Equals(StudioStoreOptions.Postgres, StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(Store.ConnectionString))
        {
            problems.Add("Tollgate:Studio:Store:ConnectionString is empty: the 'postgres' store needs a PostgreSQL connection string (Host=...;Database=...;Username=...).");
        }

        if (Store.Files is { Length: > 0 } files && !files.Equals(StudioStoreOptions.LocalFiles, StringComparison.OrdinalIgnoreCase) && !files.Equals(StudioStoreOptions.BlobFiles, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"Tollgate:Studio:Store:Files is '{files}': it must be 'local' or 'blob'.");
        }
        else if (FilesInBlobStorage && string.IsNullOrWhiteSpace(DefaultStorageConnectionString))
        {
            problems.Add("Tollgate:Studio:DefaultStorageConnectionString is empty: datasets and trained models are kept in blob storage (the 'postgres' store, or Tollgate:Studio:Store:Files = 'blob'), "
                + "so every node serves them; set it to the workspace's storage account, or set Tollgate:Studio:Store:Files to 'local'.");
        }

        if (JobLease < TimeSpan.FromSeconds(1) || JobLease > TimeSpan.FromHours(1))
        {
            problems.Add($"Tollgate:Studio:JobLease is {JobLease}: it must be between 00:00:01 and 01:00:00.");
        }

        if (JobPollInterval < TimeSpan.FromMilliseconds(10) || JobPollInterval > TimeSpan.FromHours(1))
        {
            problems.Add($"Tollgate:Studio:JobPollInterval is {JobPollInterval}: it must be between 00:00:00.010 and 01:00:00.");
        }

        return problems.Count == 0 ? null : string.Join(" ", problems);
    }

    internal string BaseUrl => (string.IsNullOrEmpty(PublicUrl) ? Url : PublicUrl).TrimEnd('/');
}

/// <summary>Studio's store (<c>Tollgate:Studio:Store:*</c>).</summary>
public sealed class StudioStoreOptions
{
    /// <summary>The <see cref="Provider"/> of the default store, one SQLite file (<c>{DataDirectory}/studio/studio.db</c>).</summary>
    public const string Sqlite = "sqlite";

    /// <summary>The <see cref="Provider"/> shared by several Studio nodes.</summary>
    public const string Postgres = "postgres";

    /// <summary>The <see cref="Files"/> value keeping datasets and trained models under the data directory.</summary>
    public const string LocalFiles = "local";

    /// <summary>The <see cref="Files"/> value keeping them in the default storage (<see cref="StudioOptions.DefaultStorageConnectionString"/>).</summary>
    public const string BlobFiles = "blob";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>The PostgreSQL connection string (Npgsql); required with <c>postgres</c>, ignored with <c>sqlite</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Where datasets and trained models are kept: <c>local</c> (under the data directory) or <c>blob</c> (the container
    /// <see cref="FilesContainer"/> of the default storage, so every node reads them). Default: <c>blob</c> with the
    /// <c>postgres</c> store, <c>local</c> with <c>sqlite</c>.
    /// </summary>
    public string? Files { get; set; }

    /// <summary>The container of the default storage that holds datasets and trained models (default <c>studio-files</c>).</summary>
    public string FilesContainer { get; set; } = "studio-files";
}
