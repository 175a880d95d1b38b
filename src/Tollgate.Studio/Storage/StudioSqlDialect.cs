using System.Data.Common;

namespace Tollgate.Studio.Storage;

/// <summary>
/// What differs between the engines <see cref="StudioStore"/> runs on: connections, column types, the schema lock, how a
/// unique violation looks, and row locking for the BES job claim. Every query is written once, in the SQL both engines
/// speak (<c>@name</c> parameters, times as ISO-8601 text, <c>ON CONFLICT</c>, <c>RETURNING</c>).
/// </summary>
public abstract class StudioSqlDialect : IAsyncDisposable
{
    /// <summary>The engine's name in logs and errors (<c>sqlite</c>, <c>postgres</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The 64-bit integer column type.</summary>
    public abstract string BigInt { get; }

    /// <summary>The column suffix of a name compared without case (SQLite's <c>COLLATE NOCASE</c>; queries also compare <c>lower()</c>).</summary>
    public abstract string CaseInsensitive { get; }

    /// <summary>The column suffix of a dataset's name: unique whatever its case (PostgreSQL adds an index on <c>lower(name)</c> instead).</summary>
    public abstract string CaseInsensitiveUnique { get; }

    /// <summary>Statements run after the tables of schema version 1 exist (indexes the column syntax cannot say).</summary>
    public virtual string SchemaV1Extra => "";

    /// <summary>Statements of schema version 2 that only this engine needs.</summary>
    public virtual string SchemaV2Extra => "";

    /// <summary>
    /// What the job claim's sub-select appends to lock the row it picks without waiting for rows other nodes hold
    /// (PostgreSQL's <c>FOR UPDATE SKIP LOCKED</c>; nothing on SQLite, whose writers are serialized by the file lock).
    /// </summary>
    public virtual string SkipLocked => "";

    /// <summary>
    /// Whether only one process ever uses the store (SQLite's file): a job some process left <c>Running</c> with a lease
    /// belongs to a process that is gone, so the store frees it at start instead of waiting for its lease to end.
    /// </summary>
    public abstract bool SingleNode { get; }

    /// <summary>Opens a pooled connection.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Opens a pooled connection synchronously (metrics are read synchronously when scraped).</summary>
    public abstract DbConnection Open();

    /// <summary>Serializes schema changes and the workspace's creation across processes until disposed (null: nothing to release).</summary>
    public abstract Task<IAsyncDisposable?> LockSchemaAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="exception"/> is a unique constraint refusing a row.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>Releases the engine's pools.</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs one statement on <paramref name="connection"/>.</summary>
    protected static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
