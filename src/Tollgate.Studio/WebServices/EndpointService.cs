using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure;
using Microsoft.Extensions.Logging;
using Tollgate.Security;
using Tollgate.ServiceDefaults;
using Tollgate.Studio.Batch;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Storage;

namespace Tollgate.Studio.WebServices;

/// <summary>
/// The endpoints of a web service, as Studio (classic)'s web services management API had them: the default endpoint
/// and endpoints added to it (each with its own keys, <c>MaxConcurrentCalls</c> and RRS/BES URL), and retraining: a
/// PATCH with <c>Resources: [{Name, Location: {BaseLocation, RelativeLocation, SasBlobToken}}]</c> loads an
/// <c>.ilearner</c> blob (a training web service's BES output) and puts it in place of the named trained model on that
/// endpoint only. The endpoint's loaded service is swapped whole: the next call uses the new model, calls in flight
/// finish on the old one.
/// </summary>
public sealed partial class EndpointService
{
    /// <summary>The name of a service's default endpoint.</summary>
    public const string DefaultName = "default";

    private readonly WebServiceCatalog _catalog;
    private readonly StudioStore _store;
    private readonly TrainedModelService _models;
    private readonly StorageAccess _storage;
    private readonly StudioOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EndpointService> _logger;

    public EndpointService(WebServiceCatalog catalog, StudioStore store, TrainedModelService models, StorageAccess storage, StudioOptions options, TimeProvider time,
        ILogger<EndpointService> logger)
    {
        _catalog = catalog;
        _store = store;
        _models = models;
        _storage = storage;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Studio classic's endpoint names: 1 to 24 lower-case letters, digits and hyphens, a hyphen neither first nor last.</summary>
    public static bool IsValidName(string name) => NameRule().IsMatch(name);

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex NameRule();

    /// <summary>The default endpoint, then the added ones, oldest first.</summary>
    public async Task<IReadOnlyList<ScoringService>> ListAsync(ServiceRecord service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        var list = new List<ScoringService>();
        if (await _catalog.GetEndpointAsync(service.EndpointId, cancellationToken) is { } main)
        {
            list.Add(main);
        }

        foreach (var endpoint in await _store.ListEndpointsAsync(service.Id, cancellationToken))
        {
            if (await _catalog.GetEndpointAsync(endpoint.EndpointId, cancellationToken) is { } loaded)
            {
                list.Add(loaded);
            }
        }

        return list;
    }

    /// <summary>The endpoint of <paramref name="service"/> named <paramref name="name"/>, or null.</summary>
    public async Task<ScoringService?> FindAsync(ServiceRecord service, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (string.Equals(name, DefaultName, StringComparison.Ordinal))
        {
            return await _catalog.GetEndpointAsync(service.EndpointId, cancellationToken);
        }

        var endpoint = (await _store.ListEndpointsAsync(service.Id, cancellationToken)).FirstOrDefault(e => e.Name == name);
        return endpoint is null ? null : await _catalog.GetEndpointAsync(endpoint.EndpointId, cancellationToken);
    }

    /// <summary>
    /// PUT: adds the endpoint <paramref name="name"/> (new keys) or changes its <c>Description</c>, <c>MaxConcurrentCalls</c>
    /// and <c>ThrottleLevel</c>. Returns the endpoint and whether it was added.
    /// </summary>
    public async Task<(ScoringService Endpoint, bool Added)> PutAsync(ServiceRecord service, string name, JsonObject? body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!IsValidName(name))
        {
            throw StudioError.BadArgument("InvalidEndpointName",
                $"'{name}' is not a valid endpoint name: 1 to 24 lower-case letters, digits and hyphens, not beginning or ending with a hyphen.", "name");
        }

        var (description, max) = ReadSettings(body);
        if (name == DefaultName)
        {
            var changes = new JsonObject();
            if (description is not null)
            {
                changes["Description"] = description;
            }

            if (max is not null)
            {
                changes["MaxConcurrentCalls"] = max;
            }

            var updated = await _catalog.UpdateAsync(service, changes, cancellationToken);
            return ((await _catalog.GetEndpointAsync(updated.EndpointId, cancellationToken))!, false);
        }

        var existing = (await _store.ListEndpointsAsync(service.Id, cancellationToken)).FirstOrDefault(e => e.Name == name);
        if (existing is not null)
        {
            await _store.UpdateEndpointAsync(existing with { Description = description ?? existing.Description, MaxConcurrentCalls = max ?? existing.MaxConcurrentCalls },
                cancellationToken);
            return (await ReloadAsync(existing.EndpointId, cancellationToken), false);
        }

        var added = new EndpointRecord(StudioIds.New(), service.Id, name, description ?? "", SecretGenerator.NewBase64Key(), SecretGenerator.NewBase64Key(),
            max ?? service.MaxConcurrentCalls, _time.GetUtcNow());
        if (!await _store.InsertEndpointAsync(added, cancellationToken))
        {
            // Another PUT of the same name won the race: this one changes it.
            return await PutAsync(service, name, body, cancellationToken);
        }

        Log.Added(_logger, service.Id, name, added.EndpointId);
        return ((await _catalog.GetEndpointAsync(added.EndpointId, cancellationToken))!, true);
    }

