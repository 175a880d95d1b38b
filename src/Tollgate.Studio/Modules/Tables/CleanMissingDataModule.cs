using System.Globalization;
using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules.Tables;

/// <summary>
/// Clean Missing Data (Data Transformation / Manipulation): replaces, or removes the rows or columns of, missing values
/// in the selected columns whose missing ratio lies within [minimum, maximum].
/// </summary>
/// <remarks>
/// Mean and median need numeric columns (Error 0017 otherwise); in an Int32 / Int64 column they are rounded to the
/// nearest integer, halves away from zero ([I]: the column keeps its type). The mode is the most frequent value, the
/// smallest on a tie. A column with no value at all keeps its missing cells under mean / median / mode. The missing
/// value indicator columns, <c>&lt;column&gt;_IsMissing</c> (Boolean), are appended after the other columns.
/// </remarks>
public sealed class CleanMissingDataModule : TableModule
{
    public const string Name = "Clean Missing Data";
    public const string ColumnsParameter = "Columns to be cleaned";
    public const string MinimumRatioParameter = "Minimum missing value ratio";
    public const string MaximumRatioParameter = "Maximum missing value ratio";
    public const string ModeParameter = "Cleaning mode";
    public const string ReplacementParameter = "Replacement value";
    public const string IndicatorParameter = "Generate missing value indicator column";

    public const string CustomValue = "Custom substitution value";
    public const string Mean = "Replace with mean";
    public const string Median = "Replace with median";
    public const string Mode = "Replace with mode";
    public const string RemoveRow = "Remove entire row";
    public const string RemoveColumn = "Remove entire column";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Data Transformation / Manipulation", "Specifies how to handle the values missing from a dataset.",
        [
            new ModuleParameter(ColumnsParameter, ModuleParameterType.ColumnSelection, ColumnSelection.AllColumns()),
            new ModuleParameter(MinimumRatioParameter, ModuleParameterType.Double, 0.0, 0, 1),
            new ModuleParameter(MaximumRatioParameter, ModuleParameterType.Double, 1.0, 0, 1),
            new ModuleParameter(ModeParameter, ModuleParameterType.Enum, CustomValue, EnumValues: [CustomValue, Mean, Median, Mode, RemoveRow, RemoveColumn]),
            new ModuleParameter(ReplacementParameter, ModuleParameterType.String, "0"),
            new ModuleParameter(IndicatorParameter, ModuleParameterType.Boolean, false),
        ],
        [new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Cleaned dataset", PortDirection.Output), new ModulePort("Cleaning transformation", PortDirection.Output, ModulePort.Transform)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var table = RequireTable(inputs, 0);
        var (cleaned, transformation) = Clean(table, parameters);
        return [cleaned, transformation];
    }

    /// <summary>Cleans <paramref name="table"/>; returns the cleaned dataset and the transformation to apply to other data.</summary>
    public (DataTable Cleaned, CleaningTransformation Transformation) Clean(DataTable table, ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(parameters);
        var min = parameters.GetDouble(MinimumRatioParameter);
        var max = parameters.GetDouble(MaximumRatioParameter);
        if (min > max)
        {
            throw new StudioModuleException(ModuleErrors.ParameterAboveMaximum(MinimumRatioParameter, 1)
                with { Message = $"Parameter \"{MinimumRatioParameter}\" should be less than or equal to \"{MaximumRatioParameter}\"." });
        }

        var mode = parameters.GetString(ModeParameter);
        var selected = Resolve(parameters, ColumnsParameter, table.Schema);
        var targets = new List<int>();
        foreach (var c in selected)
        {
            var column = table[c];
            var missing = 0;
            for (var r = 0; r < column.Length; r++)
            {
                missing += column.IsMissing(r) ? 1 : 0;
            }

            var ratio = table.RowCount == 0 ? 0 : (double)missing / table.RowCount;
            if (missing > 0 && ratio >= min && ratio <= max)
            {
                targets.Add(c);
            }
        }

        var replacements = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (mode is Mean or Median)
        {
            RequireNumeric(table.Schema, targets, ColumnsParameter);
        }

        foreach (var c in targets)
        {
            var name = table.Schema[c].Name;
            var type = table.Schema[c].Type;
            replacements[name] = mode switch
            {
                CustomValue => ParseReplacement(parameters.GetString(ReplacementParameter), type),
                Mean => Statistic(table[c], type, values => values.Average()),
                Median => Statistic(table[c], type, MedianOf),
                Mode => ModeOf(table[c]),
                _ => null,
            };
        }

        var transformation = new CleaningTransformation(mode, targets.Select(c => table.Schema[c]).ToArray(), replacements,
            parameters.GetBoolean(IndicatorParameter));
        return (transformation.Apply(table), transformation);
    }

