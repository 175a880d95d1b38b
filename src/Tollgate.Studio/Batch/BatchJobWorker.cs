using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.Studio.Data;
using Tollgate.Studio.Datasets;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Storage;
using Tollgate.Studio.WebServices;
using Tollgate.ServiceDefaults;

namespace Tollgate.Studio.Batch;

/// <summary>
/// Observation points of running jobs, for tests that must hold a job in <c>Running</c> (cancel, restart) without
/// sleeping. Not registered in production.
/// </summary>
public sealed class BatchJobHooks
{
    /// <summary>Called after each input batch went through the graph: job id, rows so far, the job's token.</summary>
    public Func<string, long, CancellationToken, ValueTask>? AfterBatch { get; set; }
}

/// <summary>
/// Runs started BES jobs in the background, <see cref="StudioOptions.BatchWorkers"/> at a time. A worker claims a job
/// from the store with a lease (<see cref="StudioStore.ClaimJobAsync"/>: any node of the store may take it), renews the
/// lease while it runs (the heartbeat, every third of <see cref="StudioOptions.JobLease"/>) and stops as soon as a renewal
/// fails: the job was cancelled (through any node) or another node took it over. A job whose node died is claimed again
/// once its lease ends and runs from the start. Each input blob is streamed (ranged reads) through the CSV reader and the
/// graph in batches, and each output is staged as uncommitted blocks (<see cref="StagedBlobWriter"/>), committed only
/// once the whole job succeeded and the lease was just renewed, so an output appears complete and once.
/// </summary>
public sealed partial class BatchJobWorker : BackgroundService
{
    private const int CellsPerBatch = 1 << 20;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly StudioStore _store;
    private readonly WebServiceCatalog _catalog;
    private readonly DatasetService _datasets;
    private readonly StudioOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<BatchJobWorker> _logger;
    private readonly BatchJobHooks? _hooks;
    private readonly StorageAccess _storage;