    /// <summary>
    /// PATCH: <c>Resources</c> replaces trained models (retraining); <c>Description</c> and <c>MaxConcurrentCalls</c> as in PUT.
    /// Nothing changes unless every resource loads and fits the graph.
    /// </summary>
    public async Task<ScoringService> PatchAsync(ServiceRecord service, ScoringService endpoint, JsonObject body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(body);
        var resources = Property(body, "Resources");
        if (resources is not null)
        {
            endpoint = await UpdateResourcesAsync(service, endpoint, resources, cancellationToken);
        }

        if (Property(body, "Description") is not null || Property(body, "MaxConcurrentCalls") is not null || Property(body, "ThrottleLevel") is not null)
        {
            endpoint = (await PutAsync(service, endpoint.EndpointName, body, cancellationToken)).Endpoint;
        }
        else if (resources is null)
        {
            throw StudioError.BadArgument("RequestBodyInvalid", "Nothing to change: give Resources (retraining), Description or MaxConcurrentCalls.");
        }

        return endpoint;
    }

    /// <summary>DELETE of an added endpoint (the default one stays while the service exists).</summary>
    public async Task DeleteAsync(ScoringService endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Endpoint is null)
        {
            throw new StudioError("InvalidOperation", new StudioErrorDetail("CannotDeleteDefaultEndpoint",
                "The default endpoint cannot be deleted; delete the web service instead.", DefaultName));
        }

