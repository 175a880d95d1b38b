using Tollgate.Studio.Data;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.FeatureHashing;
using Tollgate.Studio.Modules.Tables;
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

    /// <summary>A saved trained model: its value is known before the run.</summary>
    TrainedModel,

    /// <summary>A whole-dataset module (<see cref="TableModule"/>): data modules, learners, Train / Score / Evaluate.</summary>
    Table,
}

/// <summary>A connection of a compiled graph: output port <see cref="FromPort"/> of <see cref="From"/> feeds input port <see cref="ToPort"/> of <see cref="To"/>.</summary>
public sealed record PlanEdge(PlanNode From, int FromPort, PlanNode To, int ToPort);

/// <summary>A module of a compiled graph: its inputs, output schemas and compile-time error.</summary>
public sealed class PlanNode
{
    private readonly DataSchema?[] _outputSchemas;

    internal PlanNode(GraphModule module, NodeKind kind, string? portName, TableModule? table)
    {
        Module = module;
        Kind = kind;
        PortName = portName;
        Table = table;
        InputEdges = new PlanEdge?[module.Definition.Inputs.Count];
        _outputSchemas = new DataSchema?[Math.Max(1, module.Definition.Outputs.Count)];
    }

    public GraphModule Module { get; }

    public string Id => Module.Id;

    public NodeKind Kind { get; }

    /// <summary>The request/response name of a Web service input or output.</summary>
    public string? PortName { get; }

    /// <summary>The runtime of a <see cref="NodeKind.Table"/> node.</summary>
    public TableModule? Table { get; }

    /// <summary>Whether the node takes part in this mode.</summary>
    public bool Active { get; internal set; }

    /// <summary>What feeds each input port in this mode (null: not connected).</summary>
    public PlanEdge?[] InputEdges { get; }

    /// <summary>The node feeding the first input port, in this mode.</summary>
    public PlanNode? Input => InputEdges.Length > 0 ? InputEdges[0]?.From : null;

    /// <summary>The active connections out of this node.</summary>
    public List<PlanEdge> Children { get; } = [];

    /// <summary>The schema of the first output (for a Web service output: of what it returns); null when known only at run time.</summary>
    public DataSchema? OutputSchema
    {
        get => _outputSchemas[0];
        internal set => _outputSchemas[0] = value;
    }

    /// <summary>The schema of each dataset output port; null when known only at run time (or not a dataset).</summary>
    public IReadOnlyList<DataSchema?> OutputSchemas => _outputSchemas;

    /// <summary>The error found when compiling (parameters, columns, missing input).</summary>
    public ModuleError? Error { get; internal set; }

    /// <summary>True when an upstream node failed, so this one cannot run.</summary>
    public bool Blocked { get; internal set; }

    /// <summary>The saved dataset of a <see cref="NodeKind.SavedDataset"/> node.</summary>
    public DatasetRecord? Dataset { get; internal set; }

    /// <summary>The value of a <see cref="NodeKind.TrainedModel"/> node.</summary>
    public TrainedModel? Model { get; internal set; }

    /// <summary>The bound parameters (null when they did not bind).</summary>
    public ModuleParameterValues? Parameters { get; internal set; }

    internal Func<DataSchema, BatchTransformModule>? Factory { get; set; }

    public bool IsSource => Kind is NodeKind.SavedDataset or NodeKind.WebServiceInput;

    /// <summary>Whether this is a Web service output fed by a trained model (a training web service's model output).</summary>
    public bool IsModelOutput => Kind == NodeKind.WebServiceOutput && InputEdges.Length > 0 && InputEdges[0] is { } edge
        && edge.From.Module.Definition.Outputs[edge.FromPort].DataType == ModulePort.TrainedModel;

    /// <summary>Whether the node can run: active, no error, not blocked.</summary>
    public bool Runnable => Active && Error is null && !Blocked;

    internal void SetOutputSchema(int port, DataSchema? schema) => _outputSchemas[port] = schema;

    /// <summary>The active nodes this one depends on, transitively.</summary>
    public IEnumerable<PlanNode> Upstream()
    {
        var seen = new HashSet<PlanNode>();
        var stack = new Stack<PlanNode>(InputEdges.Where(e => e is not null).Select(e => e!.From));
        while (stack.TryPop(out var node))
        {
            if (seen.Add(node))
            {
                yield return node;
                foreach (var edge in node.InputEdges.Where(e => e is not null))
                {
                    stack.Push(edge!.From);
                }
            }
        }
    }
}

