using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Core.Analytics;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Analytics;

/// <summary>
/// For a gateway running apart from management: sends its request records to management
/// (<c>POST /internal/gateway/records</c>) in batches, off the request path. A batch management cannot take (down,
/// unreachable, overloaded) is written to <see cref="GatewayOptions.RecordBufferPath"/> and sent again, oldest first,
/// before anything newer, so the reports get every call once management is back. Counted on this side as
/// <c>tollgate_gateway_records_{shipped,buffered,dropped,refused}_total</c>; management counts what it received.
/// Every record is also in <see cref="RequestRecordJournal"/> from the moment it is queued, so a gateway killed
/// outright sends the records it held at its next start.
/// </summary>
public sealed partial class RequestRecordShipper(
    RequestRecordChannel channel,
    RequestRecordJournal journal,
    IHttpClientFactory httpClientFactory,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<RequestRecordShipper> logger) : BackgroundService
{
    public const string HttpClientName = "tollgate-records";

    /// <summary>Records in one batch at most (management takes up to <see cref="RecordBatch.MaxRecords"/>).</summary>
    public const int MaxBatch = 2000;

    /// <summary>How long records gather after the first one: a few posts a second however busy the gateway is.</summary>
    private static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(250);

    /// <summary>How often buffered batches are tried again while management is away.</summary>
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    private long _sequence;

    // The buffer on disk, counted here: listed once at start, then kept up to date by this loop (its only writer), so
    // sending a batch never lists the folder.
    private int _pendingFiles;
    private long _pendingBytes;

    /// <summary>The buffer folder.</summary>
    public string BufferPath => options.Value.RecordBufferPath ?? throw new InvalidOperationException("RecordBufferPath is set by AddTollgateGateway.");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(BufferPath);
        var existing = PendingFiles();
        _pendingFiles = existing.Length;
        _pendingBytes = existing.Sum(f => new FileInfo(f).Length);
        RecoverJournal();
        var client = httpClientFactory.CreateClient(HttpClientName);
        client.Timeout = TimeSpan.FromSeconds(30);
        var batch = new List<RequestRecord>(MaxBatch);
        try
        {
            while (true)
            {
                // Wait for records; while some are buffered, wake up now and then to send them.
                var buffered = _pendingFiles > 0;
                if (buffered)
                {
                    await SendBufferedAsync(client, stoppingToken);
                    buffered = _pendingFiles > 0;
                }

                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    if (buffered)
                    {
                        wait.CancelAfter(RetryInterval);
                    }

                    try
                    {
                        if (!await channel.Reader.WaitToReadAsync(wait.Token))
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        continue;
                    }
                }

                await Task.Delay(GatherTime, time, stoppingToken);
                var (segment, records) = journal.Rotate();
                for (var from = 0; from < records.Count; from += MaxBatch)
                {
                    batch.Clear();
                    batch.AddRange(records.Skip(from).Take(MaxBatch));

                    // Order: nothing newer goes out while older records wait on disk. Not cancelled by shutdown once
                    // taken from the journal: these records are sent or buffered before their segment goes.
                    if (_pendingFiles > 0 || !await TrySendAsync(client, batch, CancellationToken.None))
                    {
                        Buffer(batch);
                    }
                }

                Delete(segment);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued goes to disk, sent on the next start.
        }

        var (last, rest) = journal.Rotate();
        for (var from = 0; from < rest.Count; from += MaxBatch)
        {
            batch.Clear();
            batch.AddRange(rest.Skip(from).Take(MaxBatch));
            Buffer(batch);
        }

        Delete(last);
    }

    /// <summary>Segments of the journal left by a process that was killed: into the buffer, sent like any other.</summary>
    private void RecoverJournal()
    {
        foreach (var segment in journal.LeftOver())
        {
            var records = RequestRecordJournal.Read(segment);
            for (var from = 0; from < records.Count; from += MaxBatch)
            {
                Buffer(records.Skip(from).Take(MaxBatch).ToList());
            }

            Log.Recovered(logger, records.Count, segment);
            Delete(segment);
        }
    }

    private static void Delete(string? segment)
    {
        if (segment is not null)
        {
            File.Delete(segment);
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        channel.Complete();
        return base.StopAsync(cancellationToken);
    }

    /// <summary>
    /// A host disposed without being stopped only cancels the shipper: it waits (a few seconds at most) for the records
    /// still queued to reach the buffer on disk, so nothing writes to the data directory once disposal returns and no
    /// record is lost.
    /// </summary>
    public override void Dispose()
    {
        base.Dispose();
        try
        {
            ExecuteTask?.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // Its failure was the host's to report; disposal goes on.
        }
    }

    /// <summary>Buffered batches, oldest first (names sort by time and sequence).</summary>
    private string[] PendingFiles()
    {
        var files = Directory.Exists(BufferPath) ? Directory.GetFiles(BufferPath, "*.json") : [];
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    private async Task SendBufferedAsync(HttpClient client, CancellationToken ct)
    {
        foreach (var file in PendingFiles())
        {
            var length = new FileInfo(file).Length;
            List<RequestRecord>? records;
            try
            {
                await using var stream = File.OpenRead(file);
                records = await JsonSerializer.DeserializeAsync<List<RequestRecord>>(stream, RecordBatch.Json, ct);
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                // A file cut short by a crash cannot be sent: kept aside for a person, never sent again.
                File.Move(file, file + ".unreadable", overwrite: true);
                Forget(length);
                Log.Unreadable(logger, file, ex.Message);
                continue;
            }

            if (records is { Count: > 0 } && !await TrySendAsync(client, records, ct))
            {
                return;
            }

            File.Delete(file);
            Forget(length);
            GatewayMetrics.RecordsUnbuffered(records?.Count ?? 0);
        }
    }

    private void Forget(long length)
    {
        _pendingFiles = Math.Max(0, _pendingFiles - 1);
        _pendingBytes = Math.Max(0, _pendingBytes - length);
    }

    /// <summary>True when management took the batch, or refused it as malformed (then it is counted and not sent again).</summary>
    private async Task<bool> TrySendAsync(HttpClient client, List<RequestRecord> records, CancellationToken ct)
    {
        var o = options.Value;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{o.ManagementUrl!.TrimEnd('/')}/internal/gateway/records")
            {
                Content = JsonContent.Create(records, options: RecordBatch.Json),
            };
            request.Headers.TryAddWithoutValidation("Authorization", o.ManagementToken);
            request.Headers.TryAddWithoutValidation(RecordBatch.IdHeader, RecordBatch.IdOf(records));
            using var response = await client.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                GatewayMetrics.RecordsShipped(records.Count);
                return true;
            }

            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                GatewayMetrics.RecordsRefused(records.Count);
                Log.Refused(logger, records.Count, await response.Content.ReadAsStringAsync(ct));
                return true;
            }

            return false;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Buffer(List<RequestRecord> batch)
    {
        var limit = (long)options.Value.RecordBufferLimitMegabytes * 1024 * 1024;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(batch, RecordBatch.Json);
        if (_pendingBytes + bytes.Length > limit)
        {
            GatewayMetrics.RecordsDropped(batch.Count);
            Log.BufferFull(logger, batch.Count, options.Value.RecordBufferLimitMegabytes);
            return;
        }

        var name = $"{time.GetUtcNow().UtcTicks:D19}-{Interlocked.Increment(ref _sequence):D10}";
        var path = Path.Combine(BufferPath, name + ".json");
        File.WriteAllBytes(path + ".tmp", bytes);
        File.Move(path + ".tmp", path);
        _pendingFiles++;
        _pendingBytes += bytes.Length;
        GatewayMetrics.RecordsBuffered(batch.Count);
        Log.Buffered(logger, batch.Count);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.RequestRecordsBuffered, LogLevel.Information, "Management did not take {Count} request records: kept on disk, sent when it can")]
        public static partial void Buffered(ILogger logger, int count);

        [LoggerMessage(EventIds.RequestRecordsBufferFull, LogLevel.Warning, "Dropped {Count} request records: the buffer on disk holds {Limit} MB already")]
        public static partial void BufferFull(ILogger logger, int count, int limit);

        [LoggerMessage(EventIds.RequestRecordsRefused, LogLevel.Warning, "Management refused {Count} request records: {Reason}")]
        public static partial void Refused(ILogger logger, int count, string reason);

        [LoggerMessage(EventIds.RequestRecordsRecovered, LogLevel.Information, "Recovered {Count} request records from {Segment}, the journal of a gateway that stopped without sending them")]
        public static partial void Recovered(ILogger logger, int count, string segment);

        [LoggerMessage(EventIds.RequestRecordsUnreadable, LogLevel.Warning, "The buffered request records in {File} cannot be read ({Reason}); set aside as .unreadable")]
        public static partial void Unreadable(ILogger logger, string file, string reason);
    }
}
