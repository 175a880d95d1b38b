using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Tollgate.Management.Persistence;

/// <summary>A schema migration: a version and the SQL that brings the schema to it.</summary>
public sealed record Migration(int Version, string Description, string Sql);

/// <summary>
/// ADO.NET store shared by SQLite and PostgreSQL: resources as JSON <c>properties</c> rows, one revision
/// counter per instance bumped by every change set, versioned migrations.
/// </summary>
public abstract partial class SqlResourceStore(TimeProvider timeProvider) : IResourceStore, Analytics.IAnalyticsStore
{
    private const string Columns = "service, kind, parent, name, properties, secrets, etag, created_at, updated_at";

    protected TimeProvider TimeProvider { get; } = timeProvider;

    /// <summary>Schema version 1, for an engine's auto-increment key column and 64-bit integer type.</summary>
    protected static Migration SchemaV1(string sequenceColumn, string bigint) => new(1, "resources, revisions, settings", $"""
        CREATE TABLE resources (
          seq {sequenceColumn},
          service TEXT NOT NULL, kind TEXT NOT NULL, parent_key TEXT NOT NULL, name_key TEXT NOT NULL,
          parent TEXT NOT NULL, name TEXT NOT NULL,
          properties TEXT NOT NULL, secrets TEXT NULL, etag TEXT NOT NULL,
          created_at TEXT NOT NULL, updated_at TEXT NOT NULL, revision {bigint} NOT NULL,
          UNIQUE (service, kind, parent_key, name_key));
        CREATE INDEX ix_resources_kind_name ON resources (service, kind, name_key);
        CREATE TABLE revisions (service TEXT PRIMARY KEY, revision {bigint} NOT NULL);
        CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        """);

    /// <summary>Migrations in version order. SQL must be valid on the concrete engine.</summary>
    protected abstract IReadOnlyList<Migration> Migrations { get; }

    /// <summary>
    /// Schema version 2: the gateways' request log (analytics) as per-minute aggregates, one row per minute and
    /// API, operation, product, subscription and user, and the raw records in blocks of one writer batch each.
    /// </summary>
    protected static Migration SchemaV2(string bigint, string real, string blob) => new(2, "request_minutes, request_batches", $"""
        CREATE TABLE request_minutes (
          service TEXT NOT NULL, minute_ms {bigint} NOT NULL,
          api_id TEXT NOT NULL, operation_id TEXT NOT NULL, product_id TEXT NOT NULL, subscription_id TEXT NOT NULL, user_id TEXT NOT NULL,
          success {bigint} NOT NULL, blocked {bigint} NOT NULL, failed {bigint} NOT NULL, total {bigint} NOT NULL,
          bandwidth {bigint} NOT NULL, cache_hit {bigint} NOT NULL, cache_miss {bigint} NOT NULL,
          api_time_sum {real} NOT NULL, api_time_min {real} NOT NULL, api_time_max {real} NOT NULL,
          service_time_sum {real} NOT NULL, service_time_min {real} NOT NULL, service_time_max {real} NOT NULL,
          PRIMARY KEY (service, minute_ms, api_id, operation_id, product_id, subscription_id, user_id));
        CREATE TABLE request_batches (
          service TEXT NOT NULL, first_ms {bigint} NOT NULL, last_ms {bigint} NOT NULL, records INTEGER NOT NULL, payload {blob} NOT NULL);
        CREATE INDEX ix_request_batches_time ON request_batches (service, first_ms);
        """);

    /// <summary>Schema version 3: indexes for retention, which deletes the request log by age across instances.</summary>
    protected static Migration SchemaV3() => new(3, "request log retention indexes", """
        CREATE INDEX ix_request_batches_last ON request_batches (last_ms);
        CREATE INDEX ix_request_minutes_minute ON request_minutes (minute_ms);
        """);

    /// <summary>
    /// Schema version 4: deleted resources' keys with the revision that deleted them, and resources by revision, so
    /// that a reader can follow an instance by what changed (<see cref="ReadChangesAsync"/>). A key deleted again
    /// keeps one row, with its latest revision. Resources by their normalized <c>path</c> property (an API's path must
    /// be unique: <see cref="FindByPropertyAsync"/> checks it without reading every API).
    /// </summary>
    protected static Migration SchemaV4(string bigint, string normalizedPath) => new(4, "deletions, resources by revision, APIs by path", $"""
        CREATE INDEX ix_resources_path ON resources (service, kind, ({normalizedPath}));
        CREATE TABLE deletions (
          service TEXT NOT NULL, kind TEXT NOT NULL, parent_key TEXT NOT NULL, name_key TEXT NOT NULL, revision {bigint} NOT NULL,
          PRIMARY KEY (service, kind, parent_key, name_key));
        CREATE INDEX ix_deletions_revision ON deletions (service, revision);
        CREATE INDEX ix_resources_revision ON resources (service, revision);
        """);

