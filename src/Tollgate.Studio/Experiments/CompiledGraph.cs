using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.FeatureHashing;
using Tollgate.Studio.Storage;

namespace Tollgate.Studio.Experiments;

/// <summary>How a graph runs: as an experiment (data from saved datasets) or as a web service (request rows).</summary>
public enum GraphMode
{
    /// <summary>Saved datasets are the sources; Web service inputs are not used.</summary>
    Experiment,

    /// <summary>Web service inputs replace the data on the ports they share; only what feeds a Web service output runs.</summary>
    Scoring,
}

/// <summary>What a node does.</summary>
public enum NodeKind
{
    SavedDataset,
    WebServiceInput,
    Transform,
    WebServiceOutput,
}

/// <summary>A module of a compiled graph: its input, output schema and compile-time error.</summary>
public sealed class PlanNode
{
    internal PlanNode(GraphModule module, NodeKind kind, string? portName)
    {
        Module = module;
        Kind = kind;
        PortName = portName;
    }

    public GraphModule Module { get; }

    public string Id => Module.Id;

    public NodeKind Kind { get; }

    /// <summary>The request/response name of a Web service input or output.</summary>
    public string? PortName { get; }

    /// <summary>Whether the node takes part in this mode.</summary>
    public bool Active { get; internal set; }

    /// <summary>The node feeding this one, in this mode.</summary>
    public PlanNode? Input { get; internal set; }

    /// <summary>The active nodes fed by this one.</summary>
    public List<PlanNode> Children { get; } = [];

    /// <summary>The schema of the node's output (for a Web service output: of what it returns).</summary>
    public DataSchema? OutputSchema { get; internal set; }

    /// <summary>The error found when compiling (parameters, columns, missing input).</summary>
    public ModuleError? Error { get; internal set; }

    /// <summary>True when an upstream node failed, so this one cannot run.</summary>
    public bool Blocked { get; internal set; }

    /// <summary>The saved dataset of a <see cref="NodeKind.SavedDataset"/> node.</summary>
    public DatasetRecord? Dataset { get; internal set; }

    internal Func<DataSchema, BatchTransformModule>? Factory { get; set; }

    public bool IsSource => Kind is NodeKind.SavedDataset or NodeKind.WebServiceInput;

    /// <summary>Whether the node can run: active, no error, not blocked.</summary>
    public bool Runnable => Active && Error is null && !Blocked;
}

/// <summary>
/// A graph bound to its data for one mode: parameters bound (with web service parameter overrides), saved datasets
/// resolved, schemas propagated from sources to outputs, and every module error found before any row is read.
/// </summary>
public sealed class CompiledGraph
{
    private CompiledGraph(ExperimentGraph graph, GraphMode mode, IReadOnlyList<PlanNode> nodes)
    {
        Graph = graph;
        Mode = mode;
        Nodes = nodes;
        ById = nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
    }

    public ExperimentGraph Graph { get; }

    public GraphMode Mode { get; }

    /// <summary>Every module, in topological order (inactive ones included).</summary>
    public IReadOnlyList<PlanNode> Nodes { get; }

    public IReadOnlyDictionary<string, PlanNode> ById { get; }

    /// <summary>The active sources that can run.</summary>
    public IEnumerable<PlanNode> Sources => Nodes.Where(n => n.IsSource && n.Runnable);

    /// <summary>The active Web service outputs.</summary>
    public IEnumerable<PlanNode> Outputs => Nodes.Where(n => n.Active && n.Kind == NodeKind.WebServiceOutput);

    /// <summary>The active Web service inputs.</summary>
    public IEnumerable<PlanNode> Inputs => Nodes.Where(n => n.Active && n.Kind == NodeKind.WebServiceInput);

    /// <summary>The compile errors of active nodes, in order.</summary>
    public IEnumerable<(PlanNode Node, ModuleError Error)> Errors => Nodes.Where(n => n.Active && n.Error is not null).Select(n => (n, n.Error!));

