using System.Data.Common;
using Npgsql;

namespace Tollgate.Studio.Storage;

/// <summary>
/// The scale-out store: PostgreSQL through Npgsql, shared by every Studio node. Schema changes and the workspace's
/// creation hold an advisory lock; the BES job claim locks the row it takes with <c>FOR UPDATE SKIP LOCKED</c>.
/// </summary>
public sealed class PostgresStudioDialect : StudioSqlDialect
{
    // Not the management store's lock ids (0x70116A7E, 0x70116A7F): both may share one database.
    private const long SchemaLockId = 0x7011_5700;

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>The dialect of the PostgreSQL database of <paramref name="connectionString"/>.</summary>
    public PostgresStudioDialect(string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public override string Name => "postgres";

    public override string BigInt => "BIGINT";

    public override string CaseInsensitive => "";

    public override string CaseInsensitiveUnique => "";

    public override string SchemaV1Extra => """
        CREATE UNIQUE INDEX IF NOT EXISTS studio_datasets_name ON studio_datasets (lower(name));
        CREATE INDEX IF NOT EXISTS studio_trained_models_lower_name ON studio_trained_models (lower(name), created);
        """;

    // One workspace per database: two nodes starting at once must not create two.
    public override string SchemaV2Extra => "CREATE UNIQUE INDEX IF NOT EXISTS studio_workspace_one ON studio_workspace ((true));";

    public override string SkipLocked => " FOR UPDATE SKIP LOCKED";

    public override bool SingleNode => false;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    public override DbConnection Open() => _dataSource.OpenConnection();

    public override async Task<IAsyncDisposable?> LockSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({SchemaLockId})", cancellationToken);
        return new AdvisoryLock(connection);
    }

    public override bool IsUniqueViolation(Exception exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await base.DisposeAsync();
    }

    private sealed class AdvisoryLock(DbConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({SchemaLockId})", CancellationToken.None);
    }
}
