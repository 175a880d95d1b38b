using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using Tollgate.Studio.Storage;
using Tollgate.Studio.WebServices;

namespace Tollgate.Studio.Batch;

/// <summary>BES job states, as <c>StatusCode</c> strings (docs/studio-protocol.md §2.3).</summary>
public static class JobStatus
{
    public const string NotStarted = "NotStarted";
    public const string Running = "Running";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";
    public const string Finished = "Finished";
}

/// <summary>
/// BES (docs/studio-protocol.md §2): submit checks the request and stores the job <c>NotStarted</c>; start queues it for
/// <see cref="BatchJobWorker"/>; status reports it, with a fresh read-only SAS per output on every GET once Finished;
/// DELETE cancels a job that has not ended, and deletes one that has.
/// </summary>
public sealed class BatchService
{
    private readonly StudioStore _store;
    private readonly StudioOptions _options;
    private readonly TimeProvider _time;
    private readonly BatchJobWorker _worker;
    private readonly StorageAccess _storage;

    public BatchService(StudioStore store, StudioOptions options, TimeProvider time, BatchJobWorker worker, StorageAccess storage)
    {
        _storage = storage;
        _store = store;
        _options = options;
        _time = time;
        _worker = worker;
    }

    /// <summary>Checks a BatchExecutionRequest and stores the job; returns its id.</summary>
    public async Task<string> SubmitAsync(ScoringService service, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (body.IsEmpty)
        {
            throw StudioError.BadArgument("RequestIsEmpty", "The request body is empty; it must be a BatchExecutionRequest JSON object.");
        }

        if (Data.Utf8Text.FirstInvalidByte(body.Span) is var invalid and >= 0)
        {
            throw StudioError.BadArgument("RequestBodyInvalid", $"The request body is not valid UTF-8 text (an invalid byte sequence at byte {invalid + 1}).");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw StudioError.BadArgument("RequestBodyInvalid",
                $"The request body is not valid JSON: {ex.Message.Split(" Path:")[0].TrimEnd('.')} (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }

        using var _ = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw StudioError.BadArgument("RequestBodyInvalid", "The request body must be a BatchExecutionRequest JSON object.");
        }

        JsonElement? Property(string name) =>
            root.EnumerateObject().Where(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => (JsonElement?)p.Value).FirstOrDefault();

        var single = Property("Input") is { ValueKind: not JsonValueKind.Null } s ? s : (JsonElement?)null;
        var multiple = Property("Inputs") is { ValueKind: not JsonValueKind.Null } m ? m : (JsonElement?)null;
        if (single is not null && multiple is not null)
        {
            throw StudioError.BadArgument("DuplicateInputInBatchCall", "Cannot specify both single and multiple input at the same time.");
        }

        var inputs = new Dictionary<string, BlobReference>(StringComparer.Ordinal);
        if (single is { } one)
        {
            if (service.InputNames.Count == 0)
            {
                throw StudioError.BadArgument("BatchJobInputsTooManySpecified", "The web service has no input, but an input was given.");
            }

            if (service.InputNames.Count > 1)
            {
                throw StudioError.BadArgument("BatchJobInputsNotSpecified",
                    $"The web service has several inputs ({string.Join(", ", service.InputNames)}); name each one in Inputs.");
            }

            inputs[service.InputNames[0]] = BlobReference.FromJson(one, "Input")!;
        }
        else if (multiple is { } many)
        {
            if (many.ValueKind != JsonValueKind.Object)
            {
                throw StudioError.BadArgument("RequestBodyInvalid", "Inputs must be an object of input name to blob reference.", "Inputs");
            }

            foreach (var p in many.EnumerateObject())
            {
                if (!service.InputNames.Contains(p.Name))
                {
                    throw service.InputNames.Count == 0
                        ? StudioError.BadArgument("BatchJobInputsTooManySpecified", "The web service has no input, but an input was given.", p.Name)
                        : StudioError.BadArgument("InvalidInputNames",
                            $"Input name '{p.Name}' is not valid. The web service's inputs are: {string.Join(", ", service.InputNames)}.", p.Name);
                }

                if (BlobReference.FromJson(p.Value, "Inputs." + p.Name) is { } reference)
                {
                    inputs[p.Name] = reference;
                }
            }
        }

        var missing = service.InputNames.Where(n => !inputs.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
        {
            throw StudioError.BadArgument("BatchJobInputsNotSpecified", $"Input(s) {string.Join(", ", missing)} were not specified. Give each in Inputs.", missing[0]);
        }

        // Every reference is checked (form, extension, allowed host) before any storage is contacted.
        var inputClients = inputs.Select(kv => (Name: kv.Key, Client: kv.Value.ToClient(kv.Key, isOutput: false, _storage))).ToList();

        var outputs = new Dictionary<string, BlobReference>(StringComparer.Ordinal);
        if (Property("Outputs") is { ValueKind: JsonValueKind.Object } outputsElement)
        {
            foreach (var p in outputsElement.EnumerateObject())
            {
                if (!service.OutputNames.Contains(p.Name))
                {
                    throw StudioError.BadArgument("InvalidOutputOverrideName",
                        $"Output name '{p.Name}' is not valid (names are case-sensitive). The web service's outputs are: {string.Join(", ", service.OutputNames)}.", p.Name);
                }

                if (BlobReference.FromJson(p.Value, "Outputs." + p.Name) is { } reference)
                {
                    reference.ToClient(p.Name, isOutput: true, _storage, service.ExtensionsOf(p.Name));
                    outputs[p.Name] = reference;
                }
            }
        }
        else if (Property("Outputs") is { ValueKind: not JsonValueKind.Null })
        {
            throw StudioError.BadArgument("RequestBodyInvalid", "Outputs must be an object of output name to blob reference.", "Outputs");
        }

        foreach (var (name, client) in inputClients)
        {
            await CheckInputAsync(client, name, cancellationToken);
        }

        var jobId = StudioIds.New();
        foreach (var name in service.OutputNames.Where(n => !outputs.ContainsKey(n)))
        {
            if (string.IsNullOrWhiteSpace(_options.DefaultStorageConnectionString))
            {
                throw StudioError.BadArgument("MissingOutputBlobInformation",
                    $"Output '{name}' was not given a location and the workspace has no default storage (Tollgate:Studio:DefaultStorageConnectionString). Name it in Outputs.", name);
            }

            outputs[name] = new BlobReference(_options.DefaultStorageConnectionString, $"{_options.DefaultStorageContainer}/{jobId}/{name}{service.ExtensionsOf(name)[0]}", null, null);
        }

        var globalParameters = new JsonObject();
        if (Property("GlobalParameters") is { ValueKind: JsonValueKind.Object } gp)
        {
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var p in gp.EnumerateObject())
            {
                values[p.Name] = GlobalParameterValue.Read(p);
                globalParameters[p.Name] = JsonValue.Create(values[p.Name]?.ToString());
            }

            service.Compile(values);
        }

        var request = new JsonObject
        {
            ["Inputs"] = new JsonObject(inputs.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.ToJson()))),
            ["Outputs"] = new JsonObject(outputs.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.ToJson()))),
            ["GlobalParameters"] = globalParameters,
        };
        await _store.InsertJobAsync(new JobRecord(jobId, service.Record.EndpointId, JobStatus.NotStarted, request.ToJsonString(), null, null, _time.GetUtcNow(), null, null),
            cancellationToken);
        return jobId;
    }

    private async Task CheckInputAsync(BlockBlobClient blob, string name, CancellationToken cancellationToken)
    {
        // A storage that does not answer must not hold the submit: the whole check, tries included, is bounded.
        using var timeout = new CancellationTokenSource(_storage.CheckTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        bool exists;
        try
        {
            exists = await blob.ExistsAsync(linked.Token);
        }
        catch (RequestFailedException ex) when (ex.Status is 401 or 403)
        {
            throw StudioError.BadArgument("InvalidBlobConnectionString", $"The storage account refused access to the blob of '{name}': check the account key or SAS ({ex.ErrorCode}).", name);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && StorageAccess.IsUnreachable(ex))
        {
            // One message whatever happened (refused, silent, unknown host, not storage): it tells nothing of the port.
            throw StudioError.BadArgument("InvalidBlob", StorageAccess.UnreachableMessage(name), name);
        }

        if (!exists)
        {
            throw StudioError.BadArgument("BlobNotFound", $"The blob '{blob.BlobContainerName}/{blob.Name}' of '{name}' was not found.", name);
        }
    }

    /// <summary>Starts a NotStarted job; <c>CannotStartJob</c> otherwise.</summary>
    public async Task StartAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (!await _store.TransitionJobAsync(job.Id, JobStatus.NotStarted, JobStatus.Running, _time.GetUtcNow(), cancellationToken: cancellationToken))
        {
            var current = await _store.GetJobAsync(job.EndpointId, job.Id, cancellationToken);
            throw new StudioError("InvalidOperation", new StudioErrorDetail("CannotStartJob", $"The job cannot be started because it is in {current?.Status ?? job.Status} state."));
        }

        _worker.Enqueue(job.Id);
    }

    /// <summary>DELETE: a job that has not ended is cancelled (and keeps answering GET as Cancelled); an ended job is deleted.</summary>
    public async Task DeleteAsync(JobRecord job, CancellationToken cancellationToken)
    {
        if (job.Status is JobStatus.NotStarted or JobStatus.Running)
        {
            if (await _store.TransitionJobAsync(job.Id, job.Status, JobStatus.Cancelled, _time.GetUtcNow(), details: "The job was cancelled.", cancellationToken: cancellationToken))
            {
                _worker.Cancel(job.Id);
                return;
            }

            job = await _store.GetJobAsync(job.EndpointId, job.Id, cancellationToken) ?? job;
            if (job.Status is JobStatus.NotStarted or JobStatus.Running)
            {
                await DeleteAsync(job, cancellationToken);
                return;
            }
        }

        await _store.DeleteJobAsync(job.Id, cancellationToken);
    }

    /// <summary>The BatchExecutionStatus of a job.</summary>
    public JsonObject Status(JobRecord job)
    {
        JsonObject? results = null;
        if (job.Status == JobStatus.Finished)
        {
            results = [];
            var outputs = JsonNode.Parse(job.RequestJson)!["Outputs"]!.AsObject();
            foreach (var (name, node) in outputs)
            {
                results[name] = ResultLocation(BlobReference.FromJson(node!));
            }
        }

        return new JsonObject
        {
            ["StatusCode"] = job.Status,
            ["Results"] = results,
            ["Details"] = job.Details,
            ["CreatedAt"] = job.Created,
            ["StartTime"] = job.Started,
            ["EndTime"] = job.Ended,
        };
    }

    /// <summary>Where an output can be read: BaseLocation + RelativeLocation + a fresh read-only SasBlobToken.</summary>
    private JsonObject ResultLocation(BlobReference output)
    {
        var (container, blob) = output.Split();
        if (output.UsesSas)
        {
            return new JsonObject
            {
                ["ConnectionString"] = null,
                ["RelativeLocation"] = $"{container}/{blob}",
                ["BaseLocation"] = output.BaseLocation,
                ["SasBlobToken"] = output.SasBlobToken,
            };
        }

        var client = output.ToClient("output", isOutput: true, storage: null, [.. BlobReference.DatasetExtensions, .. BlobReference.ModelExtensions]);
        var now = _time.GetUtcNow();
        var sas = new BlobSasBuilder
        {
            BlobContainerName = container,
            BlobName = blob,
            Resource = "b",
            StartsOn = now.AddMinutes(-5),
            ExpiresOn = now + _options.ResultSasLifetime,
            Protocol = SasProtocol.HttpsAndHttp,
        };
        sas.SetPermissions(BlobSasPermissions.Read);
        var uri = client.GenerateSasUri(sas);
        var path = uri.GetLeftPart(UriPartial.Path);
        var authority = uri.GetLeftPart(UriPartial.Authority).Length;
        var split = path.IndexOf("/" + container + "/", authority, StringComparison.Ordinal);
        var accountBase = path[..(split + 1)];
        return new JsonObject
        {
            ["ConnectionString"] = null,
            ["RelativeLocation"] = uri.GetLeftPart(UriPartial.Path)[accountBase.Length..],
            ["BaseLocation"] = accountBase,
            ["SasBlobToken"] = uri.Query,
        };
    }
}