    /// <summary>Compiles <paramref name="graph"/>.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="mode">Experiment or scoring.</param>
    /// <param name="datasets">Saved datasets by the name or id the graph uses (missing ones give Error 0003).</param>
    /// <param name="overrides">Parameter values that replace the graph's, by module id then parameter name (GlobalParameters).</param>
    public static CompiledGraph Compile(ExperimentGraph graph, GraphMode mode, IReadOnlyDictionary<string, DatasetRecord> datasets,
        IReadOnlyDictionary<string, Dictionary<string, object?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(datasets);
        var order = graph.TopologicalOrder() ?? throw new InvalidOperationException("The graph has a cycle.");
        var nodes = new Dictionary<string, PlanNode>(StringComparer.Ordinal);
        foreach (var module in graph.Modules)
        {
            var kind = module.Definition.Name switch
            {
                ModuleRegistry.SavedDataset => NodeKind.SavedDataset,
                ModuleRegistry.WebServiceInput => NodeKind.WebServiceInput,
                ModuleRegistry.WebServiceOutput => NodeKind.WebServiceOutput,
                _ => NodeKind.Transform,
            };
            nodes[module.Id] = new PlanNode(module, kind, graph.PortNames.GetValueOrDefault(module.Id));
        }

        // The input of each node in this mode: a Web service input wins over data in scoring mode and is ignored otherwise.
        foreach (var node in nodes.Values)
        {
            var incoming = graph.Into(node.Id).Select(c => nodes[c.From]).ToArray();
            var webInput = incoming.FirstOrDefault(n => n.Kind == NodeKind.WebServiceInput);
            var data = incoming.FirstOrDefault(n => n.Kind != NodeKind.WebServiceInput);
            node.Input = mode == GraphMode.Scoring ? webInput ?? data : data;
        }

        if (mode == GraphMode.Experiment)
        {
            foreach (var node in nodes.Values)
            {
                node.Active = node.Kind != NodeKind.WebServiceInput;
            }
        }
        else
        {
            var stack = new Stack<PlanNode>(nodes.Values.Where(n => n.Kind == NodeKind.WebServiceOutput));
            while (stack.TryPop(out var node))
            {
                if (!node.Active)
                {
                    node.Active = true;
                    if (node.Input is not null)
                    {
                        stack.Push(node.Input);
                    }
                }
            }
        }

        foreach (var id in order)
        {
            var node = nodes[id];
            if (!node.Active)
            {
                continue;
            }

            if (node.Input is { Active: true } input)
            {
                input.Children.Add(node);
            }

            var values = new Dictionary<string, object?>(node.Module.Parameters, StringComparer.OrdinalIgnoreCase);
            if (overrides is not null && overrides.TryGetValue(id, out var replaced))
            {
                foreach (var (key, value) in replaced)
                {
                    values[key] = value;
                }
            }

            ModuleParameterValues parameters;
            try
            {
                parameters = node.Module.Definition.Bind(values);
            }
            catch (StudioModuleException ex)
            {
                node.Error = ex.Error;
                continue;
            }

            switch (node.Kind)
            {
                case NodeKind.SavedDataset:
                    var name = parameters.GetString("Dataset");
                    if (datasets.TryGetValue(name, out var dataset))
                    {
                        node.Dataset = dataset;
                        node.OutputSchema = dataset.Schema;
                    }
                    else
                    {
                        node.Error = ModuleErrors.DatasetNotFound(name);
                    }

                    break;
                case NodeKind.WebServiceInput:
                    if (graph.InputSchemas.TryGetValue(node.PortName!, out var schema))
                    {
                        node.OutputSchema = schema;
                    }
                    else
                    {
                        node.Error = new ModuleError("0003", $"The columns of web service input \"{node.PortName}\" are not known.");
                    }

                    break;
                default:
                    if (node.Input is null)
                    {
                        node.Error = ModuleErrors.InputNullOrEmpty(node.Module.Definition.Inputs[0].Name);
                        break;
                    }

                    if (!node.Input.Runnable || node.Input.OutputSchema is null)
                    {
                        node.Blocked = true;
                        break;
                    }

                    if (node.Kind == NodeKind.WebServiceOutput)
                    {
                        node.OutputSchema = node.Input.OutputSchema;
                        break;
                    }

                    var factory = ModuleFactory.For(node.Module.Definition, parameters);
                    try
                    {
                        node.OutputSchema = factory(node.Input.OutputSchema).OutputSchema;
                        node.Factory = factory;
                    }
                    catch (StudioModuleException ex)
                    {
                        node.Error = ex.Error;
                    }
                    catch (StudioParameterOutOfRangeException ex)
                    {
                        node.Error = new ModuleError(ex.ErrorCode, ex.Message);
                    }

                    break;
            }
        }

        return new CompiledGraph(graph, mode, order.Select(id => nodes[id]).ToArray());
    }
}

