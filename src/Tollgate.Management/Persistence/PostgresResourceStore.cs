using System.Data.Common;
using Npgsql;

namespace Tollgate.Management.Persistence;

/// <summary>The scale-out store: PostgreSQL through Npgsql, shared by many management nodes.</summary>
public sealed class PostgresResourceStore : SqlResourceStore
{
    private const long MigrationLockId = 0x7011_6A7E;

    private static readonly Migration[] AllMigrations =
    [
        new(1, "resources, revisions, settings", """
            CREATE TABLE resources (
              seq BIGSERIAL PRIMARY KEY,
              service TEXT NOT NULL, kind TEXT NOT NULL, parent_key TEXT NOT NULL, name_key TEXT NOT NULL,
              parent TEXT NOT NULL, name TEXT NOT NULL,
              properties TEXT NOT NULL, secrets TEXT NULL, etag TEXT NOT NULL,
              created_at TEXT NOT NULL, updated_at TEXT NOT NULL, revision BIGINT NOT NULL,
              UNIQUE (service, kind, parent_key, name_key));
            CREATE INDEX ix_resources_kind_name ON resources (service, kind, name_key);
            CREATE TABLE revisions (service TEXT PRIMARY KEY, revision BIGINT NOT NULL);
            CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            """),
    ];

    private readonly NpgsqlDataSource _dataSource;

    public PostgresResourceStore(string connectionString, TimeProvider timeProvider)
        : base(timeProvider)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    protected override IReadOnlyList<Migration> Migrations => AllMigrations;

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    protected override async Task<IAsyncDisposable> LockForMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({MigrationLockId})", cancellationToken);
        return new AdvisoryLock(connection);
    }

    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await base.DisposeAsync();
    }

    private sealed class AdvisoryLock(DbConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() =>
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({MigrationLockId})", CancellationToken.None);
    }
}
