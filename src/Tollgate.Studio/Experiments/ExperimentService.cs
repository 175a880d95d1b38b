using System.Text.Json.Nodes;
using Tollgate.Studio.Data;
using Tollgate.Studio.Datasets;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;
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
    private readonly TrainedModelService _models;

    public ExperimentService(StudioStore store, DatasetService datasets, ModuleRegistry registry, StudioOptions options, TimeProvider time, TrainedModelService models)
    {
        _store = store;
        _datasets = datasets;
        _models = models;
        _registry = registry;
        _options = options;
        _time = time;
    }

    public ModuleRegistry Registry => _registry;

    public TrainedModelService Models => _models;

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

    /// <summary>
    /// The parameter errors of each module, as a run would report them (a value out of range, a required one
    /// missing): saved experiments may hold them, as in Studio, and the canvas shows them under the fields.
    /// </summary>
    public IReadOnlyList<(string Module, ModuleError Error)> ParameterProblems(ExperimentRecord experiment) =>
        Load(experiment).Modules.SelectMany(m => m.Definition.Check(m.Parameters).Select(e => (m.Id, e))).ToList();

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
    /// Runs the experiment on its saved datasets. Every module's dataset outputs are summarised
    /// (<see cref="PortStatistics"/>), its other outputs described (a Train Model output is saved as a trained model of
    /// the workspace, <see cref="TrainedModelService"/>), and Evaluate Model's output carries the curves and matrices
    /// Studio's Visualize showed. A module that fails keeps its error and what it feeds does not run; other branches go on.
    /// </summary>
    public async Task<RunRecord> RunAsync(ExperimentRecord experiment, CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        var runId = StudioIds.New();
        var graph = Load(experiment);
        var compiled = CompiledGraph.Compile(graph, GraphMode.Experiment, await ResolveDatasetsAsync(graph, cancellationToken), null,
            await _models.ResolveAsync(graph, cancellationToken), _registry);
        var statistics = new Dictionary<(PlanNode, int), PortStatistics>();
        var values = new Dictionary<(PlanNode, int), JsonObject>();
        var evaluated = new Dictionary<(PlanNode, int), List<DataTable>>();
        var execution = new GraphExecution(compiled)
        {
            OnOutput = (node, port, batch, _) =>
            {
                if (!statistics.TryGetValue((node, port), out var stats))
                {
                    stats = new PortStatistics(batch.Schema, _options.PreviewRows);
                    statistics[(node, port)] = stats;
                }

                if (stats.Schema.Equals(batch.Schema))
                {
                    stats.Add(batch);
                }

                return ValueTask.CompletedTask;
            },
            OnTable = (node, port, table, _) =>
            {
                // Kept only where Evaluate Model reads it, for its curves.
                if (node.Children.Any(e => e.FromPort == port && e.To.Module.Definition.Name == EvaluateModelModule.Name))
                {
                    if (!evaluated.TryGetValue((node, port), out var tables))
                    {
                        evaluated[(node, port)] = tables = [];
                    }

                    tables.Add(table);
                }

                return ValueTask.CompletedTask;
            },
            OnValue = async (node, port, value, ct) =>
            {
                // A Web service output fed by Train Model (a training web service) shows the model it would return.
                var json = node.Kind == NodeKind.WebServiceOutput
                    ? new JsonObject { ["port"] = node.PortName, ["type"] = ModulePort.TrainedModel }
                    : new JsonObject { ["port"] = node.Module.Definition.Outputs[port].Name, ["type"] = node.Module.Definition.Outputs[port].DataType };
                switch (value)
                {
                    case UntrainedModel untrained:
                        json["learner"] = untrained.LearnerName;
                        json["kind"] = untrained.Kind.ToString();
                        break;
                    case TrainedModel trained:
                        json["learner"] = trained.LearnerName;
                        json["kind"] = trained.Kind.ToString();
                        json["label"] = trained.LabelName;
                        json["features"] = new JsonArray(trained.InputColumns.Select(c => (JsonNode)c).ToArray());
                        if (node.Kind == NodeKind.Table)
                        {
                            var saved = await _models.SaveAsync(trained, TrainedModelService.NameFor(graph, node.Id), experiment.Id, runId, node.Id, ct);
                            json["trainedModel"] = new JsonObject { ["id"] = saved.Id, ["name"] = saved.Name };
                        }

                        break;
                    case ITableTransformation transformation:
                        json["transformation"] = transformation.ModuleName;
                        break;
                }

                values[(node, port)] = json;
            },
        };

        await execution.StartAsync(cancellationToken);
        foreach (var source in compiled.Sources.ToArray())
        {
            try
            {
                await execution.PushAsync(source, _datasets.ReadAsync(source.Dataset!, DataBatch.DefaultSize, cancellationToken), cancellationToken);
            }
            catch (DataFormatException ex)
            {
                execution.Fail(source, ModuleErrors.InvalidDataset(ex.Message));
                await execution.CompleteAsync(source, cancellationToken);
            }
            catch (FileNotFoundException)
            {
                execution.Fail(source, ModuleErrors.DatasetNotFound(source.Dataset!.Name));
                await execution.CompleteAsync(source, cancellationToken);
            }
        }

        var modules = new JsonArray();
        var anyFailed = false;
        foreach (var node in graph.Modules.Select(m => compiled.ById[m.Id]))
        {
            var error = node.Error ?? execution.RuntimeErrors.GetValueOrDefault(node);
            var upstreamFailed = node.Blocked || node.Upstream().Any(n => execution.RuntimeErrors.ContainsKey(n) || n.Error is not null);
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
            if (status == "Finished")
            {
                var ports = node.Kind == NodeKind.WebServiceOutput ? 1 : node.Module.Definition.Outputs.Count;
                for (var port = 0; port < ports; port++)
                {
                    var name = node.Kind == NodeKind.WebServiceOutput ? node.PortName! : node.Module.Definition.Outputs[port].Name;
                    if (values.TryGetValue((node, port), out var value))
                    {
                        outputs.Add(value);
                    }
                    else if (statistics.TryGetValue((node, port), out var stats))
                    {
                        outputs.Add(stats.ToJson(name));
                    }
                    else if (node.OutputSchemas[port] is { } schema)
                    {
                        outputs.Add(new PortStatistics(schema, 0).ToJson(name));
                    }
                }

                if (node.Module.Definition.Name == EvaluateModelModule.Name && outputs.Count > 0)
                {
                    outputs[0]!["visualization"] = EvaluationJson.Visualize(node, evaluated);
                }
            }

            entry["outputs"] = outputs;
            modules.Add(entry);
        }

        var ended = _time.GetUtcNow();
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

    /// <summary>
    /// Set Up Web Service, as Studio (classic) did it: a new predictive experiment <c>{name} [Predictive Exp.]</c> where
    /// each Train Model is replaced by the trained model its last run saved (same module id, so its connections stay),
    /// the learners and Evaluate Model are removed, and each Score Model that scores with such a model gets a Web
    /// service input on its <c>Dataset</c> port and a Web service output on its <c>Scored dataset</c>, unless it has them.
    /// </summary>
    /// <exception cref="StudioError">400 when there is no Train Model, or the experiment has not run successfully.</exception>
    public async Task<ExperimentRecord> SetUpWebServiceAsync(ExperimentRecord experiment, CancellationToken cancellationToken)
    {
        var graph = Load(experiment);
        static StudioError Problem(string message, string? target = null) =>
            new("BadArgument", new StudioErrorDetail("InvalidExperimentGraph", message, target));
        var trainers = graph.Modules.Where(m => m.Definition.Name == TrainModelModule.Name).ToArray();
        if (trainers.Length == 0)
        {
            throw Problem("The experiment has no Train Model module: there is no trained model to publish. Publish it as it is (POST …/publish) instead.");
        }

        var models = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var trainer in trainers)
        {
            var name = TrainedModelService.NameFor(graph, trainer.Id);
            if (await _models.FindAsync(name, cancellationToken) is not { } saved || saved.ExperimentId != experiment.Id)
            {
                throw Problem($"Module '{trainer.Id}' (Train Model) has no trained model yet: run the experiment successfully first (POST …/experiments/{experiment.Id}/run).", trainer.Id);
            }

            models[trainer.Id] = saved.Id;
        }

        var removed = graph.Modules.Where(m => m.Definition.Outputs.Any(p => p.DataType == ModulePort.UntrainedModel)
            || m.Definition.Name == EvaluateModelModule.Name).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var modules = new JsonArray();
        foreach (var module in graph.Modules.Where(m => !removed.Contains(m.Id)))
        {
            modules.Add(models.TryGetValue(module.Id, out var modelId)
                ? new JsonObject
                {
                    ["id"] = module.Id,
                    ["module"] = ModuleRegistry.TrainedModel,
                    ["parameters"] = new JsonObject { [BuiltInModules.TrainedModelParameter] = modelId },
                }
                : new JsonObject { ["id"] = module.Id, ["module"] = module.Definition.Name, ["parameters"] = module.ParametersJson.DeepClone() });
        }

        var connections = graph.Connections.Where(c => !removed.Contains(c.From) && !removed.Contains(c.To)
            && !(models.ContainsKey(c.To))).ToList();
        var ids = graph.Modules.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        string NewId(string name)
        {
            var id = name;
            for (var n = 2; !ids.Add(id); n++)
            {
                id = name + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return id;
        }

        foreach (var score in graph.Modules.Where(m => m.Definition.Name == ScoreModelModule.Name
            && graph.Into(m.Id).Any(c => c.ToPort == "Trained model" && models.ContainsKey(c.From))))
        {
            if (!connections.Any(c => c.To == score.Id && c.ToPort == "Dataset" && graph.ById.TryGetValue(c.From, out var f) && ExperimentGraph.IsWebServiceInput(f)))
            {
                var input = NewId("webServiceInput");
                modules.Add(new JsonObject { ["id"] = input, ["module"] = ModuleRegistry.WebServiceInput });
                connections.Add(new GraphConnection(input, "Dataset", score.Id, "Dataset"));
            }

            if (!connections.Any(c => c.From == score.Id && graph.ById.TryGetValue(c.To, out var t) && ExperimentGraph.IsWebServiceOutput(t)))
            {
                var output = NewId("webServiceOutput");
                modules.Add(new JsonObject { ["id"] = output, ["module"] = ModuleRegistry.WebServiceOutput });
                connections.Add(new GraphConnection(score.Id, "Scored dataset", output, "Dataset"));
            }
        }

        var json = graph.ToJson();
        json["name"] = graph.Name + " [Predictive Exp.]";
        json["modules"] = modules;
        json["connections"] = new JsonArray(connections.Select(c => (JsonNode)new JsonObject
        {
            ["from"] = new JsonObject { ["module"] = c.From, ["port"] = c.FromPort },
            ["to"] = new JsonObject { ["module"] = c.To, ["port"] = c.ToPort },
        }).ToArray());
        json["webServiceParameters"] = new JsonArray(graph.WebServiceParameters.Where(p => !removed.Contains(p.ModuleId) && !models.ContainsKey(p.ModuleId))
            .Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["module"] = p.ModuleId, ["parameter"] = p.Parameter }).ToArray());
        return await CreateAsync(json, cancellationToken);
    }

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(string experimentId, CancellationToken cancellationToken) => _store.ListRunsAsync(experimentId, cancellationToken);

    public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken) => _store.GetRunAsync(runId, cancellationToken);
}
