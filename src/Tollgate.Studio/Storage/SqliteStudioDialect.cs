using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Tollgate.Studio.Storage;

/// <summary>The default: one SQLite file (WAL journal) under the data directory, used by one process.</summary>
public sealed class SqliteStudioDialect : StudioSqlDialect
{
    private readonly string _connectionString;

    /// <summary>The dialect of the SQLite database <paramref name="path"/>.</summary>
    public SqliteStudioDialect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public override string Name => "sqlite";

    public override string BigInt => "INTEGER";

    public override string CaseInsensitive => "COLLATE NOCASE";

    public override string CaseInsensitiveUnique => "COLLATE NOCASE UNIQUE";

    public override bool SingleNode => true;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public override DbConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    // One process per file: nothing to lock against.
    public override async Task<IAsyncDisposable?> LockSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken);
        return null;
    }

    // SQLITE_CONSTRAINT
    public override bool IsUniqueViolation(Exception exception) => exception is SqliteException { SqliteErrorCode: 19 };

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return base.DisposeAsync();
    }
}
