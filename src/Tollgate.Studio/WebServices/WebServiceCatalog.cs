using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Tollgate.Security;
using Tollgate.Studio.Data;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Storage;

namespace Tollgate.Studio.WebServices;

/// <summary>
/// Published web services: publishing freezes an experiment's scoring graph (what feeds the Web service outputs, with
/// the columns of each Web service input) into a service with a default endpoint, two API keys and
/// <c>MaxConcurrentCalls</c>. Loaded services are cached for RRS and BES and replaced when they change.
/// </summary>
public sealed class WebServiceCatalog
{
    private readonly StudioStore _store;
    private readonly ExperimentService _experiments;
    private readonly StudioOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ScoringService> _byEndpoint = new(StringComparer.Ordinal);

    public WebServiceCatalog(StudioStore store, ExperimentService experiments, StudioOptions options, TimeProvider time)
    {
        _store = store;
        _experiments = experiments;
        _options = options;
        _time = time;
    }

    /// <summary>Publishes <paramref name="experiment"/>; a 400 names what keeps it from being a web service.</summary>
    public async Task<ServiceRecord> PublishAsync(ExperimentRecord experiment, string? name, string? description, int? maxConcurrentCalls, CancellationToken cancellationToken)
    {
        var max = maxConcurrentCalls ?? _options.DefaultMaxConcurrentCalls;
        if (max is < 1 or > 200)
        {
            throw StudioError.BadArgument("BadParameterValue", "MaxConcurrentCalls must be between 1 and 200.", "maxConcurrentCalls");
        }

        var graph = _experiments.Load(experiment);
        var datasets = await _experiments.ResolveDatasetsAsync(graph, cancellationToken);
        var models = await _experiments.Models.ResolveAsync(graph, cancellationToken);
        var modelIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var used in models.Keys)
        {
            modelIds[used] = (await _experiments.Models.FindAsync(used, cancellationToken))!.Id;
        }