    private static object ParseReplacement(string text, ColumnType type)
    {
        var builder = DataColumnBuilder.Create(type, 1);
        if (string.IsNullOrEmpty(text) || !builder.TryAppendText(text))
        {
            throw new StudioModuleException(ModuleErrors.ParameterParse(ReplacementParameter, text, type.ToString()));
        }

        return builder.Build().GetValue(0)!;
    }

    private static object? Statistic(DataColumn column, ColumnType type, Func<List<double>, double> statistic)
    {
        var values = new List<double>();
        for (var r = 0; r < column.Length; r++)
        {
            if (DataTable.GetNumber(column, r) is { } v)
            {
                values.Add(v);
            }
        }

        if (values.Count == 0)
        {
            return null;
        }

        var result = statistic(values);
        return type switch
        {
            ColumnType.Int32 => (object)(int)Math.Round(result, MidpointRounding.AwayFromZero),
            ColumnType.Int64 => (long)Math.Round(result, MidpointRounding.AwayFromZero),
            _ => result,
        };
    }

    internal static double MedianOf(List<double> values)
    {
        values.Sort();
        var n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }

    private static object? ModeOf(DataColumn column)
    {
        var counts = new Dictionary<object, int>();
        for (var r = 0; r < column.Length; r++)
        {
            if (column.GetValue(r) is { } v)
            {
                counts[v] = counts.GetValueOrDefault(v) + 1;
            }
        }

        if (counts.Count == 0)
        {
            return null;
        }

        var best = counts.Max(kv => kv.Value);
        return counts.Where(kv => kv.Value == best).Select(kv => kv.Key).Order(CellComparer.Instance).First();
    }
}

/// <summary>What Clean Missing Data learnt: the columns it cleans and how; applied the same way to other datasets.</summary>
public sealed class CleaningTransformation : ITableTransformation
{
    private readonly IReadOnlyDictionary<string, object?> _replacements;

    internal CleaningTransformation(string mode, IReadOnlyList<ColumnSchema> columns, IReadOnlyDictionary<string, object?> replacements, bool indicators)
    {
        CleaningMode = mode;
        Columns = columns;
        _replacements = replacements;
        Indicators = indicators;
    }

    /// <inheritdoc />
    public string ModuleName => CleanMissingDataModule.Name;

    /// <summary>The cleaning mode, e.g. <c>Replace with mean</c>.</summary>
    public string CleaningMode { get; }

    /// <summary>The columns cleaned.</summary>
    public IReadOnlyList<ColumnSchema> Columns { get; }

    /// <summary>Whether <c>_IsMissing</c> indicator columns are added.</summary>
    public bool Indicators { get; }

    /// <summary>The value that replaces a missing cell of <paramref name="column"/> (null: left missing).</summary>
    public object? ReplacementFor(string column) => _replacements.GetValueOrDefault(column);

