using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules.Tables;

/// <summary>
/// Apply SQL Transformation (Data Transformation / Manipulation): runs a SQLite script over up to three datasets, loaded
/// as tables <c>t1</c>, <c>t2</c>, <c>t3</c> of a private in-memory database; the last statement that returns rows gives
/// the result.
/// </summary>
/// <remarks>
/// <para>Column types go in as SQLite declared types <c>INT32</c>, <c>INT64</c>, <c>DOUBLE</c>, <c>BOOLEAN</c> (0/1),
/// <c>DATETIME</c> (ISO 8601 text) and <c>TEXT</c>, and a result column taken straight from a table keeps its type. Any
/// other result column is typed by its values: all integers → Int64, integers and reals → Double, otherwise String.</para>
/// <para>The script cannot reach outside its database: <c>ATTACH</c>, <c>DETACH</c>, <c>PRAGMA</c> and <c>VACUUM</c>
/// are refused, extensions are not loadable, and a script running longer than <see cref="Timeout"/> or returning more
/// than <see cref="MaxRows"/> rows is stopped. Every failure is Error 0069 with SQLite's message.</para>
/// </remarks>
public sealed partial class ApplySqlTransformationModule : TableModule
{
    public const string Name = "Apply SQL Transformation";
    public const string ScriptParameter = "SQL Query Script";

    /// <summary>The most rows a script may return.</summary>
    public const int MaxRows = 5_000_000;

    private const int SqliteOk = 0;
    private const int SqliteDeny = 1;
    private const int SqlitePragma = 19;
    private const int SqliteAttach = 24;
    private const int SqliteDetach = 25;
    private const int SqliteLimitAttached = 7;

    private static readonly string[] TableNames = ["t1", "t2", "t3"];
    private readonly TimeProvider _time;

    /// <summary>Creates the module; <paramref name="time"/> measures <see cref="Timeout"/>.</summary>
    public ApplySqlTransformationModule(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>How long a script may run.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Data Transformation / Manipulation", "Runs a SQLite query on input datasets to transform the data.",
        [new ModuleParameter(ScriptParameter, ModuleParameterType.String, "select * from t1;")],
        [new ModulePort("Table1", PortDirection.Input), new ModulePort("Table2", PortDirection.Input), new ModulePort("Table3", PortDirection.Input)],
        [new ModulePort("Results dataset", PortDirection.Output)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(parameters);
        var tables = Enumerable.Range(0, 3).Select(i => i < inputs.Count ? inputs[i] as DataTable : null).ToArray();
        if (tables[0] is null)
        {
            RequireTable(inputs, 0);
        }

        return [Execute(parameters.GetString(ScriptParameter), tables, cancellationToken)];
    }

    /// <summary>Runs <paramref name="script"/> over <paramref name="tables"/> (t1, t2, t3; null = absent).</summary>
    public DataTable Execute(string script, IReadOnlyList<DataTable?> tables, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (string.IsNullOrWhiteSpace(script))
        {
            throw new StudioModuleException(ModuleErrors.ParameterNullOrEmpty(ScriptParameter));
        }

        using var timeout = new CancellationTokenSource(Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            using var connection = new SqliteConnection("Data Source=:memory:;Pooling=False");
            connection.Open();
            for (var i = 0; i < tables.Count && i < TableNames.Length; i++)
            {
                if (tables[i] is { } table)
                {
                    Load(connection, TableNames[i], table);
                }
            }

            var db = connection.Handle!;
            raw.sqlite3_limit(db, SqliteLimitAttached, 0);
            raw.sqlite3_set_authorizer(db, Authorize, null);
            var token = linked.Token;
            raw.sqlite3_progress_handler(db, 10_000, _ => token.IsCancellationRequested ? 1 : 0, null);
            if (VacuumStatement().IsMatch(script))
            {
                throw new StudioModuleException(ModuleErrors.SqlFailed("VACUUM is not allowed."));
            }

            using var command = connection.CreateCommand();
            command.CommandText = script;
            using var reader = command.ExecuteReader();
            DataTable? result = null;
            do
            {
                if (reader.FieldCount > 0)
                {
                    result = ReadResult(reader, token);
                }
            }
            while (reader.NextResult());

            return result ?? throw new StudioModuleException(ModuleErrors.SqlFailed("the script returns no table; end it with a SELECT."));
        }
        catch (SqliteException ex)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            var message = timeout.IsCancellationRequested
                ? $"the script ran longer than {Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} seconds."
                : ex.Message.Replace("SQLite Error " + ex.SqliteErrorCode.ToString(CultureInfo.InvariantCulture) + ": ", "", StringComparison.Ordinal);
            throw new StudioModuleException(ModuleErrors.SqlFailed(message));
        }
    }