/// <summary>
/// A graph bound to its data for one mode: parameters bound (with web service parameter overrides), saved datasets
/// and trained models resolved, schemas propagated from sources to outputs as far as they are known before any row is
/// read (a whole-dataset module's output is known only when it runs, unless it follows from its inputs), and every
/// module error found up front.
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

    /// <summary>The active sources of rows that can run.</summary>
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
    /// <param name="models">Saved trained models by the name or id the graph uses (missing ones give Error 0003).</param>
    /// <param name="registry">The palette holding the runtime of whole-dataset modules (default: the built-ins).</param>
    public static CompiledGraph Compile(ExperimentGraph graph, GraphMode mode, IReadOnlyDictionary<string, DatasetRecord> datasets,
        IReadOnlyDictionary<string, Dictionary<string, object?>>? overrides = null, IReadOnlyDictionary<string, TrainedModel>? models = null,
        ModuleRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(datasets);
        registry ??= DefaultRegistry.Value;
        var order = graph.TopologicalOrder() ?? throw new InvalidOperationException("The graph has a cycle.");
        var nodes = new Dictionary<string, PlanNode>(StringComparer.Ordinal);
        foreach (var module in graph.Modules)
        {
            var table = registry.FindTable(module.Definition.Name);
            var kind = module.Definition.Name switch
            {
                ModuleRegistry.SavedDataset => NodeKind.SavedDataset,
                ModuleRegistry.TrainedModel => NodeKind.TrainedModel,
                ModuleRegistry.WebServiceInput => NodeKind.WebServiceInput,
                ModuleRegistry.WebServiceOutput => NodeKind.WebServiceOutput,
                _ => table is null ? NodeKind.Transform : NodeKind.Table,
            };
            nodes[module.Id] = new PlanNode(module, kind, graph.PortNames.GetValueOrDefault(module.Id), table);
        }

        // The input of each port in this mode: a Web service input wins over data in scoring mode and is ignored otherwise.
        foreach (var node in nodes.Values)
        {
            var inputs = node.Module.Definition.Inputs;
            for (var port = 0; port < inputs.Count; port++)
            {
                var incoming = graph.Into(node.Id).Where(c => c.ToPort == inputs[port].Name).ToArray();
                var webInput = incoming.FirstOrDefault(c => nodes[c.From].Kind == NodeKind.WebServiceInput);
                var data = incoming.FirstOrDefault(c => nodes[c.From].Kind != NodeKind.WebServiceInput);
                var chosen = mode == GraphMode.Scoring ? webInput ?? data : data;
                if (chosen is not null)
                {
                    var from = nodes[chosen.From];
                    node.InputEdges[port] = new PlanEdge(from, OutputIndex(from, chosen.FromPort), node, port);
                }
            }
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
                    foreach (var edge in node.InputEdges)
                    {
                        if (edge is not null)
                        {
                            stack.Push(edge.From);
                        }
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

            foreach (var edge in node.InputEdges)
            {
                if (edge is { From.Active: true })
                {
                    edge.From.Children.Add(edge);
                }
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
                node.Parameters = parameters;
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
                case NodeKind.TrainedModel:
                    var modelName = parameters.GetString(BuiltInModules.TrainedModelParameter);
                    if (models is not null && models.TryGetValue(modelName, out var model))
                    {
                        node.Model = model;
                    }
                    else
                    {
                        node.Error = new ModuleError("0003", $"Trained model \"{modelName}\" does not exist in the workspace.", BuiltInModules.TrainedModelParameter);
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
                case NodeKind.Table:
                    CompileTable(node, parameters);
                    break;
                default:
                    if (node.InputEdges[0] is not { } input)
                    {
                        node.Error = ModuleErrors.InputNullOrEmpty(node.Module.Definition.Inputs[0].Name);
                        break;
                    }

                    if (!input.From.Runnable)
                    {
                        node.Blocked = true;
                        break;
                    }

                    var inputSchema = input.From.OutputSchemas[input.FromPort];
                    if (node.Kind == NodeKind.WebServiceOutput)
                    {
                        node.OutputSchema = inputSchema;
                        break;
                    }

                    var factory = ModuleFactory.For(node.Module.Definition, parameters);
                    node.Factory = factory;
                    if (inputSchema is null)
                    {
                        break; // known when the rows come
                    }

                    try
                    {
                        node.OutputSchema = factory(inputSchema).OutputSchema;
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

    private static readonly Lazy<ModuleRegistry> DefaultRegistry = new(() => ModuleRegistry.CreateBuiltIn());

    private static int OutputIndex(PlanNode node, string port)
    {
        var outputs = node.Module.Definition.Outputs;
        for (var i = 0; i < outputs.Count; i++)
        {
            if (outputs[i].Name == port)
            {
                return i;
            }
        }

        return 0;
    }

    private static void CompileTable(PlanNode node, ModuleParameterValues parameters)
    {
        var known = new object?[node.InputEdges.Length];
        for (var port = 0; port < known.Length; port++)
        {
            if (node.InputEdges[port] is not { } edge)
            {
                continue;
            }

            if (!edge.From.Runnable)
            {
                node.Blocked = true;
                return;
            }

            known[port] = node.Module.Definition.Inputs[port].DataType == ModulePort.DataTable
                ? edge.From.OutputSchemas[edge.FromPort]
                : edge.From.Model;
        }

        try
        {
            if (node.Table!.OutputSchemas(known, parameters) is { } schemas)
            {
                for (var i = 0; i < schemas.Count && i < node.OutputSchemas.Count; i++)
                {
                    node.SetOutputSchema(i, schemas[i]);
                }
            }
        }
        catch (StudioModuleException ex)
        {
            node.Error = ex.Error;
        }
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
/// One execution of a compiled graph. Rows are pushed from a source down the connections batch by batch, so a stream
/// of any length passes the streaming transforms in constant memory. A whole-dataset module collects its inputs and
/// runs when every connected input is complete; a row-by-row one (Score Model) streams its dataset input once its
/// other inputs are known. Call <see cref="StartAsync"/> first (learners and saved trained models), then push each
/// source and complete it. Module instances belong to this execution.
/// </summary>
public sealed class GraphExecution
{
    private readonly Dictionary<PlanNode, BatchTransformModule> _instances = [];
    private readonly Dictionary<PlanNode, TableState> _tables = [];
    private readonly HashSet<PlanNode> _failed = [];
    private readonly HashSet<PlanNode> _completed = [];

    public GraphExecution(CompiledGraph graph)
    {
        Graph = graph ?? throw new ArgumentNullException(nameof(graph));
    }

    public CompiledGraph Graph { get; }

    /// <summary>Called with every batch a node outputs (sources included): the node, its output port index, the batch.</summary>
    public Func<PlanNode, int, DataBatch, CancellationToken, ValueTask>? OnOutput { get; set; }

    /// <summary>Called with every output that is not rows (an untrained or trained model, a transformation): node, port index, value.</summary>
    public Func<PlanNode, int, object, CancellationToken, ValueTask>? OnValue { get; set; }

    /// <summary>Called with the whole dataset a whole-dataset module outputs (with its column metadata), before its rows go on.</summary>
    public Func<PlanNode, int, DataTable, CancellationToken, ValueTask>? OnTable { get; set; }

    /// <summary>Errors raised while rows ran, by node.</summary>
    public Dictionary<PlanNode, ModuleError> RuntimeErrors { get; } = [];

    /// <summary>Runs what needs no rows: saved trained models and modules without a connected input (the learners).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var node in Graph.Nodes.Where(n => n.Runnable))
        {
            if (node.Kind == NodeKind.TrainedModel)
            {
                await EmitValueAsync(node, 0, node.Model!, cancellationToken);
                await CompleteAsync(node, cancellationToken);
            }
            else if (node.Kind == NodeKind.Table && node.InputEdges.All(e => e is null))
            {
                await RunTableAsync(node, State(node), cancellationToken);
            }
        }
    }

    /// <summary>Pushes every batch of <paramref name="batches"/> from <paramref name="source"/> through the graph, then completes it.</summary>
    public async Task PushAsync(PlanNode source, IAsyncEnumerable<DataBatch> batches, CancellationToken cancellationToken)
    {
        await foreach (var batch in batches.WithCancellation(cancellationToken))
        {
            await PushAsync(source, batch, cancellationToken);
        }

        await CompleteAsync(source, cancellationToken);
    }

    /// <summary>Pushes one batch output by <paramref name="node"/> (on its first output).</summary>
    public ValueTask PushAsync(PlanNode node, DataBatch batch, CancellationToken cancellationToken) => EmitBatchAsync(node, 0, batch, cancellationToken);

    /// <summary>Marks every output of <paramref name="node"/> as complete: what it feeds may run.</summary>
    public async ValueTask CompleteAsync(PlanNode node, CancellationToken cancellationToken)
    {
        if (!_completed.Add(node))
        {
            return;
        }

        foreach (var edge in node.Children)
        {
            await EdgeCompleteAsync(edge, _failed.Contains(node), cancellationToken);
        }
    }

    /// <summary>Records a runtime error of <paramref name="node"/>; it and what it feeds get no more rows.</summary>
    public void Fail(PlanNode node, ModuleError error)
    {
        _failed.Add(node);
        RuntimeErrors.TryAdd(node, error);
    }

    private async ValueTask EmitBatchAsync(PlanNode node, int port, DataBatch batch, CancellationToken cancellationToken)
    {
        if (_failed.Contains(node))
        {
            return;
        }

        if (OnOutput is not null)
        {
            await OnOutput(node, port, batch, cancellationToken);
        }

        foreach (var edge in node.Children)
        {
            if (edge.FromPort == port)
            {
                await EdgeBatchAsync(edge, batch, cancellationToken);
            }
        }
    }

    private async ValueTask EmitValueAsync(PlanNode node, int port, object value, CancellationToken cancellationToken)
    {
        if (value is DataTable table)
        {
            if (OnTable is not null)
            {
                await OnTable(node, port, table, cancellationToken);
            }

            if (OnOutput is not null)
            {
                await OnOutput(node, port, table.Data, cancellationToken);
            }
        }
        else if (OnValue is not null)
        {
            await OnValue(node, port, value, cancellationToken);
        }

        foreach (var edge in node.Children)
        {
            if (edge.FromPort != port)
            {
                continue;
            }

            if (edge.To.Kind == NodeKind.Table)
            {
                await TableInputAsync(edge, value, cancellationToken);
            }
            else if (edge.To.Kind == NodeKind.WebServiceOutput && value is TrainedModel && edge.To.Runnable && !_failed.Contains(edge.To))
            {
                if (OnValue is not null)
                {
                    await OnValue(edge.To, 0, value, cancellationToken);
                }
            }
            else if (value is DataTable rows)
            {
                await EdgeBatchAsync(edge, rows.Data, cancellationToken);
            }
        }
    }

    private async ValueTask EdgeBatchAsync(PlanEdge edge, DataBatch batch, CancellationToken cancellationToken)
    {
        var child = edge.To;
        if (!child.Runnable || _failed.Contains(child))
        {
            return;
        }

        switch (child.Kind)
        {
            case NodeKind.WebServiceOutput:
                await EmitBatchAsync(child, 0, batch, cancellationToken);
                return;
            case NodeKind.Table:
                await TableInputAsync(edge, batch, cancellationToken);
                return;
        }

        DataBatch output;
        try
        {
            output = Instance(child, batch.Schema).Transform(batch);
        }
        catch (StudioModuleException ex)
        {
            Fail(child, ex.Error);
            return;
        }
        catch (StudioParameterOutOfRangeException ex)
        {
            Fail(child, new ModuleError(ex.ErrorCode, ex.Message));
            return;
        }

        await EmitBatchAsync(child, 0, output, cancellationToken);
    }

    private async ValueTask EdgeCompleteAsync(PlanEdge edge, bool upstreamFailed, CancellationToken cancellationToken)
    {
        var child = edge.To;
        if (!child.Runnable || _completed.Contains(child))
        {
            return;
        }

        if (upstreamFailed)
        {
            _failed.Add(child); // not run: no error of its own
            await CompleteAsync(child, cancellationToken);
            return;
        }

        if (child.Kind != NodeKind.Table)
        {
            await CompleteAsync(child, cancellationToken);
            return;
        }

        var state = State(child);
        state.Complete[edge.ToPort] = true;
        if (child.Table!.RowwisePort is { } rowwise && edge.ToPort != rowwise && state.ReadyForRows(child))
        {
            await FlushRowsAsync(child, state, cancellationToken);
        }

        if (state.Complete.All(c => c))
        {
            if (child.Table!.RowwisePort is { } port)
            {
                if (child.InputEdges[port] is null)
                {
                    Fail(child, ModuleErrors.InputNullOrEmpty(child.Module.Definition.Inputs[port].Name));
                }

                await FlushRowsAsync(child, state, cancellationToken);
                await CompleteAsync(child, cancellationToken);
            }
            else
            {
                await RunTableAsync(child, state, cancellationToken);
            }
        }
    }

    /// <summary>A dataset batch, whole dataset or model arrives at an input port of a whole-dataset module.</summary>
    private async ValueTask TableInputAsync(PlanEdge edge, object value, CancellationToken cancellationToken)
    {
        var child = edge.To;
        if (!child.Runnable || _failed.Contains(child))
        {
            return;
        }

        var state = State(child);
        if (child.Table!.RowwisePort == edge.ToPort)
        {
            state.Pending.Add(value is DataBatch b ? new DataTable(b) : (DataTable)value);
            if (state.ReadyForRows(child))
            {
                await FlushRowsAsync(child, state, cancellationToken);
            }

            return;
        }

        switch (value)
        {
            case DataBatch batch:
                (state.Batches[edge.ToPort] ??= []).Add(batch);
                break;
            default:
                state.Values[edge.ToPort] = value;
                break;
        }
    }

    private async ValueTask FlushRowsAsync(PlanNode node, TableState state, CancellationToken cancellationToken)
    {
        while (state.Pending.Count > 0 && !_failed.Contains(node))
        {
            var rows = state.Pending[0];
            state.Pending.RemoveAt(0);
            DataTable output;
            try
            {
                output = node.Table!.RunRows(state.Values, rows, node.Parameters!);
            }
            catch (StudioModuleException ex)
            {
                Fail(node, ex.Error);
                return;
            }

            await EmitValueAsync(node, 0, output, cancellationToken);
        }
    }

    private async ValueTask RunTableAsync(PlanNode node, TableState state, CancellationToken cancellationToken)
    {
        var inputs = new object?[state.Values.Length];
        for (var port = 0; port < inputs.Length; port++)
        {
            inputs[port] = state.Values[port];
            if (state.Batches[port] is { } batches)
            {
                inputs[port] = DataTable.FromBatches(batches[0].Schema, batches);
            }
            else if (inputs[port] is null && node.InputEdges[port] is { } edge && edge.From.OutputSchemas[edge.FromPort] is { } schema
                && node.Module.Definition.Inputs[port].DataType == ModulePort.DataTable)
            {
                inputs[port] = DataTable.Empty(schema); // a connected dataset with no rows
            }
        }

        IReadOnlyList<object> outputs;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            outputs = node.Table!.Run(inputs, node.Parameters!, cancellationToken);
        }
        catch (StudioModuleException ex)
        {
            Fail(node, ex.Error);
            await CompleteAsync(node, cancellationToken);
            return;
        }
        catch (StudioParameterOutOfRangeException ex)
        {
            Fail(node, new ModuleError(ex.ErrorCode, ex.Message));
            await CompleteAsync(node, cancellationToken);
            return;
        }
        finally
        {
            _tables.Remove(node); // the inputs are no longer needed
        }

        for (var port = 0; port < outputs.Count; port++)
        {
            await EmitValueAsync(node, port, outputs[port], cancellationToken);
        }

        await CompleteAsync(node, cancellationToken);
    }

    private TableState State(PlanNode node)
    {
        if (!_tables.TryGetValue(node, out var state))
        {
            state = new TableState(node);
            _tables[node] = state;
        }

        return state;
    }

    private BatchTransformModule Instance(PlanNode node, DataSchema schema)
    {
        if (!_instances.TryGetValue(node, out var instance) || !instance.InputSchema.Equals(schema))
        {
            instance = node.Factory!(schema);
            _instances[node] = instance;
        }

        return instance;
    }

    /// <summary>What a whole-dataset module has received so far.</summary>
    private sealed class TableState
    {
        public TableState(PlanNode node)
        {
            var ports = node.InputEdges.Length;
            Values = new object?[ports];
            Batches = new List<DataBatch>?[ports];
            Complete = new bool[ports];
            for (var port = 0; port < ports; port++)
            {
                Complete[port] = node.InputEdges[port] is not { From.Active: true };
            }
        }

        public object?[] Values { get; }

        public List<DataBatch>?[] Batches { get; }

        public bool[] Complete { get; }

        /// <summary>Rows of the row-by-row port waiting for the other inputs.</summary>
        public List<DataTable> Pending { get; } = [];

        public bool ReadyForRows(PlanNode node) =>
            Enumerable.Range(0, Complete.Length).All(port => port == node.Table!.RowwisePort || Complete[port]);
    }
}