        await _store.DeleteEndpointAsync(endpoint.Record.EndpointId, cancellationToken);
        _catalog.Evict(endpoint.Record.EndpointId);
    }

    private async Task<ScoringService> ReloadAsync(string endpointId, CancellationToken cancellationToken)
    {
        var previous = await _catalog.GetEndpointAsync(endpointId, cancellationToken);
        var fresh = await _catalog.LoadAsync(endpointId, previous, cancellationToken)
            ?? throw StudioError.NotFound("EndpointNotFound", "The endpoint no longer exists.");
        _catalog.Replace(fresh);
        return fresh;
    }

    private static (string? Description, int? MaxConcurrentCalls) ReadSettings(JsonObject? body)
    {
        string? description = null;
        int? max = null;
        if (body is null)
        {
            return (null, null);
        }

        if (Property(body, "Description") is { } d)
        {
            if (d is not JsonValue value || !value.TryGetValue<string>(out var text) || text.Length > 2000)
            {
                throw StudioError.BadArgument("BadParameterValue", "Description must be a string of at most 2000 characters.", "Description");
            }

            description = text;
        }

        if (Property(body, "MaxConcurrentCalls") is { } m)
        {
            if (m is not JsonValue value || !value.TryGetValue<int>(out var calls) || calls is < 1 or > 200)
            {
                throw StudioError.BadArgument("BadParameterValue", "MaxConcurrentCalls must be an integer between 1 and 200.", "MaxConcurrentCalls");
            }

            max = calls;
        }

        if (Property(body, "ThrottleLevel") is { } t)
        {
            var level = t is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (level is not ("Low" or "High"))
            {
                throw StudioError.BadArgument("BadParameterValue", "ThrottleLevel must be Low or High.", "ThrottleLevel");
            }

            // Studio classic: Low caps an endpoint at 4 concurrent calls.
            if (level == "Low")
            {
                max = Math.Min(max ?? 4, 4);
            }
        }

        return (description, max);
    }

    private static JsonNode? Property(JsonObject body, string name) =>
        body.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    // --- retraining ------------------------------------------------------------------------------------------------

    private async Task<ScoringService> UpdateResourcesAsync(ServiceRecord service, ScoringService endpoint, JsonNode resources, CancellationToken cancellationToken)
    {
        if (resources is not JsonArray items || items.Count == 0)
        {
            throw StudioError.BadArgument("RequestBodyInvalid",
                "Resources must be a non-empty array of {\"Name\": trained model name, \"Location\": {\"BaseLocation\", \"RelativeLocation\", \"SasBlobToken\"}}.", "Resources");
        }

        var staged = new List<(EndpointResource Resource, TrainedModel Model, BlobReference Location)>();
        for (var i = 0; i < items.Count; i++)
        {
            var target = $"Resources[{i}]";
            if (items[i] is not JsonObject item)
            {
                throw StudioError.BadArgument("RequestBodyInvalid", $"{target} must be an object with Name and Location.", target);
            }

            var name = Property(item, "Name") is JsonValue n && n.TryGetValue<string>(out var text) ? text : null;
            var resource = endpoint.Resources.FirstOrDefault(r => r.Name == name)
                ?? endpoint.Resources.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
            if (resource is null)
            {
                var known = endpoint.Resources.Count == 0 ? "it has no trained model" : "its trained models are " + string.Join(", ", endpoint.Resources.Select(r => $"'{r.Name}'"));
                throw StudioError.BadArgument("ResourceNotFound",
                    $"The web service has no resource named '{name}': {known}.", target + ".Name");
            }

            if (staged.Any(s => s.Resource == resource))
            {
                throw StudioError.BadArgument("RequestBodyInvalid", $"Resource '{resource.Name}' is given twice.", target + ".Name");
            }

            if (Property(item, "Location") is not JsonObject location)
            {
                throw StudioError.BadArgument("MissingInputBlobInformation",
                    $"{target} needs a Location: {{\"BaseLocation\", \"RelativeLocation\" (container/blob.ilearner), \"SasBlobToken\"}}.", target + ".Location");
            }

            string? Get(string key) => Property(location, key) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            var reference = new BlobReference(Get("ConnectionString"), Get("RelativeLocation"), Get("BaseLocation"), Get("SasBlobToken"));
            var blob = reference.ToClient(resource.Name, isOutput: false, _storage, BlobReference.ModelExtensions);
            var model = await DownloadAsync(blob, resource.Name, cancellationToken);
            var current = endpoint.Models.GetValueOrDefault(resource.ModelId);
            if (current is not null && (current.Kind != model.Kind || current.Onnx is not null))
            {
                throw Refused(service, endpoint, new StudioError("InvalidOperation", new StudioErrorDetail("IncompatibleModel",
                    $"The model in the blob is a {model.Kind} model ({model.LearnerName}); resource '{resource.Name}' is a {current.Kind} model ({current.LearnerName}).", resource.Name)));
            }

            staged.Add((resource, model, reference));
        }

        // The graph must compile with the new models (Score Model finds their feature columns) before anything is saved.
        var models = new Dictionary<string, TrainedModel>(endpoint.Models, StringComparer.Ordinal);
        foreach (var (resource, model, _) in staged)
        {
            models[resource.ModelId] = model;
        }

        var check = CompiledGraph.Compile(endpoint.Graph, GraphMode.Scoring, endpoint.Datasets, null, models, endpoint.Registry);
        if (check.Errors.FirstOrDefault() is { Error: not null } problem)
        {
            throw Refused(service, endpoint, new StudioError("InvalidOperation", new StudioErrorDetail("IncompatibleModel",
                $"The web service cannot score with the new model: {problem.Error.FullMessage}", problem.Node.Module.Definition.Name)));
        }

        var now = _time.GetUtcNow();
        var records = new List<EndpointResourceRecord>();
        foreach (var (resource, model, location) in staged)
        {
            var saved = await _models.SaveAsync(model, $"{resource.Name} [{service.Name}: {endpoint.EndpointName}]", service.ExperimentId, "", "", cancellationToken);
            var (container, blob) = location.Split();
            records.Add(new EndpointResourceRecord(endpoint.Record.EndpointId, resource.ModelId, saved.Id,
                location.UsesSas ? location.BaseLocation : null, $"{container}/{blob}", now));
        }

        await _store.SetEndpointResourcesAsync(records, cancellationToken);
        var fresh = await ReloadAsync(endpoint.Record.EndpointId, cancellationToken);
        Log.ModelUpdated(_logger, service.Id, endpoint.EndpointName, string.Join(", ", staged.Select(s => s.Resource.Name)));
        return fresh;
    }

    private StudioError Refused(ServiceRecord service, ScoringService endpoint, StudioError error)
    {
        Log.ModelRefused(_logger, service.Id, endpoint.EndpointName, error.Details[0].Message);
        return error;
    }

    /// <summary>Reads an <c>.ilearner</c> blob (at most <see cref="StudioOptions.MaxOnnxModelBytes"/>) and loads it as a trained model.</summary>
    private async Task<TrainedModel> DownloadAsync(Azure.Storage.Blobs.Specialized.BlockBlobClient blob, string name, CancellationToken cancellationToken)
    {
        byte[] content;
        try
        {
            // A storage that does not answer must not hold the PATCH: the first request is bounded, tries included.
            using var timeout = new CancellationTokenSource(_storage.CheckTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var properties = await blob.GetPropertiesAsync(cancellationToken: linked.Token);
            if (properties.Value.ContentLength > _options.MaxOnnxModelBytes)
            {
                throw new StudioError("MemoryQuotaViolation", new StudioErrorDetail("RequestBodyTooLarge",
                    $"The blob of resource '{name}' is larger than the limit of {_options.MaxOnnxModelBytes} bytes (Tollgate:Studio:MaxOnnxModelBytes).", name));
            }

            content = (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw StudioError.BadArgument("BlobNotFound", $"The blob '{blob.BlobContainerName}/{blob.Name}' of resource '{name}' was not found.", name);
        }
        catch (RequestFailedException ex) when (ex.Status is 401 or 403)
        {
            throw StudioError.BadArgument("InvalidBlobConnectionString",
                $"The storage account refused access to the blob of resource '{name}': check the SasBlobToken ({ex.ErrorCode}).", name);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && StorageAccess.IsUnreachable(ex))
        {
            throw StudioError.BadArgument("InvalidBlob", StorageAccess.UnreachableMessage(name), name);
        }

        try
        {
            using var stream = new MemoryStream(content, writable: false);
            return TrainedModelFile.Load(stream);
        }
        catch (StudioModuleException ex)
        {
            throw StudioError.BadArgument("InvalidBlob",
                $"The blob '{blob.BlobContainerName}/{blob.Name}' of resource '{name}' is not a trained model (an .ilearner written by a training web service's BES job): {ex.FullMessage}",
                name);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.EndpointAdded, LogLevel.Information, "Endpoint {Endpoint} ({EndpointId}) added to web service {ServiceId}.")]
        public static partial void Added(ILogger logger, string serviceId, string endpoint, string endpointId);

        [LoggerMessage(EventIds.EndpointModelUpdated, LogLevel.Information, "Endpoint {Endpoint} of web service {ServiceId} now serves retrained model(s) {Resources}.")]
        public static partial void ModelUpdated(ILogger logger, string serviceId, string endpoint, string resources);

        [LoggerMessage(EventIds.EndpointModelRefused, LogLevel.Warning, "Retraining of endpoint {Endpoint} of web service {ServiceId} refused: {Error}")]
        public static partial void ModelRefused(ILogger logger, string serviceId, string endpoint, string error);
    }
}
