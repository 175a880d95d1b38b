using System.Text.Json.Nodes;
using Tollgate.Studio.Data;
using Tollgate.Studio.Datasets;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Storage;
using Tollgate.Studio.WebServices;

namespace Tollgate.Studio.Experiments;

/// <summary>Experiments: create, update, run (each port's output kept for inspection), and the dataset lookups graphs need.</summary>
public sealed class ExperimentService
{
    private readonly StudioStore _store;
    private readonly DatasetService _datasets;
    private readonly ModuleRegistry _registry;
    private readonly StudioOptions _options;
    private readonly TimeProvider _time;

    public ExperimentService(StudioStore store, DatasetService datasets, ModuleRegistry registry, StudioOptions options, TimeProvider time)
    {
        _store = store;
        _datasets = datasets;
        _registry = registry;
        _options = options;
        _time = time;
    }

    public ModuleRegistry Registry => _registry;

    /// <summary>Checks a graph document; throws a 400 naming every problem.</summary>
    public ExperimentGraph Validate(JsonNode? json)
    {
        var problems = new List<GraphProblem>();
        return ExperimentGraph.Parse(json, _registry, problems)
            ?? throw new StudioError("BadArgument", problems.Select(p => new StudioErrorDetail("InvalidExperimentGraph", p.Message, p.Target)).ToArray());
    }

    public async Task<ExperimentRecord> CreateAsync(JsonNode? json, CancellationToken cancellationToken)
    {
        var graph = Validate(json);
        var now = _time.GetUtcNow();
        var record = new ExperimentRecord(StudioIds.New(), graph.Name, graph.ToJson().ToJsonString(), 1, now, now);
        await _store.InsertExperimentAsync(record, cancellationToken);
        return record;
    }

    public async Task<ExperimentRecord?> UpdateAsync(string id, JsonNode? json, CancellationToken cancellationToken)
    {
        var graph = Validate(json);
        return await _store.UpdateExperimentAsync(id, graph.Name, graph.ToJson().ToJsonString(), _time.GetUtcNow(), cancellationToken)
            ? await _store.GetExperimentAsync(id, cancellationToken)
            : null;
    }

    public Task<ExperimentRecord?> GetAsync(string id, CancellationToken cancellationToken) => _store.GetExperimentAsync(id, cancellationToken);

    public Task<IReadOnlyList<ExperimentRecord>> ListAsync(CancellationToken cancellationToken) => _store.ListExperimentsAsync(cancellationToken);

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => _store.DeleteExperimentAsync(id, cancellationToken);

    public ExperimentGraph Load(ExperimentRecord experiment) => ExperimentGraph.Load(experiment.GraphJson, _registry);

    /// <summary>The saved datasets a graph names, keyed by the name or id it uses.</summary>
    public async Task<IReadOnlyDictionary<string, DatasetRecord>> ResolveDatasetsAsync(ExperimentGraph graph, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, DatasetRecord>(StringComparer.Ordinal);
        foreach (var module in graph.Modules.Where(m => m.Definition.Name == ModuleRegistry.SavedDataset))
        {
            if (module.Parameters.TryGetValue("Dataset", out var value) && value is string name && !result.ContainsKey(name)
                && await _datasets.FindAsync(name, cancellationToken) is { } dataset)
            {
                result[name] = dataset;
            }
        }

        return result;
    }

    /// <summary>
    /// Runs the experiment on its saved datasets. Every module's output port is summarised (<see cref="PortStatistics"/>);
    /// a module that fails keeps its error and what it feeds does not run; other branches go on.
    /// </summary>
    public async Task<RunRecord> RunAsync(ExperimentRecord experiment, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var graph = Load(experiment);
        var compiled = CompiledGraph.Compile(graph, GraphMode.Experiment, await ResolveDatasetsAsync(graph, cancellationToken));
        var statistics = new Dictionary<PlanNode, PortStatistics>();
        var execution = new GraphExecution(compiled)
        {
            OnOutput = (node, batch, _) =>
            {
                if (!statistics.TryGetValue(node, out var stats))
                {
                    stats = new PortStatistics(node.OutputSchema!, _options.PreviewRows);
                    statistics[node] = stats;
                }

                stats.Add(batch);
                return ValueTask.CompletedTask;
            },
        };

        foreach (var source in compiled.Sources.ToArray())
        {
            try
            {
                await execution.PushAsync(source, _datasets.ReadAsync(source.Dataset!, DataBatch.DefaultSize, cancellationToken), cancellationToken);
            }
            catch (DataFormatException ex)
            {
                execution.Fail(source, ModuleErrors.InvalidDataset(ex.Message));
            }
            catch (FileNotFoundException)
            {
                execution.Fail(source, ModuleErrors.DatasetNotFound(source.Dataset!.Name));
            }
        }

        var failed = new HashSet<PlanNode>(execution.RuntimeErrors.Keys);
        var modules = new JsonArray();
        var anyFailed = false;
        foreach (var node in graph.Modules.Select(m => compiled.ById[m.Id]))
        {
            var error = node.Error ?? execution.RuntimeErrors.GetValueOrDefault(node);
            var upstreamFailed = node.Blocked || Upstream(node).Any(n => failed.Contains(n) || n.Error is not null);
            var status = !node.Active ? "NotRun" : error is not null ? "Failed" : upstreamFailed ? "NotRun" : "Finished";
            anyFailed |= status == "Failed";
            var entry = new JsonObject
            {
                ["id"] = node.Id,
                ["module"] = node.Module.Definition.Name,
                ["status"] = status,
                ["error"] = error is null ? null : new JsonObject { ["code"] = error.Code, ["message"] = error.FullMessage, ["parameter"] = error.ParameterName },
            };
            if (!node.Active)
            {
                entry["note"] = "Web service inputs take data only when the experiment runs as a web service.";
            }

            var outputs = new JsonArray();
            if (status == "Finished" && node.OutputSchema is not null)
            {
                var port = node.Kind == NodeKind.WebServiceOutput ? node.PortName! : node.Module.Definition.Outputs[0].Name;
                outputs.Add(statistics.TryGetValue(node, out var stats)
                    ? stats.ToJson(port)
                    : new PortStatistics(node.OutputSchema, 0).ToJson(port));
            }

            entry["outputs"] = outputs;
            modules.Add(entry);
        }

        var ended = _time.GetUtcNow();
        var runId = StudioIds.New();
        var result = new JsonObject
        {
            ["id"] = runId,
            ["experimentId"] = experiment.Id,
            ["experimentVersion"] = experiment.Version,
            ["status"] = anyFailed ? "Failed" : "Finished",
            ["started"] = started,
            ["ended"] = ended,
            ["modules"] = modules,
        };
        var run = new RunRecord(runId, experiment.Id, experiment.Version, anyFailed ? "Failed" : "Finished", result.ToJsonString(), started, ended);
        await _store.InsertRunAsync(run, cancellationToken);
        return run;
    }

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(string experimentId, CancellationToken cancellationToken) => _store.ListRunsAsync(experimentId, cancellationToken);

    public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken) => _store.GetRunAsync(runId, cancellationToken);

    private static IEnumerable<PlanNode> Upstream(PlanNode node)
    {
        for (var n = node.Input; n is not null; n = n.Input)
        {
            yield return n;
        }
    }
}
