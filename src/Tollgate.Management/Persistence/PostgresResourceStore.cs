using System.Data.Common;
using Npgsql;

namespace Tollgate.Management.Persistence;

/// <summary>The scale-out store: PostgreSQL through Npgsql, shared by many management nodes.</summary>
public sealed class PostgresResourceStore : SqlResourceStore
{
    private const long MigrationLockId = 0x7011_6A7E;

    private static readonly Migration[] AllMigrations = [SchemaV1("BIGSERIAL PRIMARY KEY", "BIGINT"), SchemaV2("BIGINT", "DOUBLE PRECISION", "BYTEA"), SchemaV3()];

    private readonly NpgsqlDataSource _dataSource;

    public PostgresResourceStore(string connectionString, TimeProvider timeProvider)
        : base(timeProvider)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    protected override IReadOnlyList<Migration> Migrations => AllMigrations;

    protected override string RowIdColumn => "ctid";

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
