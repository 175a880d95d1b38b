using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules.Tables;

/// <summary>
/// Split Data (Data Transformation / Sample and Split), mode <c>Split Rows</c>: the first output gets
/// round(fraction × rows) rows (halves away from zero), the second the rest.
/// </summary>
/// <remarks>
/// Randomized: the rows are shuffled (Fisher–Yates with <see cref="Random"/> seeded by <c>Random seed</c>), the first
/// share going to the first output, so a seed always gives the same split. Not randomized: the first rows, in order.
/// Stratified: each value of the key column (missing being a value of its own) is split on its own with the same
/// fraction, so both outputs keep the key's proportions; the strata come in order of first appearance.
/// </remarks>
public sealed class SplitDataModule : TableModule
{
    public const string Name = "Split Data";
    public const string SplittingModeParameter = "Splitting mode";
    public const string FractionParameter = "Fraction of rows in the first output dataset";
    public const string RandomizedParameter = "Randomized split";
    public const string SeedParameter = "Random seed";
    public const string StratifiedParameter = "Stratified split";
    public const string KeyParameter = "Stratification key column";
    public const string SplitRows = "Split Rows";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Data Transformation / Sample and Split", "Partitions the rows of a dataset into two distinct sets.",
        [
            new ModuleParameter(SplittingModeParameter, ModuleParameterType.Enum, SplitRows, EnumValues: [SplitRows]),
            new ModuleParameter(FractionParameter, ModuleParameterType.Double, 0.5, 0, 1),
            new ModuleParameter(RandomizedParameter, ModuleParameterType.Boolean, true),
            new ModuleParameter(SeedParameter, ModuleParameterType.Int, 0, 0),
            new ModuleParameter(StratifiedParameter, ModuleParameterType.Boolean, false),
            new ModuleParameter(KeyParameter, ModuleParameterType.ColumnSelection, new ColumnSelection([])),
        ],
        [new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Results dataset1", PortDirection.Output), new ModulePort("Results dataset2", PortDirection.Output)]);

    /// <inheritdoc />
    public override IReadOnlyList<DataSchema?>? OutputSchemas(IReadOnlyList<object?> inputs, ModuleParameterValues parameters) =>
        inputs is [DataSchema schema, ..] ? [schema, schema] : null;

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        var (first, second) = Split(RequireTable(inputs, 0), parameters);
        return [first, second];
    }

    /// <summary>Splits <paramref name="table"/>.</summary>
    public (DataTable First, DataTable Second) Split(DataTable table, ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(parameters);
        var fraction = parameters.GetDouble(FractionParameter);
        var random = parameters.GetBoolean(RandomizedParameter) ? new Random(parameters.GetInt32(SeedParameter)) : null;
        var strata = new List<List<int>>();
        if (parameters.GetBoolean(StratifiedParameter))
        {
            var key = Resolve(parameters, KeyParameter, table.Schema);
            if (key.Count != 1)
            {
                throw new StudioModuleException(ModuleErrors.SingleColumnExpected(KeyParameter, key.Count));
            }

            var byValue = new Dictionary<object, List<int>>(CellComparer.Instance!);
            var missing = new List<int>();
            for (var r = 0; r < table.RowCount; r++)
            {
                if (table[key[0]].GetValue(r) is not { } value)
                {
                    if (missing.Count == 0)
                    {
                        strata.Add(missing);
                    }

                    missing.Add(r);
                }
                else if (byValue.TryGetValue(value, out var rows))
                {
                    rows.Add(r);
                }
                else
                {
                    byValue[value] = [r];
                    strata.Add(byValue[value]);
                }
            }
        }
        else
        {
            strata.Add(Enumerable.Range(0, table.RowCount).ToList());
        }

        var first = new List<int>();
        var second = new List<int>();
        foreach (var stratum in strata)
        {
            var rows = stratum.ToArray();
            random?.Shuffle(rows);
            var take = (int)Math.Round(fraction * rows.Length, MidpointRounding.AwayFromZero);
            first.AddRange(rows.Take(take));
            second.AddRange(rows.Skip(take));
        }

        return (table.TakeRows(first), table.TakeRows(second));
    }
}
