namespace Tollgate.Studio.Data;

/// <summary>
/// An immutable slice of a table: <see cref="RowCount"/> rows stored column by column. Modules pass datasets
/// through a graph as <c>IAsyncEnumerable&lt;DataBatch&gt;</c>, so no stage needs a whole file in memory.
/// </summary>
public sealed class DataBatch
{
    /// <summary>The usual number of rows in a batch.</summary>
    public const int DefaultSize = 4096;

    private readonly DataColumn[] _columns;

    /// <summary>Creates a batch; the columns must match the schema's types and all have the same length.</summary>
    /// <exception cref="ArgumentException">The columns do not fit the schema or have different lengths.</exception>
    public DataBatch(DataSchema schema, IReadOnlyList<DataColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count != schema.Count)
        {
            throw new ArgumentException($"The schema has {schema.Count} columns but {columns.Count} were given.", nameof(columns));
        }

        _columns = columns.ToArray();
        RowCount = _columns.Length == 0 ? 0 : _columns[0].Length;
        for (var i = 0; i < _columns.Length; i++)
        {
            if (_columns[i].Type != schema[i].Type)
            {
                throw new ArgumentException($"Column '{schema[i].Name}' is {schema[i].Type} in the schema but {_columns[i].Type} in the data.", nameof(columns));
            }

            if (_columns[i].Length != RowCount)
            {
                throw new ArgumentException($"Column '{schema[i].Name}' has {_columns[i].Length} rows, expected {RowCount}.", nameof(columns));
            }
        }

        Schema = schema;
    }

    /// <summary>The columns' names and types.</summary>
    public DataSchema Schema { get; }

    /// <summary>The number of rows.</summary>
    public int RowCount { get; }

    /// <summary>The columns, in schema order.</summary>
    public IReadOnlyList<DataColumn> Columns => _columns;

    /// <summary>The column at <paramref name="index"/>.</summary>
    public DataColumn this[int index] => _columns[index];

    /// <summary>The column named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such column.</exception>
    public DataColumn this[string name] =>
        Schema.IndexOf(name) is var i and >= 0 ? _columns[i] : throw new KeyNotFoundException($"No column named '{name}'.");
}

/// <summary>Builds <see cref="DataBatch"/>es of one schema row by row; reusable after each <see cref="Build"/>.</summary>
public sealed class DataBatchBuilder
{
    private readonly DataColumnBuilder[] _builders;

    /// <summary>Creates a builder for <paramref name="schema"/> with room for <paramref name="capacity"/> rows.</summary>
    public DataBatchBuilder(DataSchema schema, int capacity = DataBatch.DefaultSize)
    {
        Schema = schema ?? throw new ArgumentNullException(nameof(schema));
        _builders = schema.Select(c => DataColumnBuilder.Create(c.Type, capacity)).ToArray();
    }

    /// <summary>The schema of the batches built.</summary>
    public DataSchema Schema { get; }

    /// <summary>The per-column builders, in schema order (append the same number of cells to each).</summary>
    public IReadOnlyList<DataColumnBuilder> Columns => _builders;

    /// <summary>The number of complete rows appended since the last <see cref="Build"/>.</summary>
    public int RowCount => _builders.Length == 0 ? 0 : _builders.Min(b => b.Count);

    /// <summary>Appends one row of boxed values (null = missing), one per column.</summary>
    public void AppendRow(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != _builders.Length)
        {
            throw new ArgumentException($"Expected {_builders.Length} values, got {values.Length}.", nameof(values));
        }

        for (var i = 0; i < values.Length; i++)
        {
            _builders[i].AppendValue(values[i]);
        }
    }

    /// <summary>Returns the appended rows as a batch and starts an empty one.</summary>
    /// <exception cref="InvalidOperationException">The columns have different numbers of cells.</exception>
    public DataBatch Build()
    {
        if (_builders.Length > 0 && _builders.Any(b => b.Count != _builders[0].Count))
        {
            throw new InvalidOperationException("The column builders hold different numbers of cells.");
        }

        return new DataBatch(Schema, _builders.Select(b => b.Build()).ToArray());
    }
}
