using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Data.Common;
using Tollgate.Security;
using Tollgate.Studio.Data;

namespace Tollgate.Studio.Storage;

/// <summary>The workspace this Studio installation serves: its id and the authorization token of Studio's own API.</summary>
public sealed record WorkspaceRecord(string Id, string AuthorizationToken, DateTimeOffset Created);

/// <summary>A stored dataset: metadata in the store, rows in <see cref="File"/> (CSV or TSV with a header row).</summary>
public sealed record DatasetRecord(string Id, string Name, string Format, DataSchema Schema, long RowCount, string File, long SizeBytes, DateTimeOffset Created);

/// <summary>An experiment: its graph JSON (see <c>Experiments/ExperimentGraph</c>) and a version bumped on every update.</summary>
public sealed record ExperimentRecord(string Id, string Name, string GraphJson, int Version, DateTimeOffset Created, DateTimeOffset Updated);

/// <summary>One run of an experiment: status and the per-module results as JSON.</summary>
/// <summary>A trained model saved from a Train Model output of an experiment run; its file never changes (a new run saves a new one).</summary>
public sealed record TrainedModelRecord(string Id, string Name, string Learner, string Kind, string File, string ExperimentId, string RunId, string ModuleId, DateTimeOffset Created);

public sealed record RunRecord(string Id, string ExperimentId, int ExperimentVersion, string Status, string ResultJson, DateTimeOffset Started, DateTimeOffset? Ended);

/// <summary>A published web service with its default endpoint (the id used in RRS/BES URLs) and its two API keys.</summary>
public sealed record ServiceRecord(
    string Id, string EndpointId, string Name, string Description, string ExperimentId, string PlanJson,
    string PrimaryKey, string SecondaryKey, int MaxConcurrentCalls, DateTimeOffset Created);

/// <summary>
/// An endpoint added to a web service (the default endpoint lives in <see cref="ServiceRecord"/>): its name, its own API
/// keys and <c>MaxConcurrentCalls</c>; its id is what RRS/BES URLs use.
/// </summary>
public sealed record EndpointRecord(
    string EndpointId, string ServiceId, string Name, string Description, string PrimaryKey, string SecondaryKey, int MaxConcurrentCalls, DateTimeOffset Created);

/// <summary>
/// A trained model of an endpoint replaced by a retraining PATCH: the model the published graph pins
/// (<see cref="ModelId"/>) is served as <see cref="TrainedModelId"/>; where it was loaded from (never the SAS).
/// </summary>
public sealed record EndpointResourceRecord(string EndpointId, string ModelId, string TrainedModelId, string? BaseLocation, string? RelativeLocation, DateTimeOffset Updated);

/// <summary>A BES job. <see cref="RequestJson"/> holds connection strings, so it is encrypted at rest.</summary>
/// <remarks>
/// A started job (<c>Running</c>) is run by the node holding its lease: <see cref="Owner"/> until <see cref="LeaseUntil"/>,
/// the claim's <see cref="Attempt"/> fencing every write of that node (<see cref="StudioStore.ClaimJobAsync"/>).
/// </remarks>
public sealed record JobRecord(
    string Id, string EndpointId, string Status, string RequestJson, string? ResultsJson, string? Details,
    DateTimeOffset Created, DateTimeOffset? Started, DateTimeOffset? Ended)
{
    /// <summary>The node running the job, while its lease lasts.</summary>
    public string? Owner { get; init; }

    /// <summary>When the owner's lease ends unless its heartbeat renews it.</summary>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>How many times a node claimed the job (1 for a job that ran once).</summary>
    public int Attempt { get; init; }
}

/// <summary>A node's claim of a job: the job and the attempt number that fences the node's writes.</summary>
public sealed record JobLease(string JobId, string Owner, int Attempt);

