using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules.Tables;

/// <summary>
/// Convert to Indicator Values (Data Transformation / Manipulation): turns each selected categorical column into one
/// Int32 0/1 column per distinct value, named <c>&lt;column&gt;-&lt;value&gt;</c>, values in ascending order (numbers by
/// value, text ordinally). A missing cell gives 0 in every indicator column.
/// </summary>
/// <remarks>
/// The columns must be categorical (Edit Metadata) or String, else Error 0056; at most 1,000 distinct values per
/// column ([I]; Error 0014). Without <c>Overwrite categorical columns</c> the indicator columns are appended after the
/// dataset's columns and the source column is kept; with it they take the source column's place.
/// </remarks>
public sealed class ConvertToIndicatorValuesModule : TableModule
{
    public const string Name = "Convert to Indicator Values";
    public const string ColumnsParameter = "Categorical columns to convert";
    public const string OverwriteParameter = "Overwrite categorical columns";

    /// <summary>The most distinct values a column may have.</summary>
    public const int MaxCategories = 1000;

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Data Transformation / Manipulation", "Converts categorical values in columns to indicator values.",
        [
            new ModuleParameter(ColumnsParameter, ModuleParameterType.ColumnSelection),
            new ModuleParameter(OverwriteParameter, ModuleParameterType.Boolean, false),
        ],
        [new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Results dataset", PortDirection.Output)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default) =>
        [Convert(RequireTable(inputs, 0), parameters)];

    /// <summary>Converts the selected columns of <paramref name="table"/>.</summary>
    public DataTable Convert(DataTable table, ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(parameters);
        var selected = Resolve(parameters, ColumnsParameter, table.Schema);
        foreach (var c in selected)
        {
            if (!table.Metadata[c].IsCategorical && table.Schema[c].Type != ColumnType.String)
            {
                throw new StudioModuleException(ModuleErrors.ColumnNotCategorical(table.Schema[c].Name, ColumnsParameter));
            }
        }

        var overwrite = parameters.GetBoolean(OverwriteParameter);
        var taken = new HashSet<string>(table.Schema.Names, StringComparer.Ordinal);
        if (overwrite)
        {
            foreach (var c in selected)
            {
                taken.Remove(table.Schema[c].Name);
            }
        }

        var indicators = new Dictionary<int, List<(ColumnSchema, DataColumn, ColumnMetadata)>>();
        foreach (var c in selected)
        {
            var column = table[c];
            var values = new SortedSet<object>(CellComparer.Instance!);
            for (var r = 0; r < table.RowCount; r++)
            {
                if (column.GetValue(r) is { } v)
                {
                    values.Add(v);
                    if (values.Count > MaxCategories)
                    {
                        throw new StudioModuleException(ModuleErrors.TooManyCategories(table.Schema[c].Name, MaxCategories));
                    }
                }
            }

            var list = new List<(ColumnSchema, DataColumn, ColumnMetadata)>();
            foreach (var value in values)
            {
                var builder = (ValueColumnBuilder<int>)DataColumnBuilder.Create(ColumnType.Int32, table.RowCount);
                for (var r = 0; r < table.RowCount; r++)
                {
                    builder.Append(column.GetValue(r) is { } v && CellComparer.Instance.Equals(v, value) ? 1 : 0);
                }

                var name = UniqueName($"{table.Schema[c].Name}-{CellText.Format(value)}", taken);
                list.Add((new ColumnSchema(name, ColumnType.Int32), builder.Build(), ColumnMetadata.Default with { Role = table.Metadata[c].Role == ColumnRole.Feature ? ColumnRole.Feature : ColumnRole.None }));
            }

            indicators[c] = list;
        }

        var output = new List<(ColumnSchema, DataColumn, ColumnMetadata)>();
        for (var c = 0; c < table.Schema.Count; c++)
        {
            if (overwrite && indicators.TryGetValue(c, out var replacing))
            {
                output.AddRange(replacing);
            }
            else
            {
                output.Add((table.Schema[c], table[c], table.Metadata[c]));
            }
        }

        if (!overwrite)
        {
            foreach (var c in selected)
            {
                output.AddRange(indicators[c]);
            }
        }

        return DataTable.Create(output);
    }
}