    public BatchJobWorker(StudioStore store, WebServiceCatalog catalog, DatasetService datasets, StudioOptions options, TimeProvider time,
        ILogger<BatchJobWorker> logger, IServiceProvider services, StorageAccess storage)
    {
        _storage = storage;
        _store = store;
        _catalog = catalog;
        _datasets = datasets;
        _options = options;
        _time = time;
        _logger = logger;
        _hooks = services.GetService<BatchJobHooks>();
        NodeId = string.IsNullOrWhiteSpace(options.NodeName)
            ? $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}"
            : options.NodeName.Trim();
    }

    /// <summary>This node's name in the store's job leases (<see cref="StudioOptions.NodeName"/>, else host/pid/random).</summary>
    public string NodeId { get; }

    /// <summary>A job was started: wakes a worker to claim it now rather than at its next poll.</summary>
    public void Enqueue(string jobId) => _wake.Writer.TryWrite(true);

    /// <summary>Stops a job if it runs here (its status was already set to Cancelled; another node sees it at its next heartbeat).</summary>
    public void Cancel(string jobId)
    {
        if (_running.TryGetValue(jobId, out var cts))
        {
            cts.Cancel();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_store.SingleNode)
        {
            // One process per store: a job left Running with a lease was this store's previous process's.
            foreach (var job in await _store.ListJobsAsync(JobStatus.Running, stoppingToken))
            {
                Log.Resuming(_logger, job.Id);
            }

            await _store.ReleaseAllJobLeasesAsync(stoppingToken);
        }

        var workers = Enumerable.Range(0, Math.Max(1, _options.BatchWorkers)).Select(_ => Task.Run(() => ClaimLoopAsync(stoppingToken), stoppingToken));
        try
        {
            await Task.WhenAll(workers);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the jobs running here were given back (or their leases end), and another node or the next start runs them.
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            JobRecord? job = null;
            try
            {
                job = await _store.ClaimJobAsync(NodeId, _time.GetUtcNow(), _options.JobLease, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The store is unreachable: try again at the next poll.
                Log.ClaimFailed(_logger, ex);
            }

            if (job is not null)
            {
                try
                {
                    await RunAsync(job, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Recording the job's end failed (the store went away): its lease runs out and it is claimed again.
                    Log.Failed(_logger, job.Id, ex);
                }

                continue;
            }

            using var interval = new CancellationTokenSource(_options.JobPollInterval, _time);
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, interval.Token);
            try
            {
                await _wake.Reader.ReadAsync(poll.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The poll interval passed: look in the store again (a job started on another node, or a lease ended).
            }
        }
    }

    private async Task RunAsync(JobRecord job, CancellationToken stoppingToken)
    {
        var lease = new JobLease(job.Id, NodeId, job.Attempt);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var heartbeatStop = new CancellationTokenSource();
        _running[job.Id] = cts;
        var lost = false;
        Log.Claimed(_logger, job.Id, job.Attempt);
        var heartbeat = HeartbeatAsync(lease, () => { lost = true; cts.Cancel(); }, heartbeatStop.Token);
        try
        {
            await ExecuteAsync(job, lease, cts.Token);
            if (!await _store.TransitionJobAsync(job.Id, JobStatus.Running, JobStatus.Finished, _time.GetUtcNow(), resultsJson: "{}", cancellationToken: CancellationToken.None, lease: lease))
            {
                Log.LeaseLost(_logger, job.Id, job.Attempt);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Log.Interrupted(_logger, job.Id);
            await TryAsync(() => _store.ReleaseJobAsync(lease, CancellationToken.None));
        }
        catch (OperationCanceledException) when (lost)
        {
            var current = await TryAsync(() => _store.GetJobAsync(job.EndpointId, job.Id, CancellationToken.None));
            if (current?.Status == JobStatus.Cancelled)
            {
                Log.Cancelled(_logger, job.Id);
            }
            else
            {
                Log.LeaseLost(_logger, job.Id, job.Attempt);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Log.Cancelled(_logger, job.Id);
        }
        catch (Exception ex)
        {
            var details = ex switch
            {
                StudioError e => string.Join("; ", e.Details.Select(d => (d.Target is null ? "" : $"{d.Target}: ") + $"{d.Code}: {d.Message}")),
                DataFormatException e => "InputParseError: the input is not valid CSV/TSV for the web service's columns. " + e.Message,
                RequestFailedException { Status: 404 } e => $"BlobNotFound: a blob or container was not found ({e.ErrorCode}).",
                RequestFailedException { Status: 401 or 403 } e => $"InvalidBlobConnectionString: the storage account refused access ({e.ErrorCode}).",
                _ when StorageAccess.IsUnreachable(ex) => "InvalidBlob: " + StorageAccess.UnreachableMessage("the job's blobs"),
                _ => "InternalError: " + ex.Message,
            };
            if (ex is not (StudioError or DataFormatException or RequestFailedException) && !StorageAccess.IsUnreachable(ex))
            {
                Log.Failed(_logger, job.Id, ex);
            }

            await _store.TransitionJobAsync(job.Id, JobStatus.Running, JobStatus.Failed, _time.GetUtcNow(), details: details, cancellationToken: CancellationToken.None, lease: lease);
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
            _running.TryRemove(job.Id, out _);
        }
    }

    /// <summary>
    /// Renews the lease every third of <see cref="StudioOptions.JobLease"/> until stopped; calls <paramref name="lost"/> once
    /// the claim no longer holds the job (cancelled, deleted, taken over), or when the store could not be reached for a
    /// whole lease (another node may have taken the job by then).
    /// </summary>
    private async Task HeartbeatAsync(JobLease lease, Action lost, CancellationToken stop)
    {
        var renewedUntil = _time.GetUtcNow() + _options.JobLease;
        while (true)
        {
            try
            {
                await Task.Delay(_options.JobLease / 3, _time, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var now = _time.GetUtcNow();
            try
            {
                if (!await _store.RenewJobLeaseAsync(lease, now + _options.JobLease, stop))
                {
                    lost();
                    return;
                }

                renewedUntil = now + _options.JobLease;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.HeartbeatFailed(_logger, lease.JobId, ex);
                if (_time.GetUtcNow() >= renewedUntil)
                {
                    lost();
                    return;
                }
            }
        }
    }

    private static async Task<T?> TryAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Best effort: the store is unreachable, and the lease ends by itself.
            return default;
        }
    }

    private async Task ExecuteAsync(JobRecord job, JobLease lease, CancellationToken cancellationToken)
    {
        var service = await _catalog.GetEndpointAsync(job.EndpointId, cancellationToken)
            ?? throw StudioError.NotFound("WebServiceNotFound", "The web service of this job no longer exists.");
        var request = JsonNode.Parse(job.RequestJson)!;
        var globalParameters = request["GlobalParameters"]!.AsObject().ToDictionary(kv => kv.Key, kv => (object?)(string?)kv.Value, StringComparer.Ordinal);
        var graph = service.Compile(globalParameters);
        ScoringService.ThrowIfErrors(graph);

        var writers = new Dictionary<string, (CsvBatchWriter Writer, StagedBlobWriter Stream)>(StringComparer.Ordinal);
        var outputBlobs = new Dictionary<string, (BlockBlobClient Blob, char Delimiter)>(StringComparer.Ordinal);
        var models = new Dictionary<string, StagedBlobWriter>(StringComparer.Ordinal);
        try
        {
            foreach (var output in graph.Outputs)
            {
                var reference = BlobReference.FromJson(request["Outputs"]![output.PortName!]!);
                var blob = reference.ToClient(output.PortName!, isOutput: true, _storage, service.ExtensionsOf(output.PortName!));
                if (!reference.UsesSas)
                {
                    await blob.GetParentBlobContainerClient().CreateIfNotExistsAsync(cancellationToken: cancellationToken);
                }

                outputBlobs[output.PortName!] = (blob, reference.Delimiter);
                if (!output.IsModelOutput && output.OutputSchema is { } schema)
                {
                    OpenWriter(output.PortName!, schema);
                }
            }

            // An output whose columns are known only when rows come (after a whole-dataset module) is opened at its first batch.
            void OpenWriter(string port, DataSchema schema)
            {
                var (blob, delimiter) = outputBlobs[port];
                var stream = new StagedBlobWriter(blob, lease.Attempt);
                writers[port] = (new CsvBatchWriter(stream, schema, delimiter), stream);
            }

            // A training web service's model output: the trained model, written as one .ilearner blob (TrainedModelFile).
            var execution = new GraphExecution(graph)
            {
                OnValue = async (node, _, value, ct) =>
                {
                    if (node.Kind != NodeKind.WebServiceOutput || value is not TrainedModel model || models.ContainsKey(node.PortName!))
                    {
                        return;
                    }

                    if (model.Onnx is not null)
                    {
                        throw new StudioError("ModuleExecutionError", new StudioErrorDetail("ModuleExecutionError",
                            $"Output '{node.PortName}' receives an ONNX model, which is not written as an .ilearner: a training web service returns a model Train Model trained.",
                            "Module: " + node.Input?.Module.Definition.Name));
                    }

                    using var buffer = new MemoryStream();
                    TrainedModelFile.Save(model, buffer);
                    var staged = new StagedBlobWriter(outputBlobs[node.PortName!].Blob, lease.Attempt);
                    await staged.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct);
                    models[node.PortName!] = staged;
                },
                OnOutput = async (node, _, batch, ct) =>
                {
                    if (node.Kind != NodeKind.WebServiceOutput)
                    {
                        return;
                    }

                    if (!writers.ContainsKey(node.PortName!))
                    {
                        OpenWriter(node.PortName!, batch.Schema);
                    }

                    await writers[node.PortName!].Writer.WriteAsync(batch, ct);
                },
            };
            await execution.StartAsync(cancellationToken);
            // Rows per batch so that the widest table in the graph stays about CellsPerBatch cells (1024 hashed columns →
            // ~1,000 rows), which bounds the memory of a batch whatever the bitsize.
            var widest = Math.Max(1, graph.Nodes.Where(n => n.Active && n.OutputSchema is not null).Max(n => n.OutputSchema!.Count));
            var batchSize = Math.Clamp(CellsPerBatch / widest, 64, Math.Max(64, _options.BatchSize));
            long rows = 0;
            foreach (var source in graph.Sources)
            {
                if (source.Kind == NodeKind.SavedDataset)
                {
                    await execution.PushAsync(source, _datasets.ReadAsync(source.Dataset!, batchSize, cancellationToken), cancellationToken);
                    continue;
                }

                var reference = BlobReference.FromJson(request["Inputs"]![source.PortName!]!);
                var blob = reference.ToClient(source.PortName!, isOutput: false, _storage);
                var input = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = 4 * 1024 * 1024 }, cancellationToken);
                var options = new DelimitedTextOptions
                {
                    Delimiter = reference.Delimiter,
                    Schema = source.OutputSchema,
                    IgnoreExtraColumns = true,
                    BatchSize = batchSize,
                };
                await using var reader = await DelimitedTextReader.OpenStreamAsync(input, options, cancellationToken);
                await foreach (var batch in reader.ReadBatchesAsync(cancellationToken))
                {
                    await execution.PushAsync(source, batch, cancellationToken);
                    rows += batch.RowCount;
                    if (_hooks?.AfterBatch is { } hook)
                    {
                        await hook(job.Id, rows, cancellationToken);
                    }
                }

                await execution.CompleteAsync(source, cancellationToken);
            }

            var failure = execution.RuntimeErrors.FirstOrDefault();
            if (failure.Key is not null)
            {
                throw new StudioError("ModuleExecutionError", new StudioErrorDetail("ModuleExecutionError", failure.Value.FullMessage, "Module: " + failure.Key.Module.Definition.Name));
            }

            foreach (var output in graph.Outputs.Where(o => o.IsModelOutput && !models.ContainsKey(o.PortName!)))
            {
                throw new StudioError("ModuleExecutionError", new StudioErrorDetail("ModuleExecutionError",
                    $"Output '{output.PortName}' received no trained model.", "Module: " + output.Input?.Module.Definition.Name));
            }

            foreach (var output in graph.Outputs.Where(o => !o.IsModelOutput && !writers.ContainsKey(o.PortName!)))
            {
                OpenWriter(output.PortName!, output.OutputSchema ?? new DataSchema());
            }

            foreach (var (writer, _) in writers.Values)
            {
                await writer.CompleteAsync(cancellationToken);
            }

            // The commit: only while this claim holds the job, with a lease just renewed, so a node that lost the job (or
            // was cancelled) never makes its outputs visible. Until here nothing was committed: a failed, cancelled or
            // interrupted job leaves the output blobs as they were.
            if (!await _store.RenewJobLeaseAsync(lease, _time.GetUtcNow() + _options.JobLease, cancellationToken))
            {
                throw new OperationCanceledException("The job's lease was lost before its outputs were committed.");
            }

            foreach (var staged in writers.Values.Select(w => w.Stream).Concat(models.Values))
            {
                await staged.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            foreach (var (writer, _) in writers.Values)
            {
                await writer.DisposeAsync();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.BesJobClaimed, LogLevel.Information, "BES job {JobId} claimed by this node (attempt {Attempt}).")]
        public static partial void Claimed(ILogger logger, string jobId, int attempt);

        [LoggerMessage(EventIds.BesJobLeaseLost, LogLevel.Warning, "BES job {JobId}: attempt {Attempt} lost its lease (another node took the job over); this node stopped it and wrote nothing.")]
        public static partial void LeaseLost(ILogger logger, string jobId, int attempt);

        [LoggerMessage(EventIds.BesJobClaimFailed, LogLevel.Warning, "Could not claim BES jobs from the store; trying again at the next poll.")]
        public static partial void ClaimFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventIds.BesJobHeartbeatFailed, LogLevel.Warning, "BES job {JobId}: the lease could not be renewed; the job stops if the store stays unreachable for the whole lease.")]
        public static partial void HeartbeatFailed(ILogger logger, string jobId, Exception exception);

        [LoggerMessage(EventIds.BesJobResumed, LogLevel.Information, "BES job {JobId} was running when the process stopped; it is claimed again.")]
        public static partial void Resuming(ILogger logger, string jobId);

        [LoggerMessage(EventIds.BesJobInterrupted, LogLevel.Information, "BES job {JobId} interrupted by shutdown; its lease was given back, so another node (or the next start) runs it again.")]
        public static partial void Interrupted(ILogger logger, string jobId);

        [LoggerMessage(EventIds.BesJobCancelled, LogLevel.Information, "BES job {JobId} cancelled.")]
        public static partial void Cancelled(ILogger logger, string jobId);

        [LoggerMessage(EventIds.BesJobFailed, LogLevel.Error, "BES job {JobId} failed unexpectedly.")]
        public static partial void Failed(ILogger logger, string jobId, Exception exception);
    }
}