    private static int Authorize(object userData, int actionCode, string param0, string param1, string dbName, string triggerOrView) =>
        actionCode is SqlitePragma or SqliteAttach or SqliteDetach ? SqliteDeny : SqliteOk;

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string DeclaredType(ColumnType type) => type switch
    {
        ColumnType.Int32 => "INT32",
        ColumnType.Int64 => "INT64",
        ColumnType.Double => "DOUBLE",
        ColumnType.Boolean => "BOOLEAN",
        ColumnType.DateTime => "DATETIME",
        _ => "TEXT",
    };

    private static void Load(SqliteConnection connection, string tableName, DataTable table)
    {
        using var transaction = connection.BeginTransaction();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = $"CREATE TABLE {tableName} ({string.Join(", ", table.Schema.Select(c => Quote(c.Name) + " " + DeclaredType(c.Type)))})";
            create.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT INTO {tableName} VALUES ({string.Join(", ", Enumerable.Range(0, table.Schema.Count).Select(i => "$p" + i.ToString(CultureInfo.InvariantCulture)))})";
        var parameters = Enumerable.Range(0, table.Schema.Count).Select(i => insert.Parameters.Add("$p" + i.ToString(CultureInfo.InvariantCulture), SqliteType.Text)).ToArray();
        for (var r = 0; r < table.RowCount; r++)
        {
            for (var c = 0; c < parameters.Length; c++)
            {
                var (value, type) = table.GetValue(r, c) switch
                {
                    null => ((object)DBNull.Value, SqliteType.Text),
                    int i => (i, SqliteType.Integer),
                    long l => (l, SqliteType.Integer),
                    double d => (d, SqliteType.Real),
                    bool b => (b ? 1L : 0L, SqliteType.Integer),
                    DateTime t => (CellText.Format(t), SqliteType.Text),
                    var other => (CellText.Format(other)!, SqliteType.Text),
                };
                parameters[c].SqliteType = type;
                parameters[c].Value = value;
            }

            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static DataTable ReadResult(SqliteDataReader reader, CancellationToken token)
    {
        var count = reader.FieldCount;
        var rows = new List<object?[]>();
        var declared = new ColumnType?[count];
        var haveDeclared = false;
        while (reader.Read())
        {
            if (!haveDeclared)
            {
                for (var c = 0; c < count; c++)
                {
                    declared[c] = reader.GetDataTypeName(c).ToUpperInvariant() switch
                    {
                        "INT32" => ColumnType.Int32,
                        "INT64" => ColumnType.Int64,
                        "DOUBLE" => ColumnType.Double,
                        "BOOLEAN" => ColumnType.Boolean,
                        "DATETIME" => ColumnType.DateTime,
                        _ => null,
                    };
                }

                haveDeclared = true;
            }

            if (rows.Count >= MaxRows)
            {
                throw new StudioModuleException(ModuleErrors.SqlFailed($"the result has more than {MaxRows.ToString(CultureInfo.InvariantCulture)} rows."));
            }

            token.ThrowIfCancellationRequested();
            var row = new object?[count];
            for (var c = 0; c < count; c++)
            {
                row[c] = reader.IsDBNull(c) ? null : reader.GetValue(c);
            }

            rows.Add(row);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var columns = new List<(ColumnSchema, DataColumn, ColumnMetadata)>();
        for (var c = 0; c < count; c++)
        {
            var values = rows.Select(r => r[c]).ToArray();
            var type = declared[c] ?? Infer(values);
            var builder = DataColumnBuilder.Create(type, rows.Count);
            foreach (var value in values)
            {
                switch (value)
                {
                    case null:
                        builder.AppendMissing();
                        break;
                    case long l when type == ColumnType.Int32 && l is >= int.MinValue and <= int.MaxValue:
                        builder.AppendValue((int)l);
                        break;
                    case long l when type == ColumnType.Boolean:
                        builder.AppendValue(l != 0);
                        break;
                    case long l when type == ColumnType.Double:
                        builder.AppendValue((double)l);
                        break;
                    case byte[] blob:
                        builder.AppendValue(Convert.ToBase64String(blob));
                        break;
                    default:
                        if (value.GetType() == DataColumn.ClrType(type))
                        {
                            builder.AppendValue(value);
                        }
                        else if (!builder.TryAppendText(CellText.Format(value)))
                        {
                            builder.AppendMissing();
                        }

                        break;
                }
            }

            var name = UniqueName(string.IsNullOrEmpty(reader.GetName(c)) ? "Column" + (c + 1).ToString(CultureInfo.InvariantCulture) : reader.GetName(c), names);
            columns.Add((new ColumnSchema(name, type), builder.Build(), ColumnMetadata.Default));
        }

        return DataTable.Create(columns);
    }

    private static ColumnType Infer(object?[] values)
    {
        var present = values.Where(v => v is not null).ToArray();
        if (present.Length == 0 || present.Any(v => v is string or byte[]))
        {
            return ColumnType.String;
        }

        return present.All(v => v is long) ? ColumnType.Int64 : ColumnType.Double;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(^|;)\s*vacuum\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex VacuumStatement();
}