        var frozen = Freeze(graph, datasets, models, modelIds, _experiments.Registry);
        var service = new ServiceRecord(StudioIds.New(), StudioIds.New(), string.IsNullOrWhiteSpace(name) ? graph.Name : name.Trim(),
            description ?? graph.Description, experiment.Id, frozen.ToJson().ToJsonString(), SecretGenerator.NewBase64Key(), SecretGenerator.NewBase64Key(),
            max, _time.GetUtcNow());
        await _store.InsertServiceAsync(service, cancellationToken);
        return service;
    }

    /// <summary>
    /// The scoring graph of <paramref name="graph"/>: every Web service output and what feeds it, a Web service input
    /// taking the place of the data on the port it shares, and each input's columns taken from that data. A saved
    /// trained model is pinned to the version it names now (its id), so retraining the experiment does not change a
    /// published service.
    /// </summary>
    internal static ExperimentGraph Freeze(ExperimentGraph graph, IReadOnlyDictionary<string, DatasetRecord> datasets,
        IReadOnlyDictionary<string, TrainedModel>? models = null, IReadOnlyDictionary<string, string>? modelIds = null, ModuleRegistry? registry = null)
    {
        static StudioError Problem(string message, string? target = null) =>
            new("BadArgument", new StudioErrorDetail("InvalidExperimentGraph", message, target));

        var experiment = CompiledGraph.Compile(graph, GraphMode.Experiment, datasets, null, models, registry);
        var inputSchemas = new Dictionary<string, DataSchema>(StringComparer.Ordinal);
        foreach (var input in graph.Modules.Where(ExperimentGraph.IsWebServiceInput))
        {
            var name = graph.PortNames[input.Id];
            foreach (var connection in graph.Connections.Where(c => c.From == input.Id))
            {
                var target = experiment.ById[connection.To];
                var port = target.Module.Definition.Inputs.ToList().FindIndex(p => p.Name == connection.ToPort);
                var edge = target.InputEdges[port];
                if (edge is null)
                {
                    throw Problem($"Web service input '{name}' feeds port '{connection.ToPort}' of module '{connection.To}', which has no dataset, so its columns are not known. Connect the experiment's data to that port too.", input.Id);
                }

                var data = edge.From;
                var schema = data.OutputSchemas[edge.FromPort];
                if (!data.Runnable)
                {
                    var error = data.Error ?? experiment.Errors.Select(e => e.Error).FirstOrDefault();
                    throw Problem($"The columns of web service input '{name}' come from module '{data.Id}', which cannot run" +
                        (error is null ? "." : ": " + error.FullMessage), data.Id);
                }

                if (schema is null)
                {
                    throw Problem($"The columns of web service input '{name}' come from output '{data.Module.Definition.Outputs[edge.FromPort].Name}' of module '{data.Id}' "
                        + $"({data.Module.Definition.Name}), whose columns are known only when it runs. Connect the web service input where the columns follow from the data.", data.Id);
                }

                if (inputSchemas.TryGetValue(name, out var known) && !known.Equals(schema))
                {
                    throw Problem($"Web service input '{name}' feeds ports with different columns.", input.Id);
                }

                inputSchemas[name] = schema;
            }
        }

        var scoring = CompiledGraph.Compile(graph, GraphMode.Scoring, datasets, null, models, registry);
        if (!scoring.Outputs.Any())
        {
            throw Problem("The experiment has no Web service output module; add one where the results leave the graph.");
        }

        var training = scoring.Nodes.FirstOrDefault(n => n.Active && n.Module.Definition.Name is TrainModelModule.Name or TrainClusteringModelModule.Name);
        if (training is not null && !scoring.Outputs.Any(o => o.IsModelOutput))
        {
            throw Problem($"Module '{training.Id}' ({training.Module.Definition.Name}) trains a model on every call. Run the experiment, then set up a web service "
                + "(POST …/experiments/{id}/setUpWebService) to score with the trained model.", training.Id);
        }

        var keep = scoring.Nodes.Where(n => n.Active).Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var connections = scoring.Nodes.Where(n => n.Active).SelectMany(n => n.InputEdges.Where(e => e is not null)
            .Select(e => new GraphConnection(e!.From.Id, e.From.Module.Definition.Outputs[e.FromPort].Name, n.Id, n.Module.Definition.Inputs[e.ToPort].Name)));
        var frozen = graph.Freeze(keep, inputSchemas.Where(kv => scoring.Inputs.Any(i => i.PortName == kv.Key)).ToDictionary(), connections,
            modelIds ?? new Dictionary<string, string>());
        var pinnedModels = models?.Where(kv => modelIds?.ContainsKey(kv.Key) == true).ToDictionary(kv => modelIds![kv.Key], kv => kv.Value);
        var check = CompiledGraph.Compile(frozen, GraphMode.Scoring, datasets, null, pinnedModels, registry);
        var first = check.Errors.FirstOrDefault();
        if (first.Error is not null)
        {
            throw new StudioError("ModuleExecutionError", new StudioErrorDetail("ModuleExecutionError", first.Error.FullMessage, first.Node.Module.Definition.Name));
        }

        return frozen;
    }

    public Task<IReadOnlyList<ServiceRecord>> ListAsync(CancellationToken cancellationToken) => _store.ListServicesAsync(cancellationToken);

    public Task<ServiceRecord?> GetAsync(string id, CancellationToken cancellationToken) => _store.GetServiceAsync(id, cancellationToken);

    /// <summary>The loaded service of an endpoint id, or null.</summary>
    /// <remarks>
    /// On a store shared by several nodes, every call first reads the store's revision (one indexed row): a service
    /// loaded before another node changed any service (a key regenerated, a model patched, a deletion) is loaded again,
    /// so no node serves a revoked key or an old model. On a single-node store, the changes made here evict it.
    /// </remarks>
    public async Task<ScoringService?> GetEndpointAsync(string endpointId, CancellationToken cancellationToken)
    {
        var revision = _store.SingleNode ? 0 : await _store.GetRevisionAsync(cancellationToken);
        _byEndpoint.TryGetValue(endpointId, out var cached);
        if (cached is not null && cached.Revision == revision)
        {
            return cached;
        }

        var loaded = StudioIds.IsValid(endpointId) ? await LoadAsync(endpointId, cached, cancellationToken) : null;
        if (loaded is null)
        {
            _byEndpoint.TryRemove(endpointId, out _);
            return null;
        }

        loaded.Revision = revision;
        return cached is null ? _byEndpoint.GetOrAdd(endpointId, loaded) : _byEndpoint.AddOrUpdate(endpointId, loaded, (_, _) => loaded);
    }

    /// <summary>
    /// Loads an endpoint from the store: the default endpoint of a service, or one added to it (its own keys and
    /// <c>MaxConcurrentCalls</c>), with the trained models a retraining PATCH put in place of the published ones.
    /// <paramref name="previous"/> passes on its call slots (calls in flight on it still count).
    /// </summary>
    internal async Task<ScoringService?> LoadAsync(string endpointId, ScoringService? previous, CancellationToken cancellationToken)
    {
        ServiceRecord record;
        EndpointRecord? added = null;
        if (await _store.GetServiceAsync(endpointId, cancellationToken) is { } service && service.EndpointId == endpointId)
        {
            record = service;
        }
        else if (await _store.GetEndpointAsync(endpointId, cancellationToken) is { } endpoint
            && await _store.GetServiceAsync(endpoint.ServiceId, cancellationToken) is { } owner && owner.Id == endpoint.ServiceId)
        {
            added = endpoint;
            record = owner with
            {
                EndpointId = endpoint.EndpointId, PrimaryKey = endpoint.PrimaryKey, SecondaryKey = endpoint.SecondaryKey, MaxConcurrentCalls = endpoint.MaxConcurrentCalls,
            };
        }
        else
        {
            return null;
        }

        var graph = ExperimentGraph.Load(record.PlanJson, _experiments.Registry);
        var models = new Dictionary<string, TrainedModel>(await _experiments.Models.ResolveAsync(graph, cancellationToken), StringComparer.Ordinal);
        var overrides = (await _store.ListEndpointResourcesAsync(endpointId, cancellationToken)).ToDictionary(r => r.ModelId, StringComparer.Ordinal);
        var resources = new List<EndpointResource>();
        foreach (var module in graph.Modules.Where(m => m.Definition.Name == ModuleRegistry.TrainedModel))
        {
            if (module.Parameters.GetValueOrDefault(BuiltInModules.TrainedModelParameter) is not string modelId || resources.Any(r => r.ModelId == modelId))
            {
                continue;
            }

            var published = await _experiments.Models.FindAsync(modelId, cancellationToken);
            var resource = new EndpointResource(published?.Name ?? modelId, modelId, modelId, null, null, null);
            if (overrides.TryGetValue(modelId, out var replaced) && await _experiments.Models.FindAsync(replaced.TrainedModelId, cancellationToken) is { } retrained
                && await _experiments.Models.ExistsAsync(retrained, cancellationToken))
            {
                models[modelId] = _experiments.Models.Load(retrained);
                resource = resource with { CurrentModelId = retrained.Id, BaseLocation = replaced.BaseLocation, RelativeLocation = replaced.RelativeLocation, Updated = replaced.Updated };
            }

            resources.Add(resource);
        }

        return new ScoringService(record, graph, await _experiments.ResolveDatasetsAsync(graph, cancellationToken), models, _experiments.Registry, previous?.Slots)
        {
            Endpoint = added,
            Resources = resources,
        };
    }

    /// <summary>Puts <paramref name="service"/> in place of its endpoint's loaded service: the next call uses it, calls in flight finish on the old one.</summary>
    /// <remarks>Its revision is unknown (-1): a shared store's revision is read again at the next call.</remarks>
    internal void Replace(ScoringService service)
    {
        service.Revision = _store.SingleNode ? 0 : -1;
        _byEndpoint[service.Record.EndpointId] = service;
    }

    /// <summary>Forgets the loaded service of an endpoint (it is loaded again at its next call).</summary>
    internal void Evict(string endpointId) => _byEndpoint.TryRemove(endpointId, out _);

    /// <summary>The RRS calls in flight on an endpoint of this process (0 when it has not been called).</summary>
    public int InFlight(string endpointId) => _byEndpoint.TryGetValue(endpointId, out var service) ? service.InFlight : 0;

    /// <summary>Changes the description, name or <c>MaxConcurrentCalls</c>.</summary>
    public async Task<ServiceRecord> UpdateAsync(ServiceRecord service, JsonObject changes, CancellationToken cancellationToken)
    {
        var updated = service;
        if ((changes["MaxConcurrentCalls"] ?? changes["maxConcurrentCalls"]) is { } maxNode)
        {
            if (maxNode is not JsonValue v || !v.TryGetValue<int>(out var max) || max is < 1 or > 200)
            {
                throw StudioError.BadArgument("BadParameterValue", "MaxConcurrentCalls must be an integer between 1 and 200.", "MaxConcurrentCalls");
            }

            updated = updated with { MaxConcurrentCalls = max };
        }

        if ((changes["Description"] ?? changes["description"]) is JsonValue d && d.TryGetValue<string>(out var description))
        {
            updated = updated with { Description = description };
        }

        if ((changes["Name"] ?? changes["name"]) is JsonValue n && n.TryGetValue<string>(out var name) && !string.IsNullOrWhiteSpace(name))
        {
            updated = updated with { Name = name.Trim() };
        }

        await _store.UpdateServiceAsync(updated, cancellationToken);
        _byEndpoint.TryRemove(service.EndpointId, out _);
        return updated;
    }

    /// <summary>Replaces the primary or secondary key with a new one from the CSPRNG.</summary>
    public async Task<ServiceRecord> RegenerateKeyAsync(ServiceRecord service, bool primary, CancellationToken cancellationToken)
    {
        var updated = primary ? service with { PrimaryKey = SecretGenerator.NewBase64Key() } : service with { SecondaryKey = SecretGenerator.NewBase64Key() };
        await _store.UpdateServiceAsync(updated, cancellationToken);
        _byEndpoint.TryRemove(service.EndpointId, out _);
        return updated;
    }

    public async Task<bool> DeleteAsync(ServiceRecord service, CancellationToken cancellationToken)
    {
        foreach (var endpoint in await _store.ListEndpointsAsync(service.Id, cancellationToken))
        {
            _byEndpoint.TryRemove(endpoint.EndpointId, out _);
        }

        var deleted = await _store.DeleteServiceAsync(service, cancellationToken);
        _byEndpoint.TryRemove(service.EndpointId, out _);
        return deleted;
    }
}

