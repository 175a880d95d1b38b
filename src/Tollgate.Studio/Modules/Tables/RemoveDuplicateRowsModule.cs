namespace Tollgate.Studio.Modules.Tables;

/// <summary>
/// Remove Duplicate Rows (Data Transformation / Manipulation): keeps one row of each group of rows with equal values in
/// the key columns — the first or the last — in the dataset's order. Missing key values are equal to each other; text
/// compares ordinally and numbers by value.
/// </summary>
public sealed class RemoveDuplicateRowsModule : TableModule
{
    public const string Name = "Remove Duplicate Rows";
    public const string KeyParameter = "Key column selection filter expression";
    public const string RetainFirstParameter = "Retain first duplicate row";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Data Transformation / Manipulation", "Removes the duplicate rows from a dataset.",
        [
            new ModuleParameter(KeyParameter, ModuleParameterType.ColumnSelection),
            new ModuleParameter(RetainFirstParameter, ModuleParameterType.Boolean, true),
        ],
        [new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Results dataset", PortDirection.Output)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default) =>
        [RemoveDuplicates(RequireTable(inputs, 0), parameters)];

    /// <summary>Removes the duplicate rows of <paramref name="table"/>.</summary>
    public DataTable RemoveDuplicates(DataTable table, ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(parameters);
        var keys = Resolve(parameters, KeyParameter, table.Schema);
        var first = parameters.GetBoolean(RetainFirstParameter);
        var chosen = new Dictionary<RowKey, int>();
        for (var r = 0; r < table.RowCount; r++)
        {
            var key = new RowKey(keys.Select(c => table.GetValue(r, c)).ToArray());
            if (!first || !chosen.ContainsKey(key))
            {
                chosen[key] = r;
            }
        }

        return table.TakeRows(chosen.Values.Order().ToArray());
    }

    private readonly record struct RowKey(object?[] Values)
    {
        public bool Equals(RowKey other) =>
            Values.Length == other.Values.Length && Values.Zip(other.Values).All(p => CellComparer.Instance.Equals(p.First, p.Second));

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var value in Values)
            {
                hash.Add(CellComparer.Instance.GetHashCode(value));
            }

            return hash.ToHashCode();
        }
    }
}