/// <summary>
/// Studio's own store: workspace, datasets, experiments, runs, web services and BES jobs, on SQLite (the default, one
/// process) or PostgreSQL (several Studio nodes): one set of queries, the differences in a <see cref="StudioSqlDialect"/>.
/// Secrets (API keys, the workspace token, job requests with connection strings) are AES-256-GCM encrypted with
/// <see cref="SecretProtector"/>. One pooled connection per call.
/// </summary>
public sealed class StudioStore : IAsyncDisposable
{
    private static string SchemaV1(StudioSqlDialect d) => $"""
        CREATE TABLE IF NOT EXISTS studio_workspace (id TEXT PRIMARY KEY, token TEXT NOT NULL, created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS studio_datasets (id TEXT PRIMARY KEY, name TEXT NOT NULL {d.CaseInsensitiveUnique}, format TEXT NOT NULL,
            schema_json TEXT NOT NULL, row_count {d.BigInt} NOT NULL, file TEXT NOT NULL, size_bytes {d.BigInt} NOT NULL, created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS studio_experiments (id TEXT PRIMARY KEY, name TEXT NOT NULL, graph_json TEXT NOT NULL, version INTEGER NOT NULL,
            created TEXT NOT NULL, updated TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS studio_runs (id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, experiment_version INTEGER NOT NULL,
            status TEXT NOT NULL, result_json TEXT NOT NULL, started TEXT NOT NULL, ended TEXT);
        CREATE INDEX IF NOT EXISTS studio_runs_experiment ON studio_runs (experiment_id, started);
        CREATE TABLE IF NOT EXISTS studio_services (id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, description TEXT NOT NULL,
            experiment_id TEXT NOT NULL, plan_json TEXT NOT NULL, primary_key TEXT NOT NULL, secondary_key TEXT NOT NULL,
            max_concurrent_calls INTEGER NOT NULL, created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS studio_jobs (id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL, status TEXT NOT NULL, request TEXT NOT NULL,
            results_json TEXT, details TEXT, created TEXT NOT NULL, started TEXT, ended TEXT);
        CREATE INDEX IF NOT EXISTS studio_jobs_status ON studio_jobs (status);
        CREATE TABLE IF NOT EXISTS studio_trained_models (id TEXT PRIMARY KEY, name TEXT NOT NULL {d.CaseInsensitive}, learner TEXT NOT NULL, kind TEXT NOT NULL,
            file TEXT NOT NULL, experiment_id TEXT NOT NULL, run_id TEXT NOT NULL, module_id TEXT NOT NULL, created TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS studio_trained_models_name ON studio_trained_models (name, created);
        CREATE TABLE IF NOT EXISTS studio_endpoints (endpoint_id TEXT PRIMARY KEY, service_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
            primary_key TEXT NOT NULL, secondary_key TEXT NOT NULL, max_concurrent_calls INTEGER NOT NULL, created TEXT NOT NULL, UNIQUE (service_id, name));
        CREATE TABLE IF NOT EXISTS studio_endpoint_resources (endpoint_id TEXT NOT NULL, model_id TEXT NOT NULL, trained_model_id TEXT NOT NULL,
            base_location TEXT, relative_location TEXT, updated TEXT NOT NULL, PRIMARY KEY (endpoint_id, model_id));
        {d.SchemaV1Extra}
        """;

    // Version 2: BES jobs claimed by a node with a lease (owner, lease end) and a claim counter fencing its writes; the
    // revision of published services that nodes follow.
    private static string SchemaV2(StudioSqlDialect d) => $"""
        ALTER TABLE studio_jobs ADD COLUMN owner TEXT;
        ALTER TABLE studio_jobs ADD COLUMN lease_until TEXT;
        ALTER TABLE studio_jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX IF NOT EXISTS studio_jobs_claim ON studio_jobs (status, lease_until);
        CREATE TABLE IF NOT EXISTS studio_revision (id INTEGER PRIMARY KEY, revision {d.BigInt} NOT NULL);
        INSERT INTO studio_revision (id, revision) VALUES (1, 0) ON CONFLICT DO NOTHING;
        {d.SchemaV2Extra}
        """;

    private readonly StudioSqlDialect _dialect;
    private readonly SecretProtector _protector;

    /// <summary>Creates the store on the SQLite database <paramref name="path"/>.</summary>
    public StudioStore(string path, SecretProtector protector)
        : this(new SqliteStudioDialect(path), protector)
    {
    }

    /// <summary>Creates the store on the engine of <paramref name="dialect"/> (owned: disposed with the store).</summary>
    public StudioStore(StudioSqlDialect dialect, SecretProtector protector)
    {
        _dialect = dialect ?? throw new ArgumentNullException(nameof(dialect));
        _protector = protector ?? throw new ArgumentNullException(nameof(protector));
    }

    /// <summary>The engine in use (<c>sqlite</c>, <c>postgres</c>).</summary>
    public string Provider => _dialect.Name;

    /// <summary>Whether <paramref name="exception"/> is the store refusing a row that a unique key already has (a name taken).</summary>
    public bool IsUniqueViolation(Exception exception) => _dialect.IsUniqueViolation(exception);

    /// <summary>Whether one process only uses this store (see <see cref="StudioSqlDialect.SingleNode"/>).</summary>
    public bool SingleNode => _dialect.SingleNode;