/// <summary>A published service loaded for scoring: its frozen graph, key digests and in-flight call counter.</summary>
public sealed class ScoringService
{
    /// <summary>The store revision this service was loaded at (<see cref="WebServiceCatalog.GetEndpointAsync"/>).</summary>
    internal long Revision { get; set; }

    private readonly KeyDigest _primary;
    private readonly KeyDigest _secondary;
    private readonly ModuleRegistry _registry;

    internal ScoringService(ServiceRecord record, ExperimentGraph graph, IReadOnlyDictionary<string, DatasetRecord> datasets,
        IReadOnlyDictionary<string, TrainedModel> models, ModuleRegistry registry, CallSlots? slots = null)
    {
        Slots = slots ?? new CallSlots();
        Record = record;
        Graph = graph;
        Datasets = datasets;
        Models = models;
        _registry = registry;
        _primary = KeyDigest.Of(record.PrimaryKey);
        _secondary = KeyDigest.Of(record.SecondaryKey);
        Default = CompiledGraph.Compile(graph, GraphMode.Scoring, datasets, null, models, registry);
        InputNames = Default.Inputs.Select(i => i.PortName!).ToArray();
        OutputNames = Default.Outputs.Select(o => o.PortName!).ToArray();
        ModelOutputNames = Default.Outputs.Where(o => o.IsModelOutput).Select(o => o.PortName!).ToArray();
    }

