using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules.Tables;

/// <summary>
/// Edit Metadata (Data Transformation / Manipulation): changes the selected columns' data type, categorical flag,
/// role (feature / label) and names.
/// </summary>
/// <remarks>
/// Data types: <c>String</c>, <c>Integer</c> (Int32), <c>Double</c>, <c>Boolean</c>, <c>DateTime</c>; each cell is
/// converted through its text form (<see cref="CellText"/>), a Double to Integer only when it is a whole number. A cell
/// that does not convert gives Error 0018 naming the row. <c>Label</c> needs exactly one selected column and takes the
/// label role from any other column. <c>New column names</c> is a comma-separated list, one name per selected column.
/// </remarks>
public sealed class EditMetadataModule : TableModule
{
    public const string Name = "Edit Metadata";
    public const string ColumnParameter = "Column";
    public const string DataTypeParameter = "Data type";
    public const string CategoricalParameter = "Categorical";
    public const string FieldsParameter = "Fields";
    public const string NewNamesParameter = "New column names";
    public const string Unchanged = "Unchanged";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Data Transformation / Manipulation", "Edits metadata associated with columns in a dataset.",
        [
            new ModuleParameter(ColumnParameter, ModuleParameterType.ColumnSelection),
            new ModuleParameter(DataTypeParameter, ModuleParameterType.Enum, Unchanged, EnumValues: [Unchanged, "String", "Integer", "Double", "Boolean", "DateTime"]),
            new ModuleParameter(CategoricalParameter, ModuleParameterType.Enum, Unchanged, EnumValues: [Unchanged, "Categorical", "Make non-categorical"]),
            new ModuleParameter(FieldsParameter, ModuleParameterType.Enum, Unchanged, EnumValues: [Unchanged, "Features", "Label", "Clear feature", "Clear label"]),
            new ModuleParameter(NewNamesParameter, ModuleParameterType.String, ""),
        ],
        [new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Results dataset", PortDirection.Output)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default) =>
        [Edit(RequireTable(inputs, 0), parameters)];

    /// <summary>Edits the metadata of <paramref name="table"/>.</summary>
    public DataTable Edit(DataTable table, ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(parameters);
        var selected = Resolve(parameters, ColumnParameter, table.Schema);
        var names = parameters.GetString(NewNamesParameter).Split(',', StringSplitOptions.TrimEntries);
        var rename = !string.IsNullOrWhiteSpace(parameters.GetString(NewNamesParameter));
        if (rename && (names.Length != selected.Count || names.Any(string.IsNullOrEmpty)))
        {
            throw new StudioModuleException(ModuleErrors.ColumnCountMismatch(
                $"Parameter \"{NewNamesParameter}\" gives {names.Length} names for {selected.Count} selected columns.", NewNamesParameter));
        }

        var fields = parameters.GetString(FieldsParameter);
        if (fields == "Label" && selected.Count != 1)
        {
            throw new StudioModuleException(ModuleErrors.SingleColumnExpected(ColumnParameter, selected.Count));
        }

        var type = parameters.GetString(DataTypeParameter) switch
        {
            "String" => ColumnType.String,
            "Integer" => ColumnType.Int32,
            "Double" => ColumnType.Double,
            "Boolean" => ColumnType.Boolean,
            "DateTime" => ColumnType.DateTime,
            _ => (ColumnType?)null,
        };
        var categorical = parameters.GetString(CategoricalParameter);
        var columns = table.ToColumnList();
        if (fields == "Label")
        {
            for (var c = 0; c < columns.Count; c++)
            {
                if (columns[c].Metadata.Role == ColumnRole.Label)
                {
                    columns[c] = (columns[c].Schema, columns[c].Column, columns[c].Metadata with { Role = ColumnRole.None });
                }
            }
        }

        for (var i = 0; i < selected.Count; i++)
        {
            var c = selected[i];
            var (schema, column, metadata) = columns[c];
            if (type is { } target && target != schema.Type)
            {
                column = Convert(schema.Name, column, target, parameters.GetString(DataTypeParameter));
                schema = schema with { Type = target };
            }

            if (rename)
            {
                schema = new ColumnSchema(names[i], schema.Type);
            }

            metadata = categorical switch
            {
                "Categorical" => metadata with { IsCategorical = true },
                "Make non-categorical" => metadata with { IsCategorical = false },
                _ => metadata,
            };
            metadata = fields switch
            {
                "Features" => metadata with { Role = ColumnRole.Feature },
                "Label" => metadata with { Role = ColumnRole.Label },
                "Clear feature" when metadata.Role == ColumnRole.Feature => metadata with { Role = ColumnRole.None },
                "Clear label" when metadata.Role == ColumnRole.Label => metadata with { Role = ColumnRole.None },
                _ => metadata,
            };
            columns[c] = (schema, column, metadata);
        }

        var duplicate = columns.GroupBy(c => c.Schema.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new StudioModuleException(ModuleErrors.ParameterParse(NewNamesParameter, parameters.GetString(NewNamesParameter),
                $"names that are unique in the dataset (\"{duplicate.Key}\" would appear twice)"));
        }

        return DataTable.Create(columns);
    }

    private static DataColumn Convert(string name, DataColumn column, ColumnType target, string typeName)
    {
        var builder = DataColumnBuilder.Create(target, column.Length);
        for (var r = 0; r < column.Length; r++)
        {
            var value = column.GetValue(r);
            var text = value switch
            {
                null => null,
                double d when target is ColumnType.Int32 or ColumnType.Int64 && d == Math.Floor(d) && Math.Abs(d) < 1e18 => ((long)d).ToString(System.Globalization.CultureInfo.InvariantCulture),
                bool b when target != ColumnType.String => b ? "1" : "0",
                _ => column.GetText(r),
            };
            if (target == ColumnType.Boolean && text is "1" or "0")
            {
                text = text == "1" ? "True" : "False";
            }

            if (text is null)
            {
                builder.AppendMissing();
            }
            else if (!builder.TryAppendText(text))
            {
                throw new StudioModuleException(ModuleErrors.CannotConvertCell(name, r, text, typeName, DataTypeParameter));
            }
        }

        return builder.Build();
    }
}
