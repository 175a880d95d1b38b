using System.Data.Common;
using Npgsql;

namespace Tollgate.Management.Persistence;

/// <summary>
/// The scale-out store: PostgreSQL through Npgsql, shared by many management nodes. Writes with cross-resource rules
/// hold an advisory lock; every committed change set sends a <c>NOTIFY</c> so the other nodes republish the instance.
/// </summary>
public sealed class PostgresResourceStore : SqlResourceStore, IRevisionNotifications
{
    private const long MigrationLockId = 0x7011_6A7E;
    private const long WriteLockId = 0x7011_6A7F;

    /// <summary>The channel committed revisions are announced on; the payload is <c>{revision}:{instance}</c>.</summary>
    public const string RevisionChannel = "tollgate_revisions";

    private static readonly Migration[] AllMigrations = [SchemaV1("BIGSERIAL PRIMARY KEY", "BIGINT"), SchemaV2("BIGINT", "DOUBLE PRECISION", "BYTEA"), SchemaV3(), SchemaV4("BIGINT", PathExpression), SchemaV5("BIGINT")];

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _listenConnectionString;

    public PostgresResourceStore(string connectionString, TimeProvider timeProvider)
        : base(timeProvider)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
        // The listener has a connection of its own, never pooled (LISTEN is per session), with keepalives so a dead
        // server is noticed while it waits.
        _listenConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 15 }.ToString();
    }

    protected override async Task OnCommittingAsync(DbConnection connection, DbTransaction tx, string service, long revision, CancellationToken cancellationToken) =>
        // Delivered by PostgreSQL when (and only if) the transaction commits.
        await ExecuteAsync(connection, tx, "SELECT pg_notify(@c, @p)", cancellationToken,
            ("c", RevisionChannel), ("p", revision.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + service));

    public override async Task<IAsyncDisposable> LockWritesAsync(CancellationToken cancellationToken = default)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            // A session lock: released by the handle, or by PostgreSQL if this node dies holding it.
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({WriteLockId})", cancellationToken);
            return new WriteLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task ListenAsync(Func<Task> listening, Func<string, long, Task> changed, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_listenConnectionString);
        await connection.OpenAsync(cancellationToken);
        var received = new List<string>();
        connection.Notification += (_, e) => received.Add(e.Payload);
        await ExecuteAsync(connection, null, $"LISTEN {RevisionChannel}", cancellationToken);
        await listening();
        while (true)
        {
            await connection.WaitAsync(cancellationToken);
            var batch = received.ToArray();
            received.Clear();
            foreach (var payload in batch)
            {
                var colon = payload.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && long.TryParse(payload.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision))
                {
                    await changed(payload[(colon + 1)..], revision);
                }
            }
        }
    }

    protected override IReadOnlyList<Migration> Migrations => AllMigrations;

    protected override string RowIdColumn => "ctid";

    protected override string NormalizedJsonText(string property) => $"lower(btrim(properties::jsonb ->> '{property}', '/'))";

    /// <summary>The indexed expression of an API's path (the same text as the query's).</summary>
    private const string PathExpression = "lower(btrim(properties::jsonb ->> 'path', '/'))";

    protected override async Task<DbTransaction> BeginSnapshotReadAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);

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

    private sealed class WriteLock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({WriteLockId})", CancellationToken.None);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // The session is broken (its lock went with it): never hand this connection out again.
                NpgsqlConnection.ClearPool(connection);
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    private sealed class AdvisoryLock(DbConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() =>
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({MigrationLockId})", CancellationToken.None);
    }
}