    /// <summary>Brings the schema to the current version (under the dialect's schema lock) and creates the workspace when missing.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        await using var schemaLock = await _dialect.LockSchemaAsync(connection, cancellationToken);
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS studio_schema (version INTEGER PRIMARY KEY)", null, cancellationToken);
        var applied = new HashSet<int>();
        await using (var command = Command(connection, "SELECT version FROM studio_schema", null))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        foreach (var (version, sql) in new[] { (1, SchemaV1(_dialect)), (2, SchemaV2(_dialect)) })
        {
            if (applied.Contains(version))
            {
                continue;
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, sql, null, cancellationToken, transaction);
            await ExecuteAsync(connection, "INSERT INTO studio_schema (version) VALUES (@version)", new() { ["@version"] = version }, cancellationToken, transaction);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    // --- workspace -------------------------------------------------------------------------------------------------

    /// <summary>The workspace, created with a fresh id and token on first call.</summary>
    public async Task<WorkspaceRecord> GetOrCreateWorkspaceAsync(TimeProvider time, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        var existing = await ReadWorkspaceAsync(connection, cancellationToken);
        if (existing is not null)
        {
            return existing;
        }

        await ExecuteAsync(connection, "INSERT INTO studio_workspace (id, token, created) VALUES (@id, @token, @created) ON CONFLICT DO NOTHING", new()
        {
            ["@id"] = StudioIds.New(),
            ["@token"] = _protector.ProtectString(SecretGenerator.NewBase64Key()),
            ["@created"] = Text(time.GetUtcNow()),
        }, cancellationToken);
        return (await ReadWorkspaceAsync(connection, cancellationToken))!;
    }

    private async Task<WorkspaceRecord?> ReadWorkspaceAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, "SELECT id, token, created FROM studio_workspace LIMIT 1", null);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new WorkspaceRecord(reader.GetString(0), _protector.UnprotectString(reader.GetString(1)), Time(reader.GetString(2)))
            : null;
    }

    // --- datasets --------------------------------------------------------------------------------------------------

    public async Task InsertDatasetAsync(DatasetRecord dataset, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, """
            INSERT INTO studio_datasets (id, name, format, schema_json, row_count, file, size_bytes, created)
            VALUES (@id, @name, @format, @schema, @rows, @file, @size, @created)
            """, new()
        {
            ["@id"] = dataset.Id, ["@name"] = dataset.Name, ["@format"] = dataset.Format, ["@schema"] = SchemaJson.Write(dataset.Schema),
            ["@rows"] = dataset.RowCount, ["@file"] = dataset.File, ["@size"] = dataset.SizeBytes, ["@created"] = Text(dataset.Created),
        }, cancellationToken);
    }

    public Task<IReadOnlyList<DatasetRecord>> ListDatasetsAsync(CancellationToken cancellationToken = default) =>
        QueryAsync("SELECT id, name, format, schema_json, row_count, file, size_bytes, created FROM studio_datasets ORDER BY created, name", null, ReadDataset, cancellationToken);

    /// <summary>The dataset whose id or (case-insensitive) name is <paramref name="idOrName"/>.</summary>
    public async Task<DatasetRecord?> FindDatasetAsync(string idOrName, CancellationToken cancellationToken = default) =>
        (await QueryAsync("SELECT id, name, format, schema_json, row_count, file, size_bytes, created FROM studio_datasets WHERE id = @key OR lower(name) = lower(@key) ORDER BY id = @key DESC LIMIT 1",
            new() { ["@key"] = idOrName }, ReadDataset, cancellationToken)).FirstOrDefault();

    public Task<bool> DeleteDatasetAsync(string id, CancellationToken cancellationToken = default) =>
        ExecuteCountAsync("DELETE FROM studio_datasets WHERE id = @id", new() { ["@id"] = id }, cancellationToken);

    private static DatasetRecord ReadDataset(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), SchemaJson.Read(r.GetString(3)), r.GetInt64(4), r.GetString(5), r.GetInt64(6), Time(r.GetString(7)));

    // --- trained models --------------------------------------------------------------------------------------------

    public async Task InsertTrainedModelAsync(TrainedModelRecord model, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, """
            INSERT INTO studio_trained_models (id, name, learner, kind, file, experiment_id, run_id, module_id, created)
            VALUES (@id, @name, @learner, @kind, @file, @experiment, @run, @module, @created)
            """, new()
        {
            ["@id"] = model.Id, ["@name"] = model.Name, ["@learner"] = model.Learner, ["@kind"] = model.Kind, ["@file"] = model.File,
            ["@experiment"] = model.ExperimentId, ["@run"] = model.RunId, ["@module"] = model.ModuleId, ["@created"] = Text(model.Created),
        }, cancellationToken);
    }

    public Task<IReadOnlyList<TrainedModelRecord>> ListTrainedModelsAsync(CancellationToken cancellationToken = default) =>
        QueryAsync("SELECT id, name, learner, kind, file, experiment_id, run_id, module_id, created FROM studio_trained_models ORDER BY created DESC, id",
            null, ReadTrainedModel, cancellationToken);

    /// <summary>The trained model of id <paramref name="idOrName"/>, else the latest of that (case-insensitive) name.</summary>
    public async Task<TrainedModelRecord?> FindTrainedModelAsync(string idOrName, CancellationToken cancellationToken = default) =>
        (await QueryAsync("""
            SELECT id, name, learner, kind, file, experiment_id, run_id, module_id, created FROM studio_trained_models
            WHERE id = @key OR lower(name) = lower(@key) ORDER BY id = @key DESC, created DESC LIMIT 1
            """, new() { ["@key"] = idOrName }, ReadTrainedModel, cancellationToken)).FirstOrDefault();

    private static TrainedModelRecord ReadTrainedModel(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), Time(r.GetString(8)));

    // --- experiments -----------------------------------------------------------------------------------------------

    public async Task InsertExperimentAsync(ExperimentRecord experiment, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, """
            INSERT INTO studio_experiments (id, name, graph_json, version, created, updated) VALUES (@id, @name, @graph, @version, @created, @updated)
            """, new()
        {
            ["@id"] = experiment.Id, ["@name"] = experiment.Name, ["@graph"] = experiment.GraphJson, ["@version"] = experiment.Version,
            ["@created"] = Text(experiment.Created), ["@updated"] = Text(experiment.Updated),
        }, cancellationToken);
    }

    /// <summary>Replaces the graph and bumps the version; false when the experiment does not exist.</summary>
    public Task<bool> UpdateExperimentAsync(string id, string name, string graphJson, DateTimeOffset updated, CancellationToken cancellationToken = default) =>
        ExecuteCountAsync("UPDATE studio_experiments SET name = @name, graph_json = @graph, version = version + 1, updated = @updated WHERE id = @id",
            new() { ["@id"] = id, ["@name"] = name, ["@graph"] = graphJson, ["@updated"] = Text(updated) }, cancellationToken);

    public Task<IReadOnlyList<ExperimentRecord>> ListExperimentsAsync(CancellationToken cancellationToken = default) =>
        QueryAsync("SELECT id, name, graph_json, version, created, updated FROM studio_experiments ORDER BY created, id", null, ReadExperiment, cancellationToken);

    public async Task<ExperimentRecord?> GetExperimentAsync(string id, CancellationToken cancellationToken = default) =>
        (await QueryAsync("SELECT id, name, graph_json, version, created, updated FROM studio_experiments WHERE id = @id",
            new() { ["@id"] = id }, ReadExperiment, cancellationToken)).FirstOrDefault();

    public async Task<bool> DeleteExperimentAsync(string id, CancellationToken cancellationToken = default)
    {
        await ExecuteCountAsync("DELETE FROM studio_runs WHERE experiment_id = @id", new() { ["@id"] = id }, cancellationToken);
        return await ExecuteCountAsync("DELETE FROM studio_experiments WHERE id = @id", new() { ["@id"] = id }, cancellationToken);
    }

    private static ExperimentRecord ReadExperiment(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), Time(r.GetString(4)), Time(r.GetString(5)));

    // --- runs ------------------------------------------------------------------------------------------------------

    public async Task InsertRunAsync(RunRecord run, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, """
            INSERT INTO studio_runs (id, experiment_id, experiment_version, status, result_json, started, ended)
            VALUES (@id, @experiment, @version, @status, @result, @started, @ended)
            """, new()
        {
            ["@id"] = run.Id, ["@experiment"] = run.ExperimentId, ["@version"] = run.ExperimentVersion, ["@status"] = run.Status,
            ["@result"] = run.ResultJson, ["@started"] = Text(run.Started), ["@ended"] = run.Ended is { } e ? Text(e) : null,
        }, cancellationToken);
    }

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(string experimentId, CancellationToken cancellationToken = default) =>
        QueryAsync("SELECT id, experiment_id, experiment_version, status, '{}', started, ended FROM studio_runs WHERE experiment_id = @id ORDER BY started DESC, id",
            new() { ["@id"] = experimentId }, ReadRun, cancellationToken);

    public async Task<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) =>
        (await QueryAsync("SELECT id, experiment_id, experiment_version, status, result_json, started, ended FROM studio_runs WHERE id = @id",
            new() { ["@id"] = id }, ReadRun, cancellationToken)).FirstOrDefault();

    private static RunRecord ReadRun(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4), Time(r.GetString(5)), r.IsDBNull(6) ? null : Time(r.GetString(6)));

    // --- web services ----------------------------------------------------------------------------------------------

    public async Task InsertServiceAsync(ServiceRecord service, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, """
            INSERT INTO studio_services (id, endpoint_id, name, description, experiment_id, plan_json, primary_key, secondary_key, max_concurrent_calls, created)
            VALUES (@id, @endpoint, @name, @description, @experiment, @plan, @primary, @secondary, @max, @created)
            """, new()
        {
            ["@id"] = service.Id, ["@endpoint"] = service.EndpointId, ["@name"] = service.Name, ["@description"] = service.Description,
            ["@experiment"] = service.ExperimentId, ["@plan"] = service.PlanJson,
            ["@primary"] = _protector.ProtectString(service.PrimaryKey), ["@secondary"] = _protector.ProtectString(service.SecondaryKey),
            ["@max"] = service.MaxConcurrentCalls, ["@created"] = Text(service.Created),
        }, cancellationToken);
    }

    public Task<IReadOnlyList<ServiceRecord>> ListServicesAsync(CancellationToken cancellationToken = default) =>
        QueryAsync(ServiceSelect + " ORDER BY created, id", null, ReadService, cancellationToken);

    /// <summary>The service whose web service id or endpoint id is <paramref name="id"/>.</summary>
    public async Task<ServiceRecord?> GetServiceAsync(string id, CancellationToken cancellationToken = default) =>
        (await QueryAsync(ServiceSelect + " WHERE id = @id OR endpoint_id = @id", new() { ["@id"] = id }, ReadService, cancellationToken)).FirstOrDefault();

    public Task<bool> UpdateServiceAsync(ServiceRecord service, CancellationToken cancellationToken = default) =>
        ChangedAsync(ExecuteCountAsync("""
            UPDATE studio_services SET name = @name, description = @description, primary_key = @primary, secondary_key = @secondary,
                max_concurrent_calls = @max WHERE id = @id
            """, new()
        {
            ["@id"] = service.Id, ["@name"] = service.Name, ["@description"] = service.Description,
            ["@primary"] = _protector.ProtectString(service.PrimaryKey), ["@secondary"] = _protector.ProtectString(service.SecondaryKey),
            ["@max"] = service.MaxConcurrentCalls,
        }, cancellationToken), cancellationToken);

    public async Task<bool> DeleteServiceAsync(ServiceRecord service, CancellationToken cancellationToken = default)
    {
        foreach (var endpoint in await ListEndpointsAsync(service.Id, cancellationToken))
        {
            await DeleteEndpointAsync(endpoint.EndpointId, cancellationToken);
        }

        await ExecuteCountAsync("DELETE FROM studio_endpoint_resources WHERE endpoint_id = @id", new() { ["@id"] = service.EndpointId }, cancellationToken);
        await ExecuteCountAsync("DELETE FROM studio_jobs WHERE endpoint_id = @id", new() { ["@id"] = service.EndpointId }, cancellationToken);
        return await ChangedAsync(ExecuteCountAsync("DELETE FROM studio_services WHERE id = @id", new() { ["@id"] = service.Id }, cancellationToken), cancellationToken);
    }

    private const string ServiceSelect =
        "SELECT id, endpoint_id, name, description, experiment_id, plan_json, primary_key, secondary_key, max_concurrent_calls, created FROM studio_services";

    private ServiceRecord ReadService(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
            _protector.UnprotectString(r.GetString(6)), _protector.UnprotectString(r.GetString(7)), r.GetInt32(8), Time(r.GetString(9)));

    // --- endpoints -------------------------------------------------------------------------------------------------

    /// <summary>Adds an endpoint; false when the service already has one of that name.</summary>
    public async Task<bool> InsertEndpointAsync(EndpointRecord endpoint, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ExecuteCountAsync("""
                INSERT INTO studio_endpoints (endpoint_id, service_id, name, description, primary_key, secondary_key, max_concurrent_calls, created)
                VALUES (@endpoint, @service, @name, @description, @primary, @secondary, @max, @created)
                """, new()
            {
                ["@endpoint"] = endpoint.EndpointId, ["@service"] = endpoint.ServiceId, ["@name"] = endpoint.Name, ["@description"] = endpoint.Description,
                ["@primary"] = _protector.ProtectString(endpoint.PrimaryKey), ["@secondary"] = _protector.ProtectString(endpoint.SecondaryKey),
                ["@max"] = endpoint.MaxConcurrentCalls, ["@created"] = Text(endpoint.Created),
            }, cancellationToken);
        }
        catch (DbException ex) when (_dialect.IsUniqueViolation(ex)) // the name is taken
        {
            return false;
        }
    }

    /// <summary>The endpoints added to a service (not its default one), oldest first.</summary>
    public Task<IReadOnlyList<EndpointRecord>> ListEndpointsAsync(string serviceId, CancellationToken cancellationToken = default) =>
        QueryAsync(EndpointSelect + " WHERE service_id = @service ORDER BY created, name", new() { ["@service"] = serviceId }, ReadEndpoint, cancellationToken);

    /// <summary>The added endpoint whose id is <paramref name="endpointId"/>.</summary>
    public async Task<EndpointRecord?> GetEndpointAsync(string endpointId, CancellationToken cancellationToken = default) =>
        (await QueryAsync(EndpointSelect + " WHERE endpoint_id = @id", new() { ["@id"] = endpointId }, ReadEndpoint, cancellationToken)).FirstOrDefault();

    public Task<bool> UpdateEndpointAsync(EndpointRecord endpoint, CancellationToken cancellationToken = default) =>
        ChangedAsync(ExecuteCountAsync("""
            UPDATE studio_endpoints SET description = @description, primary_key = @primary, secondary_key = @secondary, max_concurrent_calls = @max
            WHERE endpoint_id = @endpoint
            """, new()
        {
            ["@endpoint"] = endpoint.EndpointId, ["@description"] = endpoint.Description,
            ["@primary"] = _protector.ProtectString(endpoint.PrimaryKey), ["@secondary"] = _protector.ProtectString(endpoint.SecondaryKey),
            ["@max"] = endpoint.MaxConcurrentCalls,
        }, cancellationToken), cancellationToken);

    /// <summary>Deletes an added endpoint with its jobs and retrained models' references.</summary>
    public async Task<bool> DeleteEndpointAsync(string endpointId, CancellationToken cancellationToken = default)
    {
        var parameters = new Dictionary<string, object?> { ["@id"] = endpointId };
        await ExecuteCountAsync("DELETE FROM studio_jobs WHERE endpoint_id = @id", parameters, cancellationToken);
        await ExecuteCountAsync("DELETE FROM studio_endpoint_resources WHERE endpoint_id = @id", parameters, cancellationToken);
        return await ChangedAsync(ExecuteCountAsync("DELETE FROM studio_endpoints WHERE endpoint_id = @id", parameters, cancellationToken), cancellationToken);
    }

    /// <summary>The trained models an endpoint serves in place of the published ones.</summary>
    public Task<IReadOnlyList<EndpointResourceRecord>> ListEndpointResourcesAsync(string endpointId, CancellationToken cancellationToken = default) =>
        QueryAsync("SELECT endpoint_id, model_id, trained_model_id, base_location, relative_location, updated FROM studio_endpoint_resources WHERE endpoint_id = @id",
            new() { ["@id"] = endpointId },
            r => new EndpointResourceRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                Time(r.GetString(5))),
            cancellationToken);

    /// <summary>Records the replaced models of an endpoint, all in one transaction.</summary>
    public async Task SetEndpointResourcesAsync(IReadOnlyList<EndpointResourceRecord> resources, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var r in resources)
        {
            await using var command = Command(connection, """
                INSERT INTO studio_endpoint_resources (endpoint_id, model_id, trained_model_id, base_location, relative_location, updated)
                VALUES (@endpoint, @model, @trained, @base, @relative, @updated)
                ON CONFLICT (endpoint_id, model_id) DO UPDATE SET trained_model_id = excluded.trained_model_id, base_location = excluded.base_location,
                    relative_location = excluded.relative_location, updated = excluded.updated
                """, new()
            {
                ["@endpoint"] = r.EndpointId, ["@model"] = r.ModelId, ["@trained"] = r.TrainedModelId, ["@base"] = r.BaseLocation,
                ["@relative"] = r.RelativeLocation, ["@updated"] = Text(r.Updated),
            });
            command.Transaction = transaction;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        await BumpRevisionAsync(cancellationToken);
    }

    private const string EndpointSelect =
        "SELECT endpoint_id, service_id, name, description, primary_key, secondary_key, max_concurrent_calls, created FROM studio_endpoints";

    private EndpointRecord ReadEndpoint(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), _protector.UnprotectString(r.GetString(4)), _protector.UnprotectString(r.GetString(5)),
            r.GetInt32(6), Time(r.GetString(7)));

    // --- jobs ------------------------------------------------------------------------------------------------------

    public async Task InsertJobAsync(JobRecord job, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, """
            INSERT INTO studio_jobs (id, endpoint_id, status, request, results_json, details, created, started, ended)
            VALUES (@id, @endpoint, @status, @request, NULL, NULL, @created, NULL, NULL)
            """, new()
        {
            ["@id"] = job.Id, ["@endpoint"] = job.EndpointId, ["@status"] = job.Status,
            ["@request"] = _protector.ProtectString(job.RequestJson), ["@created"] = Text(job.Created),
        }, cancellationToken);
    }

    public async Task<JobRecord?> GetJobAsync(string endpointId, string id, CancellationToken cancellationToken = default) =>
        (await QueryAsync(JobSelect + " WHERE id = @id AND endpoint_id = @endpoint", new() { ["@id"] = id, ["@endpoint"] = endpointId }, ReadJob, cancellationToken))
        .FirstOrDefault();

    /// <summary>The jobs in <paramref name="status"/>, oldest first (restart recovery).</summary>
    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(string status, CancellationToken cancellationToken = default) =>
        QueryAsync(JobSelect + " WHERE status = @status ORDER BY created, id", new() { ["@status"] = status }, ReadJob, cancellationToken);

    /// <summary>The newest <paramref name="top"/> jobs of an endpoint, newest first (the dashboard's list).</summary>
    public Task<IReadOnlyList<JobRecord>> ListEndpointJobsAsync(string endpointId, int top, CancellationToken cancellationToken = default) =>
        QueryAsync(JobSelect + " WHERE endpoint_id = @endpoint ORDER BY created DESC, id LIMIT @top", new() { ["@endpoint"] = endpointId, ["@top"] = top }, ReadJob, cancellationToken);

    /// <summary>
    /// Moves a job from <paramref name="from"/> to <paramref name="to"/> only if it is still in <paramref name="from"/>, so
    /// a cancel and a finishing worker cannot both win; with <paramref name="lease"/>, only while that claim still holds
    /// the job (a node whose lease another node took over writes nothing). Returns whether this call made the change.
    /// </summary>
    public Task<bool> TransitionJobAsync(string id, string from, string to, DateTimeOffset now, string? resultsJson = null, string? details = null,
        CancellationToken cancellationToken = default, JobLease? lease = null) =>
        ExecuteCountAsync($"""
            UPDATE studio_jobs SET status = @to, results_json = COALESCE(@results, results_json), details = COALESCE(@details, details),
                started = CASE WHEN @to = 'Running' THEN @now ELSE started END,
                ended = CASE WHEN @to IN ('Finished', 'Failed', 'Cancelled') THEN @now ELSE ended END
            WHERE id = @id AND status = @from{(lease is null ? "" : " AND owner = @owner AND attempt = @attempt")}
            """, new()
        {
            ["@id"] = id, ["@from"] = from, ["@to"] = to, ["@now"] = Text(now), ["@results"] = resultsJson, ["@details"] = details,
            ["@owner"] = lease?.Owner, ["@attempt"] = lease?.Attempt ?? 0,
        }, cancellationToken);

    /// <summary>
    /// Claims the oldest started job no node holds (never claimed, or its owner's lease ended before <paramref name="now"/>):
    /// <paramref name="owner"/> holds it until <paramref name="now"/> + <paramref name="lease"/> and its claim counter goes
    /// up by one, which fences the writes of any node that held it before. Null when there is none. On PostgreSQL the row
    /// is locked with <c>FOR UPDATE SKIP LOCKED</c>, so nodes claiming at once take different jobs and never wait.
    /// </summary>
    public async Task<JobRecord?> ClaimJobAsync(string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"""
            UPDATE studio_jobs SET owner = @owner, lease_until = @until, attempt = attempt + 1
            WHERE id = (SELECT id FROM studio_jobs WHERE status = 'Running' AND (owner IS NULL OR lease_until < @now)
                        ORDER BY created, id LIMIT 1{_dialect.SkipLocked})
              AND status = 'Running' AND (owner IS NULL OR lease_until < @now)
            RETURNING {JobColumns}
            """, new() { ["@owner"] = owner, ["@now"] = Text(now), ["@until"] = Text(now + lease) }, ReadJob, cancellationToken)).FirstOrDefault();

    /// <summary>
    /// The heartbeat: extends the lease of a claim to <paramref name="until"/>. False when the claim no longer holds the
    /// job: it was cancelled (or deleted), or another node took it over after the lease ended; the holder must stop.
    /// </summary>
    public Task<bool> RenewJobLeaseAsync(JobLease lease, DateTimeOffset until, CancellationToken cancellationToken = default) =>
        ExecuteCountAsync("UPDATE studio_jobs SET lease_until = @until WHERE id = @id AND owner = @owner AND attempt = @attempt AND status = 'Running'",
            new() { ["@id"] = lease.JobId, ["@owner"] = lease.Owner, ["@attempt"] = lease.Attempt, ["@until"] = Text(until) }, cancellationToken);

    /// <summary>Gives a job back (a node stopping): any node may claim it at once.</summary>
    public Task<bool> ReleaseJobAsync(JobLease lease, CancellationToken cancellationToken = default) =>
        ExecuteCountAsync("UPDATE studio_jobs SET owner = NULL, lease_until = NULL WHERE id = @id AND owner = @owner AND attempt = @attempt AND status = 'Running'",
            new() { ["@id"] = lease.JobId, ["@owner"] = lease.Owner, ["@attempt"] = lease.Attempt }, cancellationToken);

    /// <summary>Frees every started job's lease: on a <see cref="SingleNode"/> store, at start, they all belong to a process that is gone.</summary>
    public Task<bool> ReleaseAllJobLeasesAsync(CancellationToken cancellationToken = default) =>
        ExecuteCountAsync("UPDATE studio_jobs SET owner = NULL, lease_until = NULL WHERE status = 'Running' AND owner IS NOT NULL", [], cancellationToken);

    public Task<bool> DeleteJobAsync(string id, CancellationToken cancellationToken = default) =>
        ExecuteCountAsync("DELETE FROM studio_jobs WHERE id = @id", new() { ["@id"] = id }, cancellationToken);

    private const string JobColumns = "id, endpoint_id, status, request, results_json, details, created, started, ended, owner, lease_until, attempt";

    private const string JobSelect = "SELECT " + JobColumns + " FROM studio_jobs";

    private JobRecord ReadJob(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), _protector.UnprotectString(r.GetString(3)),
            r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), Time(r.GetString(6)),
            r.IsDBNull(7) ? null : Time(r.GetString(7)), r.IsDBNull(8) ? null : Time(r.GetString(8)))
        {
            Owner = r.IsDBNull(9) ? null : r.GetString(9),
            LeaseUntil = r.IsDBNull(10) ? null : Time(r.GetString(10)),
            Attempt = r.GetInt32(11),
        };

    // --- revision ------------------------------------------------------------------------------------------------

    /// <summary>
    /// The store's revision: bumped after every change to a published service, an endpoint or an endpoint's models, so a
    /// node that keeps loaded services (<c>WebServiceCatalog</c>) knows when another node changed one (keys, models).
    /// </summary>
    public async Task<long> GetRevisionAsync(CancellationToken cancellationToken = default) =>
        (await QueryAsync("SELECT revision FROM studio_revision WHERE id = 1", null, r => r.GetInt64(0), cancellationToken)).FirstOrDefault();

    private async Task<bool> ChangedAsync(Task<bool> change, CancellationToken cancellationToken)
    {
        var changed = await change;
        await BumpRevisionAsync(cancellationToken);
        return changed;
    }

    private Task<bool> BumpRevisionAsync(CancellationToken cancellationToken) =>
        ExecuteCountAsync("UPDATE studio_revision SET revision = revision + 1 WHERE id = 1", [], cancellationToken);

    // --- health and metrics ----------------------------------------------------------------------------------------

    /// <summary>True while the store answers a query (readiness).</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = Command(connection, "SELECT 1", null);
            await command.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (DbException)
        {
            return false;
        }
    }

    /// <summary>BES jobs per status (synchronous: read when metrics are scraped).</summary>
    public IReadOnlyList<(string Status, long Count)> CountJobsByStatus()
    {
        using var connection = _dialect.Open();
        using var command = Command(connection, "SELECT status, COUNT(*) FROM studio_jobs GROUP BY status", null);
        using var reader = command.ExecuteReader();
        var counts = new List<(string, long)>();
        while (reader.Read())
        {
            counts.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return counts;
    }

    // --- plumbing --------------------------------------------------------------------------------------------------

    private ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) => _dialect.OpenAsync(cancellationToken);

    private static DbCommand Command(DbConnection connection, string sql, Dictionary<string, object?>? parameters, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters ?? [])
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, Dictionary<string, object?>? parameters, CancellationToken cancellationToken,
        DbTransaction? transaction = null)
    {
        await using var command = Command(connection, sql, parameters, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<bool> ExecuteCountAsync(string sql, Dictionary<string, object?> parameters, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Dictionary<string, object?>? parameters, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(read(reader));
        }

        return list;
    }

    public ValueTask DisposeAsync() => _dialect.DisposeAsync();

    private static string Text(DateTimeOffset time) => time.UtcDateTime.ToString("o", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

/// <summary>Ids as Studio classic makes them: 32 lower-case hex characters (a GUID without dashes).</summary>
public static class StudioIds
{
    /// <summary>A new random id.</summary>
    public static string New() => Guid.NewGuid().ToString("N");

    /// <summary>Whether <paramref name="text"/> has the shape of an id.</summary>
    public static bool IsValid(string? text) => text is { Length: 32 } && text.All(char.IsAsciiHexDigitLower);
}

/// <summary>A schema as JSON: <c>[{"name":"Col1","type":"Int32"}, …]</c>.</summary>
public static class SchemaJson
{
    public static string Write(DataSchema schema) => ToJson(schema).ToJsonString();

    public static JsonArray ToJson(DataSchema schema) =>
        new(schema.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["type"] = c.Type.ToString() }).ToArray());

    public static DataSchema Read(string json) => FromJson(JsonNode.Parse(json)!.AsArray());

    public static DataSchema FromJson(JsonArray array) =>
        new(array.Select(n => new ColumnSchema((string)n!["name"]!, Enum.Parse<ColumnType>((string)n["type"]!, ignoreCase: true))));

    internal static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