    /// <summary>The outputs that return a trained model (a training web service), written by BES as <c>.ilearner</c> blobs.</summary>
    public IReadOnlyList<string> ModelOutputNames { get; }

    /// <summary>The blob extensions output <paramref name="output"/> may be written to (first: the default).</summary>
    public IReadOnlyList<string> ExtensionsOf(string output) =>
        ModelOutputNames.Contains(output) ? Batch.BlobReference.ModelExtensions : Batch.BlobReference.DatasetExtensions;

    /// <summary>The service as this endpoint serves it: <see cref="ServiceRecord.EndpointId"/>, keys and MaxConcurrentCalls are the endpoint's.</summary>
    public ServiceRecord Record { get; }

    /// <summary>The added endpoint this is (null: the service's default endpoint).</summary>
    public EndpointRecord? Endpoint { get; init; }

    /// <summary>The endpoint's name: <c>default</c> or the name it was added with.</summary>
    public string EndpointName => Endpoint?.Name ?? EndpointService.DefaultName;

    /// <summary>The trained models of the graph, by the name a retraining PATCH gives (<c>Resources[].Name</c>).</summary>
    public IReadOnlyList<EndpointResource> Resources { get; init; } = [];

    /// <summary>The in-flight counter, shared by the services that replace one another on this endpoint.</summary>
    internal CallSlots Slots { get; }

    internal ModuleRegistry Registry => _registry;

    public ExperimentGraph Graph { get; }

    public IReadOnlyDictionary<string, DatasetRecord> Datasets { get; }

    /// <summary>The trained models of the frozen graph, by id.</summary>
    public IReadOnlyDictionary<string, TrainedModel> Models { get; }

    /// <summary>The graph compiled with no GlobalParameters.</summary>
    public CompiledGraph Default { get; }

