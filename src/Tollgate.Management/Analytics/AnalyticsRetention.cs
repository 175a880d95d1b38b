using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.ServiceDefaults;

namespace Tollgate.Management.Analytics;

/// <summary>
/// Deletes raw request records older than <see cref="AnalyticsOptions.RawRetention"/> and per-minute aggregates
/// older than <see cref="AnalyticsOptions.AggregateRetention"/>, at start and then every
/// <see cref="AnalyticsOptions.RetentionInterval"/>. Deletes go in small transactions so the writer never waits
/// long; gateways are not involved at all (they only hand records to the channel).
/// </summary>
public sealed partial class AnalyticsRetention(IAnalyticsStore store, AnalyticsOptions options, TimeProvider time, ILogger<AnalyticsRetention> logger) : BackgroundService
{
    /// <summary>Blocks of raw records deleted per transaction.</summary>
    private const int BlocksPerTransaction = 50;

    private long _passes;

    /// <summary>Retention passes completed so far.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Raised after each pass with what it deleted.</summary>
    public event Action<RetentionResult>? Completed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RetentionInterval, time);
        try
        {
            do
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
                {
                    Log.Failed(logger, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass: everything past its age is deleted when this returns.</summary>
    public async Task<RetentionResult> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        long blocks = 0, minutes = 0;
        int deleted;
        while ((deleted = await store.DeleteRequestRecordsBeforeAsync(now - options.RawRetention, BlocksPerTransaction, cancellationToken)) > 0)
        {
            blocks += deleted;
        }

        while ((deleted = await store.DeleteAggregatesBeforeAsync(now - options.AggregateRetention, cancellationToken)) > 0)
        {
            minutes += deleted;
        }

        var result = new RetentionResult(blocks, minutes);
        if (blocks > 0 || minutes > 0)
        {
            Log.Deleted(logger, blocks, options.RawRetention, minutes, options.AggregateRetention);
        }

        Interlocked.Increment(ref _passes);
        Completed?.Invoke(result);
        return result;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.RetentionDeleted, LogLevel.Information, "Request log retention: deleted {Blocks} raw record blocks older than {Raw} and {Minutes} aggregate rows older than {Aggregates}")]
        public static partial void Deleted(ILogger logger, long blocks, TimeSpan raw, long minutes, TimeSpan aggregates);

        [LoggerMessage(EventIds.RetentionFailed, LogLevel.Warning, "Request log retention failed, will try again: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);
    }
}

/// <summary>What one retention pass deleted.</summary>
public readonly record struct RetentionResult(long RawBlocks, long AggregateRows);
