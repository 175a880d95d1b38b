using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Diagnostics.Metrics;
using Tollgate.Core.Analytics;
using Tollgate.ServiceDefaults;

namespace Tollgate.Management.Analytics;

/// <summary>
/// Drains the request channel into the store in batches, off the request path. On shutdown it writes what is queued.
/// </summary>
public sealed partial class AnalyticsWriter : BackgroundService
{
    private const int MaxBatch = 5000;

    /// <summary>How long records gather after the first one arrives: a few transactions a second however busy the gateway is.</summary>
    private static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(250);
    private readonly Lock _gate = new();
    private long _written;
    private readonly RequestRecordChannel channel;
    private readonly IAnalyticsStore store;
    private readonly TimeProvider time;
    private readonly ILogger<AnalyticsWriter> logger;
    private readonly KeyUsage? keyUsage;
    private readonly Meter _meter;
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AnalyticsWriter(RequestRecordChannel channel, IAnalyticsStore store, TimeProvider time, ILogger<AnalyticsWriter> logger, IMeterFactory meters,
        KeyUsage? keyUsage = null)
    {
        this.keyUsage = keyUsage;
        this.channel = channel;
        this.store = store;
        this.time = time;
        this.logger = logger;
        _meter = meters.Create(TollgateTelemetry.AnalyticsMeter);
        _meter.CreateObservableCounter("tollgate.analytics.records.written", () => Written, "{record}", "Request records stored for the reports.");
        _meter.CreateObservableCounter("tollgate.analytics.records.dropped", () => channel.Dropped, "{record}",
            "Request records dropped because the channel to the writer was full (the request was never delayed).");
        _meter.CreateObservableCounter("tollgate.analytics.records.failed", () => Failed, "{record}", "Request records the store refused.");
        _meter.CreateObservableCounter("tollgate.analytics.records.received", () => Received, "{record}",
            "Request records received from gateways running apart from management (queued for the writer like the local ones).");
        _meter.CreateObservableGauge("tollgate.analytics.records.queued", () => channel.Reader.Count, "{record}", "Request records waiting for the writer.");
    }

    private long _received;

    /// <summary>Records received from remote gateways so far.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Counts records a remote gateway posted (queued for this writer).</summary>
    public void CountReceived(int count) => Interlocked.Add(ref _received, count);

    /// <summary>Records stored so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records that could not be stored (the store failed).</summary>
    public long Failed { get; private set; }

    /// <summary>Completes once at least <paramref name="count"/> records are stored (for tests and diagnostics).</summary>
    public async Task WaitForWrittenAsync(long count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (Written >= count)
                {
                    return;
                }

                next = _progress.Task;
            }

            await next.WaitAsync(cts.Token);
        }
    }

    // The writer runs on a thread of its own: encoding a batch and SQLite's synchronous I/O take tens of
    // milliseconds, which on a thread-pool thread would hold back the requests queued behind it.
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(stoppingToken);
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "Tollgate analytics writer",
        };
        thread.Start();
        return done.Task;
    }

    private void Run(CancellationToken stoppingToken)
    {
        var batch = new List<RequestRecord>(MaxBatch);
        try
        {
            while (channel.Reader.WaitToReadAsync(stoppingToken).AsTask().GetAwaiter().GetResult())
            {
                Gather(stoppingToken);
                WriteAvailableAsync(batch).GetAwaiter().GetResult();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: store what is already queued.
            WriteAvailableAsync(batch).GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Waits up to <see cref="GatherTime"/> for more records, unless the first queued one is already that old: the
    /// timer is made before the clock is read, so time that passed while this thread was waking up is never waited
    /// for a second time.
    /// </summary>
    private void Gather(CancellationToken stoppingToken)
    {
        using var skip = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var delay = Task.Delay(GatherTime, time, skip.Token);
        if (channel.Reader.TryPeek(out var first) && first.Timestamp + GatherTime <= time.GetUtcNow())
        {
            skip.Cancel();
            return;
        }

        delay.GetAwaiter().GetResult();
    }

    private async Task WriteAvailableAsync(List<RequestRecord> batch)
    {
        while (true)
        {
            batch.Clear();
            while (batch.Count < MaxBatch && channel.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                await store.InsertRequestRecordsAsync(batch, CancellationToken.None);
                // The keys' last use comes from the stored records (in memory here, written once a minute).
                keyUsage?.Observe(batch);
                Interlocked.Add(ref _written, batch.Count);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                Failed += batch.Count;
                Log.WriteFailed(logger, batch.Count, ex.Message);
            }

            TaskCompletionSource done;
            lock (_gate)
            {
                done = _progress;
                _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            done.TrySetResult();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.RequestRecordsNotStored, LogLevel.Warning, "Could not store {Count} request records: {Reason}")]
        public static partial void WriteFailed(ILogger logger, int count, string reason);
    }
}
