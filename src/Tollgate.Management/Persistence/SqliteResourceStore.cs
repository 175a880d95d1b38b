using Tollgate.Security;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Tollgate.Management.Persistence;

/// <summary>The default store: one SQLite file (WAL mode) under the data directory.</summary>
public sealed class SqliteResourceStore : SqlResourceStore
{
    private static readonly Migration[] AllMigrations = [SchemaV1("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"), SchemaV2("INTEGER", "REAL", "BLOB"), SchemaV3(), SchemaV4("INTEGER", PathExpression), SchemaV5("INTEGER")];

    private readonly string _connectionString;

    public SqliteResourceStore(string connectionString, TimeProvider timeProvider)
        : base(timeProvider)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true, DefaultTimeout = 30 };
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:")
        {
            PrivateFiles.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            // Owner-only before SQLite creates it (its -wal and -shm files take the database file's mode).
            PrivateFiles.Prepare(Path.GetFullPath(file));
        }

        _connectionString = builder.ToString();
    }

    /// <summary>Store in <c>{dataDirectory}/tollgate.db</c>.</summary>
    public static SqliteResourceStore ForDataDirectory(string dataDirectory, TimeProvider timeProvider) =>
        new($"Data Source={Path.Combine(dataDirectory, "tollgate.db")}", timeProvider);

    protected override IReadOnlyList<Migration> Migrations => AllMigrations;

    protected override string RowIdColumn => "rowid";

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);

        // WAL with synchronous=NORMAL: a commit is durable against process crashes without an fsync per commit.
        await ExecuteAsync(connection, null, "PRAGMA synchronous=NORMAL;", cancellationToken);
        return connection;
    }

    protected override async Task<IAsyncDisposable> LockForMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken);
        return NoLock.Instance;
    }

    // BeginTransaction() without "deferred" is BEGIN IMMEDIATE: writers queue on the file lock (busy timeout) instead of failing later.
    protected override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override string NormalizedJsonText(string property) => $"lower(trim(json_extract(properties, '$.{property}'), '/'))";

    /// <summary>The indexed expression of an API's path (the same text as the query's, or SQLite does not use the index).</summary>
    private const string PathExpression = "lower(trim(json_extract(properties, '$.path'), '/'))";

    protected override Task<DbTransaction> BeginSnapshotReadAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    /// <summary>One node per SQLite file: the callers' in-process gates already serialize writes.</summary>
    public override Task<IAsyncDisposable> LockWritesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IAsyncDisposable>(NoLock.Instance);

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return base.DisposeAsync();
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