    /// <inheritdoc />
    public DataTable Apply(DataTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var indices = new int[Columns.Count];
        for (var i = 0; i < Columns.Count; i++)
        {
            indices[i] = table.Schema.IndexOf(Columns[i].Name);
            if (indices[i] < 0)
            {
                throw new StudioModuleException(ModuleErrors.ColumnNotFound([Columns[i].Name]));
            }

            if (table.Schema[indices[i]].Type != Columns[i].Type)
            {
                throw new StudioModuleException(ModuleErrors.ColumnTypeNotSupported(Columns[i].Name, table.Schema[indices[i]].Type));
            }
        }

        var missingIn = indices.Select(c => Enumerable.Range(0, table.RowCount).Select(r => table[c].IsMissing(r)).ToArray()).ToArray();
        DataTable result;
        switch (CleaningMode)
        {
            case CleanMissingDataModule.RemoveRow:
                var keep = Enumerable.Range(0, table.RowCount).Where(r => !missingIn.Any(m => m[r])).ToArray();
                result = table.TakeRows(keep);
                missingIn = missingIn.Select(m => keep.Select(r => m[r]).ToArray()).ToArray();
                break;
            case CleanMissingDataModule.RemoveColumn:
                result = table.SelectColumns(Enumerable.Range(0, table.Schema.Count).Where(c => !indices.Contains(c)).ToArray());
                break;
            default:
                var columns = table.ToColumnList();
                for (var i = 0; i < indices.Length; i++)
                {
                    var c = indices[i];
                    if (ReplacementFor(Columns[i].Name) is not { } value)
                    {
                        continue;
                    }

                    var builder = DataColumnBuilder.Create(Columns[i].Type, table.RowCount);
                    for (var r = 0; r < table.RowCount; r++)
                    {
                        builder.AppendValue(missingIn[i][r] ? value : table[c].GetValue(r));
                    }

                    columns[c] = (columns[c].Schema, builder.Build(), columns[c].Metadata);
                }

                result = DataTable.Create(columns);
                break;
        }

        if (!Indicators)
        {
            return result;
        }

        var list = result.ToColumnList();
        var taken = new HashSet<string>(result.Schema.Names, StringComparer.Ordinal);
        for (var i = 0; i < indices.Length; i++)
        {
            var builder = DataColumnBuilder.Create(ColumnType.Boolean, missingIn[i].Length);
            foreach (var m in missingIn[i])
            {
                builder.AppendValue(m);
            }

            var name = Columns[i].Name + "_IsMissing";
            for (var n = 2; taken.Contains(name); n++)
            {
                name = $"{Columns[i].Name}_IsMissing ({n.ToString(CultureInfo.InvariantCulture)})";
            }

            taken.Add(name);
            list.Add((new ColumnSchema(name, ColumnType.Boolean), builder.Build(), ColumnMetadata.Default));
        }

        return DataTable.Create(list);
    }
}

/// <summary>Orders boxed cell values: numbers numerically, text ordinally, Booleans false first, dates by time; missing first.</summary>
public sealed class CellComparer : IComparer<object?>, IEqualityComparer<object?>
{
    /// <summary>The comparer, ordinal for text.</summary>
    public static CellComparer Instance { get; } = new(StringComparer.Ordinal);

    /// <summary>The comparer ignoring the case of text.</summary>
    public static CellComparer IgnoreCase { get; } = new(StringComparer.OrdinalIgnoreCase);

    private readonly StringComparer _text;

    private CellComparer(StringComparer text) => _text = text;

    /// <inheritdoc />
    public int Compare(object? x, object? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        if (Number(x) is { } a && Number(y) is { } b)
        {
            return a.CompareTo(b);
        }

        return (x, y) switch
        {
            (string s, string t) => _text.Compare(s, t),
            (bool p, bool q) => p.CompareTo(q),
            (DateTime d, DateTime e) => d.CompareTo(e),
            _ => _text.Compare(CellText.Format(x), CellText.Format(y)),
        };
    }

    /// <inheritdoc />
    public new bool Equals(object? x, object? y) => Compare(x, y) == 0;

    /// <inheritdoc />
    public int GetHashCode(object? obj) => obj switch
    {
        null => 0,
        string s => _text.GetHashCode(s),
        _ when Number(obj) is { } d => d.GetHashCode(),
        _ => obj.GetHashCode(),
    };

    private static double? Number(object value) => value switch
    {
        int i => i,
        long l => l,
        double d => d,
        _ => null,
    };
}
