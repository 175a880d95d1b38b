using Tollgate.Security;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Core.Gateway;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Configuration;

/// <summary>
/// For a gateway running apart from management (APIM's self-hosted gateway model): long-polls
/// <c>/internal/gateway/snapshots</c> for the instances it serves (<see cref="GatewayOptions.Services"/>) and applies
/// each newer snapshot; keeps serving the last good ones while management is unreachable, and starts from a local
/// backup copy of every served instance when management is down at start.
/// </summary>
public sealed partial class RemoteSnapshotPoller(
    IHttpClientFactory httpClientFactory,
    SnapshotProxyConfigProvider config,
    IOptions<GatewayOptions> options,
    ILogger<RemoteSnapshotPoller> logger) : BackgroundService
{
    public const string HttpClientName = "tollgate-management";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        LoadBackup(o.SnapshotBackupPath);
        var client = httpClientFactory.CreateClient(HttpClientName);
        client.Timeout = TimeSpan.FromSeconds(60);
        var failures = 0;

        // The revisions received, applied or not: a snapshot the gateway refuses is not asked for again and again.
        var known = config.Instances.ByName.ToDictionary(s => s.Key, s => s.Value.Snapshot.Revision, StringComparer.OrdinalIgnoreCase);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"{o.ManagementUrl!.TrimEnd('/')}/internal/gateway/snapshots")
                {
                    Content = JsonContent.Create(new { services = o.Services, known }, options: Json),
                };
                request.Headers.TryAddWithoutValidation("Authorization", o.ManagementToken);
                using var response = await client.SendAsync(request, stoppingToken);
                if (response.StatusCode == HttpStatusCode.OK && await response.Content.ReadFromJsonAsync<GatewaySnapshot[]>(Json, stoppingToken) is { } snapshots)
                {
                    var changed = false;
                    foreach (var snapshot in snapshots)
                    {
                        changed |= config.Apply(snapshot);
                        if (snapshot.Deleted)
                        {
                            known.Remove(snapshot.ServiceName);
                        }
                        else
                        {
                            known[snapshot.ServiceName] = snapshot.Revision;
                        }
                    }

                    if (changed && o.SnapshotBackupPath is { } backup)
                    {
                        // Not cancelled by shutdown: the snapshots the gateway served are always in its backup (a short local write).
                        await SaveBackupAsync(backup, config.Instances.ByName.Values.Select(s => s.Snapshot).ToArray(), CancellationToken.None);
                    }
                }
                else if (response.StatusCode != HttpStatusCode.NoContent)
                {
                    throw new HttpRequestException($"management answered {(int)response.StatusCode}");
                }

                failures = 0;
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                failures++;
                Log.PollFailed(logger, o.ManagementUrl!, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures * 2)), stoppingToken);
            }
        }
    }

    /// <summary>Applies the backup: every served instance's last snapshot (an array; one snapshot from earlier versions).</summary>
    private void LoadBackup(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return;
        }

        try
        {
            var text = File.ReadAllText(path);
            var snapshots = text.TrimStart().StartsWith('[')
                ? JsonSerializer.Deserialize<GatewaySnapshot[]>(text, Json) ?? []
                : JsonSerializer.Deserialize<GatewaySnapshot>(text, Json) is { } one ? [one] : [];
            foreach (var snapshot in snapshots)
            {
                if (config.Apply(snapshot))
                {
                    Log.BackupLoaded(logger, path, snapshot.ServiceName, snapshot.Revision);
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            Log.BackupUnreadable(logger, path, ex.Message);
        }
    }

    private static async Task SaveBackupAsync(string path, GatewaySnapshot[] snapshots, CancellationToken ct)
    {
        // Write then rename, so a crash never leaves half a backup.
        var temp = path + ".tmp";
        await using (var stream = new FileStream(temp, PrivateFiles.Options(FileMode.Create)))
        {
            await JsonSerializer.SerializeAsync(stream, snapshots, Json, ct);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.SnapshotBackupLoaded, LogLevel.Information, "Started from the snapshot backup {Path}: '{Service}' at revision {Revision}.")]
        public static partial void BackupLoaded(ILogger logger, string path, string service, long revision);

        [LoggerMessage(EventIds.SnapshotBackupUnreadable, LogLevel.Warning, "The snapshot backup {Path} could not be read: {Reason}")]
        public static partial void BackupUnreadable(ILogger logger, string path, string reason);

        [LoggerMessage(EventIds.RemoteSnapshotFailed, LogLevel.Warning, "Could not get a snapshot from {Url}: {Reason}. Serving the last good one.")]
        public static partial void PollFailed(ILogger logger, string url, string reason);
    }
}