    /// <summary>
    /// Schema version 5: the record batches management took from remote gateways, by the batch's id (a digest of its
    /// request ids), so a batch sent again after a gateway died mid-post is recognised and not counted twice; kept as
    /// long as raw records are.
    /// </summary>
    protected static Migration SchemaV5(string bigint) => new(5, "received record batches", $"""
        CREATE TABLE received_batches (id TEXT PRIMARY KEY, received_ms {bigint} NOT NULL);
        CREATE INDEX ix_received_batches_time ON received_batches (received_ms);
        """);

    /// <summary>Starts a transaction whose reads all see one committed state (PostgreSQL: repeatable read; SQLite: a deferred transaction).</summary>
    protected abstract Task<DbTransaction> BeginSnapshotReadAsync(DbConnection connection, CancellationToken cancellationToken);

    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Serializes schema migration across processes (advisory lock, exclusive transaction).</summary>
    protected abstract Task<IAsyncDisposable> LockForMigrationAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Starts a write transaction; SQLite takes the write lock up front.</summary>
    protected virtual async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken);

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var migrationLock = await LockForMigrationAsync(connection, cancellationToken);
        await ExecuteAsync(connection, null, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)", cancellationToken);
        var applied = new HashSet<int>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT version FROM schema_migrations";
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        foreach (var migration in Migrations.OrderBy(m => m.Version))
        {
            if (applied.Contains(migration.Version))
            {
                continue;
            }

            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, tx, migration.Sql, cancellationToken);
            await ExecuteAsync(connection, tx, "INSERT INTO schema_migrations (version, description, applied_at) VALUES (@v, @d, @t)", cancellationToken,
                ("v", migration.Version), ("d", migration.Description), ("t", Now()));
            await tx.CommitAsync(cancellationToken);
        }
    }

    /// <summary>The schema versions applied so far (for tests and diagnostics).</summary>
    public async Task<IReadOnlyList<int>> GetAppliedMigrationsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT version FROM schema_migrations ORDER BY version";
        var list = new List<int>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(reader.GetInt32(0));
        }

        return list;
    }

    public async Task<StoredResource?> GetAsync(ResourceKey key, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null,
            $"SELECT {Columns} FROM resources WHERE service = @s AND kind = @k AND parent_key = @p AND name_key = @n", cancellationToken,
            ("s", key.ServiceKey), ("k", key.Kind), ("p", key.ParentKey), ("n", key.NameKey));
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<StoredResource>> ListAsync(string service, string kind, string? parent, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return parent is null
            ? await QueryAsync(connection, null, $"SELECT {Columns} FROM resources WHERE service = @s AND kind = @k ORDER BY seq", cancellationToken,
                ("s", service.ToLowerInvariant()), ("k", kind))
            : await QueryAsync(connection, null, $"SELECT {Columns} FROM resources WHERE service = @s AND kind = @k AND parent_key = @p ORDER BY seq", cancellationToken,
                ("s", service.ToLowerInvariant()), ("k", kind), ("p", parent.ToLowerInvariant()));
    }

    public async Task<IReadOnlyList<StoredResource>> ListServiceAsync(string service, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, $"SELECT {Columns} FROM resources WHERE service = @s ORDER BY seq", cancellationToken,
            ("s", service.ToLowerInvariant()));
    }

    /// <summary>SQL for a string property of the <c>properties</c> JSON, trimmed of '/' and in lower case (<paramref name="property"/> is a plain name).</summary>
    protected abstract string NormalizedJsonText(string property);

    public async Task<IReadOnlyList<StoredResource>> FindByPropertyAsync(string service, string kind, string property, string value, CancellationToken cancellationToken = default)
    {
        if (!property.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException($"'{property}' is not a plain property name.", nameof(property));
        }

        await using var connection = await OpenAsync(cancellationToken);
        var candidates = await QueryAsync(connection, null,
            $"SELECT {Columns} FROM resources WHERE service = @s AND kind = @k AND {NormalizedJsonText(property)} = @v ORDER BY seq", cancellationToken,
            ("s", service.ToLowerInvariant()), ("k", kind), ("v", value.Trim('/').ToLowerInvariant()));

        // SQL's lower() may differ from .NET's outside ASCII: the store narrows, the comparison decides.
        return candidates
            .Where(r => r.Properties[property] is JsonValue v && v.TryGetValue<string>(out var text) && string.Equals(text.Trim('/'), value.Trim('/'), StringComparison.OrdinalIgnoreCase))
            .ToList();
    }

    public async Task<ResourceChanges> ReadChangesAsync(string service, long sinceRevision, CancellationToken cancellationToken = default)
    {
        var serviceKey = service.ToLowerInvariant();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await BeginSnapshotReadAsync(connection, cancellationToken);
        var value = await ScalarAsync(connection, tx, "SELECT revision FROM revisions WHERE service = @s", cancellationToken, ("s", serviceKey));
        var revision = value is null ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        if (sinceRevision <= 0 || sinceRevision > revision)
        {
            // From the start, or from a revision this store never had (another store, restored from a backup).
            var all = await QueryAsync(connection, tx, $"SELECT {Columns}, seq FROM resources WHERE service = @s ORDER BY seq", cancellationToken, ("s", serviceKey));
            return new ResourceChanges(revision, all, [], Full: true);
        }

        var written = await QueryAsync(connection, tx, $"SELECT {Columns}, seq FROM resources WHERE service = @s AND revision > @r ORDER BY seq", cancellationToken,
            ("s", serviceKey), ("r", sinceRevision));
        var deleted = new List<ResourceKey>();
        await using (var cmd = Command(connection, tx, "SELECT kind, parent_key, name_key FROM deletions WHERE service = @s AND revision > @r", [("s", serviceKey), ("r", sinceRevision)]))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                deleted.Add(new ResourceKey(serviceKey, reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        await tx.CommitAsync(cancellationToken);
        return new ResourceChanges(revision, written, deleted, Full: false);
    }

    /// <summary>Records the keys of the resources a delete is about to remove (same condition), at the change set's revision.</summary>
    private static Task RecordDeletionsAsync(DbConnection connection, DbTransaction tx, string where, long revision, List<(string, object?)> args, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, tx,
            $"""
            INSERT INTO deletions (service, kind, parent_key, name_key, revision)
            SELECT service, kind, parent_key, name_key, @rev FROM resources WHERE {where}
            ON CONFLICT (service, kind, parent_key, name_key) DO UPDATE SET revision = excluded.revision
            """, cancellationToken, [.. args, ("rev", revision)]);

    public async Task<long> ApplyAsync(string service, IReadOnlyList<ResourceChange> changes, CancellationToken cancellationToken = default)
    {
        var serviceKey = service.ToLowerInvariant();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await BeginWriteAsync(connection, cancellationToken);

        // Bumping the revision first takes the instance's row lock, so change sets of one instance are serialized.
        var revision = Convert.ToInt64(await ScalarAsync(connection, tx,
            "INSERT INTO revisions (service, revision) VALUES (@s, 1) ON CONFLICT (service) DO UPDATE SET revision = revisions.revision + 1 RETURNING revision",
            cancellationToken, ("s", serviceKey)), CultureInfo.InvariantCulture);
        var now = Now();
        foreach (var change in changes)
        {
            switch (change)
            {
                case ResourceChange.Put put:
                    var existing = await ScalarAsync(connection, tx,
                        "SELECT etag FROM resources WHERE service = @s AND kind = @k AND parent_key = @p AND name_key = @n", cancellationToken,
                        ("s", put.Key.ServiceKey), ("k", put.Key.Kind), ("p", put.Key.ParentKey), ("n", put.Key.NameKey)) as string;
                    CheckPrecondition(put.Key, existing, put.IfMatch);
                    if (put.IfNoneMatch && existing is not null)
                    {
                        throw new PreconditionFailedException($"The {put.Key.Kind} '{put.Key.Name}' already exists.");
                    }

                    await ExecuteAsync(connection, tx,
                        """
                        INSERT INTO resources (service, kind, parent_key, name_key, parent, name, properties, secrets, etag, created_at, updated_at, revision)
                        VALUES (@s, @k, @pk, @nk, @p, @n, @props, @sec, @e, @t, @t, @r)
                        ON CONFLICT (service, kind, parent_key, name_key) DO UPDATE SET
                          properties = excluded.properties, secrets = excluded.secrets, etag = excluded.etag,
                          updated_at = excluded.updated_at, revision = excluded.revision
                        """, cancellationToken,
                        ("s", put.Key.ServiceKey), ("k", put.Key.Kind), ("pk", put.Key.ParentKey), ("nk", put.Key.NameKey),
                        ("p", put.Key.Parent), ("n", put.Key.Name), ("props", put.Properties.ToJsonString()), ("sec", put.Secrets),
                        ("e", NewETag()), ("t", now), ("r", revision));
                    break;
                case ResourceChange.Delete delete:
                    if (delete.IfMatch is not null)
                    {
                        var current = await ScalarAsync(connection, tx,
                            "SELECT etag FROM resources WHERE service = @s AND kind = @k AND parent_key = @p AND name_key = @n", cancellationToken,
                            ("s", delete.Key.ServiceKey), ("k", delete.Key.Kind), ("p", delete.Key.ParentKey), ("n", delete.Key.NameKey)) as string;
                        CheckPrecondition(delete.Key, current, delete.IfMatch);
                    }

                    const string one = "service = @s AND kind = @k AND parent_key = @p AND name_key = @n";
                    List<(string, object?)> keyArgs = [("s", delete.Key.ServiceKey), ("k", delete.Key.Kind), ("p", delete.Key.ParentKey), ("n", delete.Key.NameKey)];
                    await RecordDeletionsAsync(connection, tx, one, revision, keyArgs, cancellationToken);
                    await ExecuteAsync(connection, tx, "DELETE FROM resources WHERE " + one, cancellationToken, [.. keyArgs]);
                    break;
                case ResourceChange.DeleteAll all:
                    var where = "service = @s AND kind = @k";
                    var args = new List<(string, object?)> { ("s", all.Service.ToLowerInvariant()), ("k", all.Kind) };
                    if (all.Parent is not null)
                    {
                        where += " AND parent_key = @p";
                        args.Add(("p", all.Parent.ToLowerInvariant()));
                    }

                    if (all.Name is not null)
                    {
                        where += " AND name_key = @n";
                        args.Add(("n", all.Name.ToLowerInvariant()));
                    }

                    await RecordDeletionsAsync(connection, tx, where, revision, args, cancellationToken);
                    await ExecuteAsync(connection, tx, "DELETE FROM resources WHERE " + where, cancellationToken, [.. args]);
                    break;
            }
        }

        await OnCommittingAsync(connection, tx, serviceKey, revision, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return revision;
    }

    /// <summary>Runs in a change set's transaction just before it commits (PostgreSQL notifies the other nodes).</summary>
    protected virtual Task OnCommittingAsync(DbConnection connection, DbTransaction tx, string service, long revision, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    public async Task<IReadOnlyDictionary<string, long>> GetRevisionsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = Command(connection, null, "SELECT service, revision FROM revisions", []);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var revisions = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        while (await reader.ReadAsync(cancellationToken))
        {
            revisions[reader.GetString(0)] = reader.GetInt64(1);
        }

        return revisions;
    }

    public abstract Task<IAsyncDisposable> LockWritesAsync(CancellationToken cancellationToken = default);

    public async Task<long> GetRevisionAsync(string service, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var value = await ScalarAsync(connection, null, "SELECT revision FROM revisions WHERE service = @s", cancellationToken, ("s", service.ToLowerInvariant()));
        return value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    public async Task<string?> GetSettingAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ScalarAsync(connection, null, "SELECT value FROM settings WHERE name = @n", cancellationToken, ("n", name)) as string;
    }

    public async Task<string> GetOrAddSettingAsync(string name, string value, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "INSERT INTO settings (name, value) VALUES (@n, @v) ON CONFLICT (name) DO NOTHING", cancellationToken, ("n", name), ("v", value));
        return (string)(await ScalarAsync(connection, null, "SELECT value FROM settings WHERE name = @n", cancellationToken, ("n", name)))!;
    }

    public async Task SetSettingAsync(string name, string value, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, "INSERT INTO settings (name, value) VALUES (@n, @v) ON CONFLICT (name) DO UPDATE SET value = excluded.value", cancellationToken, ("n", name), ("v", value));
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await ScalarAsync(connection, null, "SELECT 1", cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected static async Task ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(connection, tx, sql, parameters);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    protected static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(connection, tx, sql, parameters);
        var value = await cmd.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    private static async Task<List<StoredResource>> QueryAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(connection, tx, sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredResource>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = new ResourceKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
            var properties = (JsonNode.Parse(reader.GetString(4)) as JsonObject) ?? [];
            var secrets = reader.IsDBNull(5) ? null : reader.GetString(5);
            list.Add(new StoredResource(key, properties, secrets, reader.GetString(6),
                DateTimeOffset.Parse(reader.GetString(7), CultureInfo.InvariantCulture), DateTimeOffset.Parse(reader.GetString(8), CultureInfo.InvariantCulture))
            {
                Sequence = reader.FieldCount > 9 ? reader.GetInt64(9) : 0,
            });
        }

        return list;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        AddParameters(cmd, parameters);
        return cmd;
    }

    private static void CheckPrecondition(ResourceKey key, string? currentETag, string? ifMatch)
    {
        if (ifMatch is null)
        {
            return;
        }

        if (currentETag is null)
        {
            throw new PreconditionFailedException($"The {key.Kind} '{key.Name}' does not exist, so If-Match '{ifMatch}' cannot match.");
        }

        if (ifMatch != "*" && !string.Equals(ifMatch.Trim('"'), currentETag, StringComparison.Ordinal))
        {
            throw new PreconditionFailedException($"The {key.Kind} '{key.Name}' has changed: its ETag is no longer {ifMatch}.");
        }
    }

    private string Now() => TimeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private static string NewETag() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
