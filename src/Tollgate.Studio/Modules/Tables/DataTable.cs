using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules.Tables;

/// <summary>The role Studio's Edit Metadata gives a column (the <c>Fields</c> option).</summary>
public enum ColumnRole
{
    /// <summary>No role: an ordinary column.</summary>
    None,

    /// <summary>Marked as a feature.</summary>
    Feature,

    /// <summary>Marked as the label.</summary>
    Label,
}

/// <summary>The Studio metadata of a column beyond its name and type.</summary>
/// <param name="IsCategorical">Whether the column is categorical.</param>
/// <param name="Role">Feature, label or none.</param>
public sealed record ColumnMetadata(bool IsCategorical = false, ColumnRole Role = ColumnRole.None)
{
    /// <summary>An ordinary column.</summary>
    public static ColumnMetadata Default { get; } = new();
}

/// <summary>
/// A whole dataset in memory, as the modules that need every row (statistics, joins, splits, training) see it: one
/// <see cref="DataBatch"/> with all rows plus each column's <see cref="ColumnMetadata"/>.
/// </summary>
public sealed class DataTable
{
    /// <summary>Creates a table; <paramref name="metadata"/> null = every column ordinary.</summary>
    public DataTable(DataBatch data, IReadOnlyList<ColumnMetadata>? metadata = null)
    {
        Data = data ?? throw new ArgumentNullException(nameof(data));
        Metadata = metadata?.ToArray() ?? Enumerable.Repeat(ColumnMetadata.Default, data.Schema.Count).ToArray();
        if (Metadata.Count != data.Schema.Count)
        {
            throw new ArgumentException($"The table has {data.Schema.Count} columns but {Metadata.Count} metadata entries.", nameof(metadata));
        }
    }

    /// <summary>The rows.</summary>
    public DataBatch Data { get; }

    /// <summary>The columns' names and types.</summary>
    public DataSchema Schema => Data.Schema;

    /// <summary>The number of rows.</summary>
    public int RowCount => Data.RowCount;

    /// <summary>The metadata of each column, in schema order.</summary>
    public IReadOnlyList<ColumnMetadata> Metadata { get; }

    /// <summary>The column at <paramref name="index"/>.</summary>
    public DataColumn this[int index] => Data[index];

    /// <summary>The column named <paramref name="name"/>.</summary>
    public DataColumn this[string name] => Data[name];

    /// <summary>An empty table of <paramref name="schema"/>.</summary>
    public static DataTable Empty(DataSchema schema, IReadOnlyList<ColumnMetadata>? metadata = null) =>
        new(new DataBatchBuilder(schema, 4).Build(), metadata);

    /// <summary>Gathers every batch of <paramref name="batches"/> into one table.</summary>
    public static DataTable FromBatches(DataSchema schema, IEnumerable<DataBatch> batches, IReadOnlyList<ColumnMetadata>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        var list = batches.ToList();
        if (list.Count == 1 && list[0].Schema.Equals(schema))
        {
            return new DataTable(list[0], metadata);
        }

        var builders = schema.Select(c => DataColumnBuilder.Create(c.Type, Math.Max(4, list.Sum(b => b.RowCount)))).ToArray();
        foreach (var batch in list)
        {
            if (!batch.Schema.Equals(schema))
            {
                throw new ArgumentException($"A batch has schema ({batch.Schema}), expected ({schema}).", nameof(batches));
            }

            for (var c = 0; c < builders.Length; c++)
            {
                Copy(batch[c], builders[c]);
            }
        }

        return new DataTable(new DataBatch(schema, builders.Select(b => b.Build()).ToArray()), metadata);
    }

    /// <summary>Gathers an asynchronous stream of batches into one table.</summary>
    public static async Task<DataTable> FromBatchesAsync(DataSchema schema, IAsyncEnumerable<DataBatch> batches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var list = new List<DataBatch>();
        await foreach (var batch in batches.WithCancellation(cancellationToken))
        {
            list.Add(batch);
        }

        return FromBatches(schema, list);
    }

    /// <summary>A table of the given rows (0-based, any order, repeats allowed), same columns and metadata.</summary>
    public DataTable TakeRows(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = new DataColumn[Schema.Count];
        for (var c = 0; c < columns.Length; c++)
        {
            var builder = DataColumnBuilder.Create(Schema[c].Type, rows.Count);
            var source = Data[c];
            foreach (var r in rows)
            {
                builder.AppendValue(source.GetValue(r));
            }

            columns[c] = builder.Build();
        }

        return new DataTable(new DataBatch(Schema, columns), Metadata);
    }

    /// <summary>A table of the given columns (by 0-based index, in that order), with their metadata.</summary>
    public DataTable SelectColumns(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return new DataTable(
            new DataBatch(new DataSchema(indices.Select(i => Schema[i])), indices.Select(i => Data[i]).ToArray()),
            indices.Select(i => Metadata[i]).ToArray());
    }

    /// <summary>A new table from columns, their schema entries and metadata.</summary>
    public static DataTable Create(IReadOnlyList<(ColumnSchema Schema, DataColumn Column, ColumnMetadata Metadata)> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        return new DataTable(
            new DataBatch(new DataSchema(columns.Select(c => c.Schema)), columns.Select(c => c.Column).ToArray()),
            columns.Select(c => c.Metadata).ToArray());
    }

    /// <summary>This table's columns as (schema, column, metadata) triples, to edit and pass to <see cref="Create"/>.</summary>
    public List<(ColumnSchema Schema, DataColumn Column, ColumnMetadata Metadata)> ToColumnList() =>
        Enumerable.Range(0, Schema.Count).Select(i => (Schema[i], Data[i], Metadata[i])).ToList();

    /// <summary>The boxed value at (<paramref name="row"/>, <paramref name="column"/>), null when missing.</summary>
    public object? GetValue(int row, int column) => Data[column].GetValue(row);

    /// <summary>A numeric cell (Int32, Int64, Double; Boolean as 0/1) as a double, or null when missing.</summary>
    public static double? GetNumber(DataColumn column, int row) => column.GetValue(row) switch
    {
        null => null,
        int i => i,
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => null,
    };

    /// <summary>Whether a column type is numeric (Int32, Int64, Double).</summary>
    public static bool IsNumeric(ColumnType type) => type is ColumnType.Int32 or ColumnType.Int64 or ColumnType.Double;

    /// <summary>The index of the column marked <see cref="ColumnRole.Label"/>, or -1.</summary>
    public int LabelIndex
    {
        get
        {
            for (var i = 0; i < Metadata.Count; i++)
            {
                if (Metadata[i].Role == ColumnRole.Label)
                {
                    return i;
                }
            }

            return -1;
        }
    }

    private static void Copy(DataColumn source, DataColumnBuilder target)
    {
        for (var r = 0; r < source.Length; r++)
        {
            target.AppendValue(source.GetValue(r));
        }
    }
}