/// <summary>Creates the runtime of the transform modules from their bound parameters.</summary>
public static class ModuleFactory
{
    /// <summary>A factory of instances of <paramref name="definition"/> for a given input schema.</summary>
    /// <exception cref="NotSupportedException">The module is not a transform.</exception>
    public static Func<DataSchema, BatchTransformModule> For(ModuleDefinition definition, ModuleParameterValues parameters) => definition.Name switch
    {
        ModuleRegistry.SelectColumnsInDataset => schema => new SelectColumnsModule(schema, parameters),
        ModuleRegistry.FeatureHashing => schema => new FeatureHashingModule(schema, parameters),
        _ => throw new NotSupportedException($"Module '{definition.Name}' is not a transform."),
    };
}

/// <summary>
/// One execution of a compiled graph. Batches are pushed from a source down the tree of its children, batch by batch,
/// so a stream of any length passes through in constant memory. Module instances belong to this execution.
/// </summary>
public sealed class GraphExecution
{
    private readonly Dictionary<PlanNode, BatchTransformModule> _instances = [];
    private readonly HashSet<PlanNode> _failed = [];

    public GraphExecution(CompiledGraph graph)
    {
        Graph = graph ?? throw new ArgumentNullException(nameof(graph));
    }

    public CompiledGraph Graph { get; }

    /// <summary>Called with every batch a node outputs (sources included).</summary>
    public Func<PlanNode, DataBatch, CancellationToken, ValueTask>? OnOutput { get; set; }

    /// <summary>Errors raised while rows ran, by node.</summary>
    public Dictionary<PlanNode, ModuleError> RuntimeErrors { get; } = [];

    /// <summary>Pushes every batch of <paramref name="batches"/> from <paramref name="source"/> through the graph.</summary>
    public async Task PushAsync(PlanNode source, IAsyncEnumerable<DataBatch> batches, CancellationToken cancellationToken)
    {
        await foreach (var batch in batches.WithCancellation(cancellationToken))
        {
            await PushAsync(source, batch, cancellationToken);
        }
    }

    /// <summary>Pushes one batch output by <paramref name="node"/>.</summary>
    public async ValueTask PushAsync(PlanNode node, DataBatch batch, CancellationToken cancellationToken)
    {
        if (_failed.Contains(node))
        {
            return;
        }

        if (OnOutput is not null)
        {
            await OnOutput(node, batch, cancellationToken);
        }

        foreach (var child in node.Children)
        {
            if (!child.Runnable || _failed.Contains(child))
            {
                continue;
            }

            DataBatch output;
            try
            {
                output = child.Kind == NodeKind.WebServiceOutput ? batch : Instance(child).Transform(batch);
            }
            catch (StudioModuleException ex)
            {
                Fail(child, ex.Error);
                continue;
            }
            catch (StudioParameterOutOfRangeException ex)
            {
                Fail(child, new ModuleError(ex.ErrorCode, ex.Message));
                continue;
            }

            await PushAsync(child, output, cancellationToken);
        }
    }

    /// <summary>Records a runtime error of <paramref name="node"/>; it and what it feeds get no more rows.</summary>
    public void Fail(PlanNode node, ModuleError error)
    {
        _failed.Add(node);
        RuntimeErrors.TryAdd(node, error);
    }

    private BatchTransformModule Instance(PlanNode node)
    {
        if (!_instances.TryGetValue(node, out var instance))
        {
            instance = node.Factory!(node.Input!.OutputSchema!);
            _instances[node] = instance;
        }

        return instance;
    }
}