    public IReadOnlyList<string> InputNames { get; }

    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Whether <paramref name="key"/> is the primary or the secondary key (digests compared in constant time, both always).</summary>
    public bool IsValidKey(ReadOnlySpan<char> key)
    {
        var digest = KeyDigest.Of(key);
        var primary = digest == _primary;
        var secondary = digest == _secondary;
        return primary | secondary;
    }

    /// <summary>Takes a call slot; false when <c>MaxConcurrentCalls</c> calls are in flight.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref Slots.InFlight) <= Record.MaxConcurrentCalls)
        {
            return true;
        }

        Interlocked.Decrement(ref Slots.InFlight);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref Slots.InFlight);

    /// <summary>The RRS calls in flight now.</summary>
    public int InFlight => Volatile.Read(ref Slots.InFlight);

    /// <summary>
    /// The graph for one call's <c>GlobalParameters</c> (null or empty: <see cref="Default"/>). Unknown names are
    /// <c>UnexpectedParameter</c>; a parameter whose module has no value and no default is required
    /// (<c>MissingRequiredGlobalParameters</c>); a value the module refuses is <c>BadParameterValue</c> with the module's message.
    /// </summary>
    public CompiledGraph Compile(IReadOnlyDictionary<string, object?>? globalParameters)
    {
        var overrides = new Dictionary<string, Dictionary<string, object?>>(StringComparer.Ordinal);
        foreach (var (name, value) in globalParameters ?? new Dictionary<string, object?>())
        {
            var parameter = Graph.WebServiceParameters.FirstOrDefault(p => p.Name == name)
                ?? Graph.WebServiceParameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                ?? throw StudioError.BadArgument("UnexpectedParameter",
                    $"Unexpected parameter '{name}' was provided. The web service parameters are: {string.Join(", ", Graph.WebServiceParameters.Select(p => p.Name).DefaultIfEmpty("(none)"))}.", name);
            if (value is not null)
            {
                if (!overrides.TryGetValue(parameter.ModuleId, out var values))
                {
                    overrides[parameter.ModuleId] = values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                }

                values[parameter.Parameter] = value;
            }
        }

        var missing = Graph.WebServiceParameters.Where(p =>
            !(overrides.TryGetValue(p.ModuleId, out var v) && v.ContainsKey(p.Parameter))
            && Graph.ById[p.ModuleId].Parameters.GetValueOrDefault(p.Parameter) is null
            && Graph.ById[p.ModuleId].Definition.FindParameter(p.Parameter)!.IsRequired).Select(p => p.Name).ToArray();
        if (missing.Length > 0)
        {
            throw StudioError.BadArgument("MissingRequiredGlobalParameters", $"Required global parameters were not provided: {string.Join(", ", missing)}.");
        }

        if (overrides.Count == 0)
        {
            return Default;
        }

        var compiled = CompiledGraph.Compile(Graph, GraphMode.Scoring, Datasets, overrides, Models, _registry);
        foreach (var (node, error) in compiled.Errors)
        {
            var exposed = Graph.WebServiceParameters.FirstOrDefault(p => p.ModuleId == node.Id
                && string.Equals(p.Parameter, error.ParameterName, StringComparison.OrdinalIgnoreCase));
            if (exposed is not null)
            {
                throw StudioError.BadArgument("BadParameterValue", error.FullMessage, exposed.Name);
            }
        }

        return compiled;
    }

    /// <summary>Throws <c>ModuleExecutionError</c> for the first compile error of <paramref name="graph"/>.</summary>
    public static void ThrowIfErrors(CompiledGraph graph)
    {
        var first = graph.Errors.FirstOrDefault();
        if (first.Error is not null)
        {
            throw new StudioError("ModuleExecutionError", new StudioErrorDetail("ModuleExecutionError", first.Error.FullMessage, first.Node.Module.Definition.Name));
        }
    }
}

/// <summary>The RRS calls in flight on one endpoint.</summary>
internal sealed class CallSlots
{
    public int InFlight;
}

/// <summary>
/// A trained model of a published graph as a retraining PATCH names it: <see cref="Name"/> (the trained model's name
/// when it was published), the model the graph pins (<see cref="ModelId"/>) and the one served now (<see cref="CurrentModelId"/>).
/// </summary>
public sealed record EndpointResource(string Name, string ModelId, string CurrentModelId, string? BaseLocation, string? RelativeLocation, DateTimeOffset? Updated);
