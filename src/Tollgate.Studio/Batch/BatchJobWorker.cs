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
/// Runs started BES jobs in the background, <see cref="StudioOptions.BatchWorkers"/> at a time. Each input blob is
/// streamed (ranged reads) through the CSV reader and the graph in batches, and each output is streamed to its blob as
/// staged blocks, so memory does not grow with the file. A job still <c>Running</c> when the process stops is run again
/// from the start when the process comes back (outputs are overwritten).
/// </summary>
public sealed partial class BatchJobWorker : BackgroundService
{
    private const int CellsPerBatch = 1 << 20;
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();
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
    }

    public void Enqueue(string jobId) => _queue.Writer.TryWrite(jobId);

    /// <summary>Stops a running job (its status was already set to Cancelled).</summary>
    public void Cancel(string jobId)
    {
        if (_running.TryGetValue(jobId, out var cts))
        {
            cts.Cancel();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var job in await _store.ListJobsAsync(JobStatus.Running, stoppingToken))
        {
            Log.Resuming(_logger, job.Id);
            Enqueue(job.Id);
        }

        var workers = Enumerable.Range(0, Math.Max(1, _options.BatchWorkers)).Select(_ => Task.Run(async () =>
        {
            await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await RunAsync(id, stoppingToken);
            }
        }, stoppingToken));
        try
        {
            await Task.WhenAll(workers);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: jobs still Running are resumed at the next start.
        }
    }

    private async Task RunAsync(string jobId, CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        _running[jobId] = cts;
        JobRecord? job = null;
        try
        {
            job = (await _store.ListJobsAsync(JobStatus.Running, stoppingToken)).FirstOrDefault(j => j.Id == jobId);
            if (job is null)
            {
                return; // cancelled before it ran
            }

            await ExecuteAsync(job, cts.Token);
            await _store.TransitionJobAsync(jobId, JobStatus.Running, JobStatus.Finished, _time.GetUtcNow(), resultsJson: "{}", cancellationToken: CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Log.Interrupted(_logger, jobId);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Log.Cancelled(_logger, jobId);
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
                Log.Failed(_logger, jobId, ex);
            }

            await _store.TransitionJobAsync(jobId, JobStatus.Running, JobStatus.Failed, _time.GetUtcNow(), details: details, cancellationToken: CancellationToken.None);
        }
        finally
        {
            _running.TryRemove(jobId, out _);
        }
    }

    private async Task ExecuteAsync(JobRecord job, CancellationToken cancellationToken)
    {
        var service = await _catalog.GetEndpointAsync(job.EndpointId, cancellationToken)
            ?? throw StudioError.NotFound("WebServiceNotFound", "The web service of this job no longer exists.");
        var request = JsonNode.Parse(job.RequestJson)!;
        var globalParameters = request["GlobalParameters"]!.AsObject().ToDictionary(kv => kv.Key, kv => (object?)(string?)kv.Value, StringComparer.Ordinal);
        var graph = service.Compile(globalParameters);
        ScoringService.ThrowIfErrors(graph);

        var writers = new Dictionary<string, (CsvBatchWriter Writer, Stream Stream)>(StringComparer.Ordinal);
        var outputBlobs = new Dictionary<string, (BlockBlobClient Blob, char Delimiter)>(StringComparer.Ordinal);
        var opened = new List<BlockBlobClient>();
        var completed = false;
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

                opened.Add(blob);
                outputBlobs[output.PortName!] = (blob, reference.Delimiter);
                if (!output.IsModelOutput && output.OutputSchema is { } schema)
                {
                    await OpenWriterAsync(output.PortName!, schema);
                }
            }

            // An output whose columns are known only when rows come (after a whole-dataset module) is opened at its first batch.
            async ValueTask OpenWriterAsync(string port, DataSchema schema)
            {
                var (blob, delimiter) = outputBlobs[port];
                var stream = await blob.OpenWriteAsync(true, new BlockBlobOpenWriteOptions { BufferSize = 4 * 1024 * 1024 }, cancellationToken);
                writers[port] = (new CsvBatchWriter(stream, schema, delimiter), stream);
            }

            // A training web service's model output: the trained model, written as one .ilearner blob (TrainedModelFile).
            var modelsWritten = new HashSet<string>(StringComparer.Ordinal);
            var execution = new GraphExecution(graph)
            {
                OnValue = async (node, _, value, ct) =>
                {
                    if (node.Kind != NodeKind.WebServiceOutput || value is not TrainedModel model || !modelsWritten.Add(node.PortName!))
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
                    buffer.Position = 0;
                    await outputBlobs[node.PortName!].Blob.UploadAsync(buffer, new BlobUploadOptions(), ct);
                },
                OnOutput = async (node, _, batch, ct) =>
                {
                    if (node.Kind != NodeKind.WebServiceOutput)
                    {
                        return;
                    }

                    if (!writers.ContainsKey(node.PortName!))
                    {
                        await OpenWriterAsync(node.PortName!, batch.Schema);
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

            foreach (var output in graph.Outputs.Where(o => o.IsModelOutput && !modelsWritten.Contains(o.PortName!)))
            {
                throw new StudioError("ModuleExecutionError", new StudioErrorDetail("ModuleExecutionError",
                    $"Output '{output.PortName}' received no trained model.", "Module: " + output.Input?.Module.Definition.Name));
            }

            foreach (var output in graph.Outputs.Where(o => !o.IsModelOutput && !writers.ContainsKey(o.PortName!)))
            {
                await OpenWriterAsync(output.PortName!, output.OutputSchema ?? new DataSchema());
            }

            foreach (var (writer, stream) in writers.Values)
            {
                await writer.CompleteAsync(cancellationToken);
                await stream.DisposeAsync();
            }

            completed = true;
        }
        finally
        {
            if (!completed)
            {
                // A failed or cancelled job leaves no partial output behind (opening an output creates it empty).
                foreach (var blob in opened)
                {
                    try
                    {
                        await blob.DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
                    }
                    catch (Exception ex) when (StorageAccess.IsUnreachable(ex) || ex is RequestFailedException)
                    {
                        // Best effort: the output may not be reachable any more.
                    }
                }
            }

            foreach (var (writer, _) in writers.Values)
            {
                await writer.DisposeAsync();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.BesJobResumed, LogLevel.Information, "BES job {JobId} was running when the process stopped; running it again.")]
        public static partial void Resuming(ILogger logger, string jobId);

        [LoggerMessage(EventIds.BesJobInterrupted, LogLevel.Information, "BES job {JobId} interrupted by shutdown; it will run again at the next start.")]
        public static partial void Interrupted(ILogger logger, string jobId);

        [LoggerMessage(EventIds.BesJobCancelled, LogLevel.Information, "BES job {JobId} cancelled.")]
        public static partial void Cancelled(ILogger logger, string jobId);

        [LoggerMessage(EventIds.BesJobFailed, LogLevel.Error, "BES job {JobId} failed unexpectedly.")]
        public static partial void Failed(ILogger logger, string jobId, Exception exception);
    }
}
