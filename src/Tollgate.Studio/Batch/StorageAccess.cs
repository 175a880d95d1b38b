using System.Net.Sockets;
using Azure;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Tollgate.Studio.WebServices;

namespace Tollgate.Studio.Batch;

/// <summary>
/// Which blob storage a BES job may reach, and how: connection strings and SAS locations come from clients, so Studio
/// only talks to allow-listed hosts (<see cref="StudioOptions.AllowedStorageHosts"/>, by default Azure's blob endpoints
/// and the workspace's default storage), connects with a short timeout and few retries, and reports every storage it
/// could not reach with one message that says nothing of why (refused, silent, unknown host), so BES is no port scanner.
/// </summary>
public sealed class StorageAccess
{
    /// <summary>Azure's blob endpoint suffixes (public, China, US Government clouds, DNS-zone endpoints).</summary>
    public static readonly IReadOnlyList<string> AzureBlobSuffixes =
        [".blob.core.windows.net", ".blob.core.chinacloudapi.cn", ".blob.core.usgovcloudapi.net", ".blob.storage.azure.net"];

    private readonly List<string> _suffixes = [];
    private readonly List<(string Host, int? Port)> _hosts = [];

    public StorageAccess(StudioOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entries = string.IsNullOrWhiteSpace(options.AllowedStorageHosts)
            ? AzureBlobSuffixes
            : options.AllowedStorageHosts.Split([';', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var entry in entries)
        {
            if (entry.StartsWith("*.", StringComparison.Ordinal) || entry.StartsWith('.'))
            {
                _suffixes.Add(entry.TrimStart('*').ToLowerInvariant());
            }
            else if (Uri.TryCreate("http://" + entry, UriKind.Absolute, out var uri) && uri.PathAndQuery == "/")
            {
                _hosts.Add((uri.IdnHost.ToLowerInvariant(), entry.Contains(':', StringComparison.Ordinal) && !entry.EndsWith(']') ? uri.Port : null));
            }
            else
            {
                throw new ArgumentException($"Tollgate:Studio:AllowedStorageHosts: '{entry}' is not a host, host:port or .suffix.");
            }
        }

        ConnectTimeout = options.StorageConnectTimeout > TimeSpan.Zero ? options.StorageConnectTimeout : TimeSpan.FromSeconds(5);
        ClientOptions = new BlobClientOptions
        {
            Transport = new HttpClientTransport(new SocketsHttpHandler
            {
                ConnectTimeout = ConnectTimeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            }),
        };
        ClientOptions.Retry.MaxRetries = 1;
        ClientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        ClientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);

        // The operator's own default storage is always allowed, wherever it is.
        if (!string.IsNullOrWhiteSpace(options.DefaultStorageConnectionString))
        {
            try
            {
                var uri = new BlobServiceClient(options.DefaultStorageConnectionString).Uri;
                _hosts.Add((uri.IdnHost.ToLowerInvariant(), uri.Port));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or UriFormatException)
            {
                // Refused where it is used, with its own error.
            }
        }
    }

    /// <summary>How long Studio waits for a TCP connection to a storage account.</summary>
    public TimeSpan ConnectTimeout { get; }

    /// <summary>How long submit's check that an input blob exists may take in all (tries included).</summary>
    public TimeSpan CheckTimeout => ConnectTimeout * 3;

    /// <summary>The options of every blob client for a job's blobs: short connect timeout, one retry.</summary>
    public BlobClientOptions ClientOptions { get; }

    /// <summary>Whether Studio may send requests to <paramref name="uri"/>'s host.</summary>
    public bool IsAllowed(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var host = uri.IdnHost.ToLowerInvariant();
        foreach (var (allowed, port) in _hosts)
        {
            if (host == allowed && (port is null || port == uri.Port))
            {
                return true;
            }
        }

        foreach (var suffix in _suffixes)
        {
            if (host.EndsWith(suffix, StringComparison.Ordinal) && host.Length > suffix.Length)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The error of a blob whose host is not allow-listed (no request was sent).</summary>
    public static StudioError NotAllowed(string target) => StudioError.BadArgument("StorageHostNotAllowed",
        $"The storage account of '{target}' is not one this Studio may use; the operator allows storage hosts with Tollgate:Studio:AllowedStorageHosts.", target);

    /// <summary>The one message of a storage that could not be reached, whatever the reason (refused, silent, unknown, not storage).</summary>
    public static string UnreachableMessage(string target) =>
        $"The storage account of '{target}' could not be reached, or did not answer as Azure Blob Storage. Check the account name, endpoint and network.";

    /// <summary>Whether <paramref name="exception"/> is a failure to reach or talk to a storage account (not an answer of it).</summary>
    public static bool IsUnreachable(Exception exception) => exception switch
    {
        RequestFailedException { Status: 0 } => true,
        RequestFailedException { Status: not (401 or 403 or 404) } => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsUnreachable),
        HttpRequestException or SocketException or TimeoutException or IOException => true,
        OperationCanceledException => true,
        _ => false,
    };
}
