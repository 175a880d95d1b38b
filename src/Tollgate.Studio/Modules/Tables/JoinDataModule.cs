using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules.Tables;

/// <summary>
/// Join Data (Data Transformation / Manipulation): joins two datasets on key columns.
/// </summary>
/// <remarks>
/// Keys match when every key pair has equal values: numbers by value (an Int32 matches an equal Double), text ordinally,
/// ignoring case when <c>Match case</c> is off; a missing key matches nothing. Rows come in the left dataset's order,
/// each left row followed by its matches in the right dataset's order; a full outer join then adds the unmatched right
/// rows. The output has the left columns then the right ones (without the right keys when <c>Keep right key columns in
/// joined table</c> is off, in which case a full outer join fills the left keys of right-only rows from the right
/// keys); a right column whose name is taken is renamed <c>name (2)</c>. Left Semi-Join returns the left rows that have
/// a match, with the left columns only.
/// </remarks>
public sealed class JoinDataModule : TableModule
{
    public const string Name = "Join Data";
    public const string LeftKeysParameter = "Join key columns for L";
    public const string RightKeysParameter = "Join key columns for R";
    public const string MatchCaseParameter = "Match case";
    public const string JoinTypeParameter = "Join type";
    public const string KeepRightKeysParameter = "Keep right key columns in joined table";
    public const string InnerJoin = "Inner Join";
    public const string LeftOuterJoin = "Left Outer Join";
    public const string FullOuterJoin = "Full Outer Join";
    public const string LeftSemiJoin = "Left Semi-Join";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Data Transformation / Manipulation", "Joins two datasets.",
        [
            new ModuleParameter(LeftKeysParameter, ModuleParameterType.ColumnSelection),
            new ModuleParameter(RightKeysParameter, ModuleParameterType.ColumnSelection),
            new ModuleParameter(MatchCaseParameter, ModuleParameterType.Boolean, true),
            new ModuleParameter(JoinTypeParameter, ModuleParameterType.Enum, InnerJoin, EnumValues: [InnerJoin, LeftOuterJoin, FullOuterJoin, LeftSemiJoin]),
            new ModuleParameter(KeepRightKeysParameter, ModuleParameterType.Boolean, true),
        ],
        [new ModulePort("Dataset1", PortDirection.Input), new ModulePort("Dataset2", PortDirection.Input)],
        [new ModulePort("Results dataset", PortDirection.Output)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default) =>
        [Join(RequireTable(inputs, 0), RequireTable(inputs, 1), parameters)];

    /// <summary>Joins <paramref name="left"/> and <paramref name="right"/>.</summary>
    public DataTable Join(DataTable left, DataTable right, ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        ArgumentNullException.ThrowIfNull(parameters);
        var leftKeys = Resolve(parameters, LeftKeysParameter, left.Schema);
        var rightKeys = Resolve(parameters, RightKeysParameter, right.Schema);
        if (leftKeys.Count == 0 || leftKeys.Count != rightKeys.Count)
        {
            throw new StudioModuleException(ModuleErrors.ColumnCountMismatch(
                $"The join needs the same, non-zero number of key columns on both sides; L has {leftKeys.Count}, R has {rightKeys.Count}.", RightKeysParameter));
        }

        var comparer = parameters.GetBoolean(MatchCaseParameter) ? CellComparer.Instance : CellComparer.IgnoreCase;
        var keyComparer = new KeyComparer(comparer);
        var index = new Dictionary<object?[], List<int>>(keyComparer);
        for (var r = 0; r < right.RowCount; r++)
        {
            var key = Key(right, rightKeys, r);
            if (key is not null)
            {
                if (!index.TryGetValue(key, out var rows))
                {
                    index[key] = rows = [];
                }

                rows.Add(r);
            }
        }

        var joinType = parameters.GetString(JoinTypeParameter);
        var pairs = new List<(int Left, int Right)>();
        var rightMatched = new bool[right.RowCount];
        for (var l = 0; l < left.RowCount; l++)
        {
            var key = Key(left, leftKeys, l);
            if (key is not null && index.TryGetValue(key, out var matches))
            {
                if (joinType == LeftSemiJoin)
                {
                    pairs.Add((l, -1));
                    continue;
                }

                foreach (var r in matches)
                {
                    pairs.Add((l, r));
                    rightMatched[r] = true;
                }
            }
            else if (joinType is LeftOuterJoin or FullOuterJoin)
            {
                pairs.Add((l, -1));
            }
        }

        if (joinType == LeftSemiJoin)
        {
            return left.TakeRows(pairs.Select(p => p.Left).ToArray());
        }

        if (joinType == FullOuterJoin)
        {
            pairs.AddRange(Enumerable.Range(0, right.RowCount).Where(r => !rightMatched[r]).Select(r => (-1, r)));
        }

        var keepRightKeys = parameters.GetBoolean(KeepRightKeysParameter);
        var rightColumns = Enumerable.Range(0, right.Schema.Count).Where(c => keepRightKeys || !rightKeys.Contains(c)).ToArray();
        var taken = new HashSet<string>(left.Schema.Names, StringComparer.Ordinal);
        var output = new List<(ColumnSchema, DataColumn, ColumnMetadata)>();
        for (var c = 0; c < left.Schema.Count; c++)
        {
            var keyPosition = keepRightKeys ? -1 : IndexOf(leftKeys, c);
            output.Add((left.Schema[c], Gather(left.Schema[c].Type, pairs, p => p.Left >= 0
                ? left.GetValue(p.Left, c)
                : keyPosition >= 0 ? right.GetValue(p.Right, rightKeys[keyPosition]) : null), left.Metadata[c]));
        }

        foreach (var c in rightColumns)
        {
            var name = UniqueName(right.Schema[c].Name, taken);
            output.Add((new ColumnSchema(name, right.Schema[c].Type), Gather(right.Schema[c].Type, pairs, p => p.Right >= 0 ? right.GetValue(p.Right, c) : null), right.Metadata[c]));
        }

        return DataTable.Create(output);
    }

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private static DataColumn Gather(ColumnType type, List<(int Left, int Right)> pairs, Func<(int Left, int Right), object?> value)
    {
        var builder = DataColumnBuilder.Create(type, pairs.Count);
        foreach (var pair in pairs)
        {
            var v = value(pair);
            if (v is null || (DataColumn.ClrType(type) == v.GetType()))
            {
                builder.AppendValue(v);
            }
            else if (!builder.TryAppendText(CellText.Format(v)))
            {
                builder.AppendMissing();
            }
        }

        return builder.Build();
    }

    private static object?[]? Key(DataTable table, IReadOnlyList<int> keys, int row)
    {
        var key = new object?[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            key[i] = table.GetValue(row, keys[i]);
            if (key[i] is null)
            {
                return null;
            }
        }

        return key;
    }

    private sealed class KeyComparer(CellComparer cells) : IEqualityComparer<object?[]>
    {
        public bool Equals(object?[]? x, object?[]? y) =>
            x is not null && y is not null && x.Length == y.Length && x.Zip(y).All(p => cells.Equals(p.First, p.Second));

        public int GetHashCode(object?[] obj)
        {
            var hash = new HashCode();
            foreach (var value in obj)
            {
                hash.Add(cells.GetHashCode(value));
            }

            return hash.ToHashCode();
        }
    }
}
