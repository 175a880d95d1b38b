using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>One input column of a model and how it becomes features.</summary>
/// <param name="Name">The column name.</param>
/// <param name="Type">Its type at training time.</param>
/// <param name="Categories">For a String or categorical column: its training values, one indicator feature each; null for a numeric column.</param>
public sealed record FeatureColumn(string Name, ColumnType Type, IReadOnlyList<object>? Categories);

/// <summary>
/// Turns dataset rows into the float feature vectors the ML.NET trainers take, the same way at training and at scoring.
/// </summary>
/// <remarks>
/// Features are the columns marked <c>Features</c> by Edit Metadata, or else every column but the label. Int32, Int64,
/// Double and Boolean (0/1) columns give one feature each; String and categorical columns give one 0/1 feature per
/// value seen in training (at most <see cref="ConvertToIndicatorValuesModule.MaxCategories"/>; Error 0014), a value not
/// seen in training giving zeros ("Allow unknown categorical levels"). DateTime columns are not used. A missing cell
/// gives 0.
/// </remarks>
public sealed class Featurizer
{
    private readonly int[] _offsets;

    /// <summary>Creates a featurizer from its columns.</summary>
    public Featurizer(IReadOnlyList<FeatureColumn> columns)
    {
        Columns = columns ?? throw new ArgumentNullException(nameof(columns));
        _offsets = new int[columns.Count + 1];
        for (var i = 0; i < columns.Count; i++)
        {
            _offsets[i + 1] = _offsets[i] + (columns[i].Categories?.Count ?? 1);
        }
    }

    /// <summary>The input columns, in feature order.</summary>
    public IReadOnlyList<FeatureColumn> Columns { get; }

    /// <summary>The length of a feature vector.</summary>
    public int Length => _offsets[^1];

    /// <summary>Learns the features of <paramref name="table"/>, leaving out <paramref name="exclude"/> (the label, by index).</summary>
    /// <exception cref="StudioModuleException">Error 0014 for a text column with too many values; Error 0020 when nothing is left to learn from.</exception>
    public static Featurizer Learn(DataTable table, int exclude)
    {
        ArgumentNullException.ThrowIfNull(table);
        var marked = Enumerable.Range(0, table.Schema.Count).Where(c => table.Metadata[c].Role == ColumnRole.Feature && c != exclude).ToArray();
        var candidates = marked.Length > 0 ? marked : Enumerable.Range(0, table.Schema.Count).Where(c => c != exclude).ToArray();
        var columns = new List<FeatureColumn>();
        foreach (var c in candidates)
        {
            var schema = table.Schema[c];
            if (schema.Type == ColumnType.String || table.Metadata[c].IsCategorical)
            {
                var values = new SortedSet<object>(CellComparer.Instance!);
                for (var r = 0; r < table.RowCount; r++)
                {
                    if (table.GetValue(r, c) is { } v && values.Add(v) && values.Count > ConvertToIndicatorValuesModule.MaxCategories)
                    {
                        throw new StudioModuleException(ModuleErrors.TooManyCategories(schema.Name, ConvertToIndicatorValuesModule.MaxCategories));
                    }
                }

                columns.Add(new FeatureColumn(schema.Name, schema.Type, values.ToArray()));
            }
            else if (schema.Type != ColumnType.DateTime)
            {
                columns.Add(new FeatureColumn(schema.Name, schema.Type, null));
            }
        }

        var featurizer = new Featurizer(columns);
        return featurizer.Length > 0
            ? featurizer
            : throw new StudioModuleException(ModuleErrors.ColumnCountMismatch("The dataset has no feature column to learn from (numeric, Boolean, String or categorical).", "Dataset"));
    }

    /// <summary>Resolves the feature columns in <paramref name="schema"/> (Error 0001 when one is missing, 0017 when its type changed).</summary>
    public int[] Bind(DataSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var indices = new int[Columns.Count];
        var missing = new List<string>();
        for (var i = 0; i < Columns.Count; i++)
        {
            indices[i] = schema.IndexOf(Columns[i].Name);
            if (indices[i] < 0)
            {
                missing.Add(Columns[i].Name);
            }
            else if (Columns[i].Categories is null ? !IsNumberLike(schema[indices[i]].Type) : schema[indices[i]].Type != Columns[i].Type)
            {
                throw new StudioModuleException(ModuleErrors.ColumnTypeNotSupported(Columns[i].Name, schema[indices[i]].Type, "Dataset"));
            }
        }

        return missing.Count > 0 ? throw new StudioModuleException(ModuleErrors.ColumnNotFound(missing, "Dataset")) : indices;
    }

    /// <summary>The feature vector of row <paramref name="row"/> (<paramref name="indices"/> from <see cref="Bind"/>).</summary>
    public float[] Featurize(DataTable table, int[] indices, int row)
    {
        ArgumentNullException.ThrowIfNull(table);
        var features = new float[Length];
        for (var i = 0; i < Columns.Count; i++)
        {
            var value = table.GetValue(row, indices[i]);
            if (value is null)
            {
                continue;
            }

            if (Columns[i].Categories is { } categories)
            {
                var k = BinarySearch(categories, value);
                if (k >= 0)
                {
                    features[_offsets[i] + k] = 1;
                }
            }
            else
            {
                features[_offsets[i]] = (float)(DataTable.GetNumber(table[indices[i]], row) ?? 0);
            }
        }

        return features;
    }

    private static bool IsNumberLike(ColumnType type) => DataTable.IsNumeric(type) || type == ColumnType.Boolean;

    private static int BinarySearch(IReadOnlyList<object> sorted, object value)
    {
        int lo = 0, hi = sorted.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            var cmp = CellComparer.Instance.Compare(sorted[mid], value);
            if (cmp == 0)
            {
                return mid;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }
}
