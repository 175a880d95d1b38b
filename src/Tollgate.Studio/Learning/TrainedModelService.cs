using System.Collections.Concurrent;
using Tollgate.Security;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Storage;

namespace Tollgate.Studio.Learning;

/// <summary>
/// The workspace's trained models: every Train Model output of an experiment run is saved as
/// <c>{experiment} [trained model]</c> (several Train Models: <c>{experiment} [trained model: {module id}]</c>), a new
/// version per run, in <c>models/{id}.zip</c> of the <see cref="StudioFileStore"/> (<see cref="TrainedModelFile"/>). Imported
/// ONNX models (kind <c>Onnx</c>) are kept as uploaded, in <c>models/{id}/model.onnx</c>. A name finds the latest version;
/// an id one version for good, which is what a published service keeps.
/// </summary>
public sealed class TrainedModelService
{
    private readonly StudioStore _store;
    private readonly TimeProvider _time;
    private readonly StudioFileStore _files;
    private readonly long _maxOnnxBytes;
    private readonly ConcurrentDictionary<string, TrainedModel> _loaded = new(StringComparer.Ordinal);

    public TrainedModelService(StudioStore store, StudioFileStore files, StudioOptions options, TimeProvider time)
    {
        _store = store;
        _time = time;
        _files = files;
        _maxOnnxBytes = options.MaxOnnxModelBytes;
    }

    /// <summary>
    /// The name a trained model output (Train Model, Train Clustering Model, Tune Model Hyperparameters' Trained best
    /// model) of <paramref name="graph"/> is saved under: one name per experiment, or one per module when it has several.
    /// </summary>
    public static string NameFor(ExperimentGraph graph, string moduleId)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var trainers = graph.Modules.Count(m => m.Definition.Name is TrainModelModule.Name or TrainClusteringModelModule.Name or TuneModelHyperparametersModule.Name);
        return trainers <= 1 ? $"{graph.Name} [trained model]" : $"{graph.Name} [trained model: {moduleId}]";
    }

    public async Task<TrainedModelRecord> SaveAsync(TrainedModel model, string name, string experimentId, string runId, string moduleId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var id = StudioIds.New();
        var file = _files.Locate($"models/{id}.zip");
        using (var buffer = new MemoryStream())
        {
            TrainedModelFile.Save(model, buffer);
            await _files.WriteAsync(file, (stream, ct) => stream.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ct).AsTask(), cancellationToken);
        }

        var record = new TrainedModelRecord(id, name, model.LearnerName, model.Kind.ToString(), file, experimentId, runId, moduleId, _time.GetUtcNow());
        await _store.InsertTrainedModelAsync(record, cancellationToken);
        _loaded[id] = model;
        return record;
    }

    /// <summary>
    /// Stores an uploaded <c>.onnx</c> file as a trained model of kind <c>Onnx</c> (a new version when the name exists):
    /// copied up to <see cref="StudioOptions.MaxOnnxModelBytes"/>, then loaded with ONNX Runtime, so a file that is not a
    /// model is refused before anything is saved.
    /// </summary>
    /// <exception cref="OnnxModelTooLargeException">The file is larger than the limit.</exception>
    /// <exception cref="StudioModuleException">Error 0082 when the file is not an ONNX model; 0039 when its inputs cannot be fed from columns.</exception>
    public async Task<(TrainedModelRecord Record, TrainedModel Model)> ImportOnnxAsync(string name, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(content);
        var id = StudioIds.New();
        // A directory of its own: ONNX Runtime reads external tensor data only from beside the model, and beside it
        // there is nothing else.
        var file = _files.Locate($"models/{id}/model.onnx");
        var local = _files.PreparePath(file);
        var folder = Path.GetDirectoryName(local)!;
        TrainedModel? model = null;
        try
        {
            await using (var output = new FileStream(local, PrivateFiles.Options(FileMode.CreateNew, options: FileOptions.Asynchronous, bufferSize: 1 << 16)))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > _maxOnnxBytes)
                    {
                        throw new OnnxModelTooLargeException(_maxOnnxBytes);
                    }

                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }

            model = new TrainedModel(OnnxModel.Load(local));
            await _files.KeepPreparedAsync(file, cancellationToken);
            var record = new TrainedModelRecord(id, name, model.LearnerName, model.Kind.ToString(), file, "", "", "", _time.GetUtcNow());
            await _store.InsertTrainedModelAsync(record, cancellationToken);
            _loaded[id] = model;
            return (record, model);
        }
        catch
        {
            model?.Onnx?.Dispose();
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>Writes a trained model as ONNX: an imported model's own file, an ML.NET model converted (see <see cref="TrainedModel.ExportOnnx"/>).</summary>
    /// <exception cref="StudioModuleException">The model cannot be loaded or converted.</exception>
    public async Task ExportOnnxAsync(TrainedModelRecord record, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(destination);
        if (record.Kind == nameof(ModelKind.Onnx))
        {
            await using var file = await _files.OpenReadAsync(record.File, cancellationToken);
            await file.CopyToAsync(destination, cancellationToken);
            return;
        }

        using var buffer = new MemoryStream();
        Load(record).ExportOnnx(buffer);
        buffer.Position = 0;
        await buffer.CopyToAsync(destination, cancellationToken);
    }

    public Task<IReadOnlyList<TrainedModelRecord>> ListAsync(CancellationToken cancellationToken) => _store.ListTrainedModelsAsync(cancellationToken);

    public Task<TrainedModelRecord?> FindAsync(string idOrName, CancellationToken cancellationToken) => _store.FindTrainedModelAsync(idOrName, cancellationToken);

    /// <summary>The model of a record, loaded once per process (a saved model never changes).</summary>
    /// <exception cref="StudioModuleException">The file is not a trained model.</exception>
    public TrainedModel Load(TrainedModelRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _loaded.GetOrAdd(record.Id, _ =>
        {
            if (record.Kind == nameof(ModelKind.Onnx))
            {
                return new TrainedModel(OnnxModel.Load(_files.LocalPath(record.File)));
            }

            using var stream = File.OpenRead(_files.LocalPath(record.File));
            return TrainedModelFile.Load(stream);
        });
    }

    /// <summary>Whether the file of a trained model is there (a model loaded here once always is).</summary>
    public async Task<bool> ExistsAsync(TrainedModelRecord record, CancellationToken cancellationToken) =>
        _loaded.ContainsKey(record.Id) || await _files.ExistsAsync(record.File, cancellationToken);

    /// <summary>The trained models a graph names (Trained model modules), keyed by the name or id it uses; missing ones are left out.</summary>
    public async Task<IReadOnlyDictionary<string, TrainedModel>> ResolveAsync(ExperimentGraph graph, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var result = new Dictionary<string, TrainedModel>(StringComparer.Ordinal);
        foreach (var module in graph.Modules.Where(m => m.Definition.Name == ModuleRegistry.TrainedModel))
        {
            if (module.Parameters.TryGetValue(BuiltInModules.TrainedModelParameter, out var value) && value is string name && !result.ContainsKey(name)
                && await FindAsync(name, cancellationToken) is { } record && await ExistsAsync(record, cancellationToken))
            {
                result[name] = Load(record);
            }
        }

        return result;
    }
}

/// <summary>An uploaded ONNX file is larger than <see cref="StudioOptions.MaxOnnxModelBytes"/>.</summary>
public sealed class OnnxModelTooLargeException(long limit)
    : Exception($"The ONNX model is larger than the limit of {limit} bytes (Tollgate:Studio:MaxOnnxModelBytes).")
{
    public long Limit { get; } = limit;
}
