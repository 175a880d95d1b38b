using Tollgate.Studio.Data;
using Tollgate.Studio.Modules.FeatureHashing;

namespace Tollgate.Studio.Modules;

/// <summary>
/// Feature Hashing (docs/studio-protocol.md §5): keeps every input column and appends, for each target String column in
/// selection order, 2^bits <see cref="ColumnType.Int32"/> count columns named <c>&lt;col&gt;_HashingFeature.&lt;i&gt;</c>
/// (<see cref="FeatureHashingOutput"/> renames on collision). A missing cell gives all-zero counts.
/// </summary>
public sealed class FeatureHashingModule : BatchTransformModule
{
    /// <summary>The Studio name of the target columns parameter.</summary>
    public const string TargetColumnsParameterName = "Target columns";

    private readonly FeatureHasher _hasher;
    private readonly int[] _targets;
    private readonly int _bucketCount;
    private readonly List<int> _features = [];
    private readonly List<int> _featureRows = [];
    private int[]? _perBucket;

    /// <summary>Creates the module and computes its output schema.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <param name="targetColumns">The columns to hash; null = every String column (the module's default).</param>
    /// <param name="hashingBitsize">Hashing bitsize, in [1;31].</param>
    /// <param name="nGrams">N-grams, in [0;10].</param>
    /// <exception cref="StudioParameterOutOfRangeException">A parameter is out of range (Error 0004 / 0005 / 0007).</exception>
    /// <exception cref="StudioModuleException">Error 0001 for a target column that does not exist, Error 0017 for a target
    /// column that is not String, Error 0007 ([I]) when the output would have more columns than a schema can hold.</exception>
    public FeatureHashingModule(DataSchema inputSchema, ColumnSelection? targetColumns,
        int hashingBitsize = FeatureHasher.DefaultHashingBitsize, int nGrams = FeatureHasher.DefaultNGrams)
        : base(inputSchema)
    {
        _hasher = new FeatureHasher(hashingBitsize, nGrams);
        var selection = targetColumns ?? ColumnSelection.ByType(ColumnType.String);
        _targets = selection.Resolve(inputSchema, TargetColumnsParameterName).ToArray();
        foreach (var index in _targets)
        {
            if (inputSchema[index].Type != ColumnType.String)
            {
                throw new StudioModuleException(
                    ModuleErrors.ColumnTypeNotSupported(inputSchema[index].Name, inputSchema[index].Type, TargetColumnsParameterName));
            }
        }

        const long maxColumns = int.MaxValue / 2;
        if (inputSchema.Count + (_hasher.BucketCount * _targets.Length) > maxColumns)
        {
            var maxBits = hashingBitsize - 1;
            while (maxBits > 1 && inputSchema.Count + ((1L << maxBits) * _targets.Length) > maxColumns)
            {
                maxBits--;
            }

            throw new StudioModuleException(ModuleErrors.ParameterAboveMaximum(FeatureHasher.HashingBitsizeParameterName, maxBits));
        }

        _bucketCount = (int)_hasher.BucketCount;
        var columns = new List<ColumnSchema>(inputSchema);
        var names = new List<string>(inputSchema.Names);
        foreach (var index in _targets)
        {
            var prefix = FeatureHashingOutput.GetColumnPrefix(inputSchema[index].Name, hashingBitsize, names);
            for (var i = 0; i < _bucketCount; i++)
            {
                var name = FeatureHashingOutput.GetColumnName(prefix, i);
                names.Add(name);
                columns.Add(new ColumnSchema(name, ColumnType.Int32));
            }
        }

        OutputSchema = new DataSchema(columns);
    }

    /// <summary>Creates the module from bound parameters of <see cref="BuiltInModules.FeatureHashing"/>.</summary>
    public FeatureHashingModule(DataSchema inputSchema, ModuleParameterValues parameters)
        : this(
            inputSchema,
            (parameters ?? throw new ArgumentNullException(nameof(parameters))).GetColumnSelection(TargetColumnsParameterName),
            parameters.GetInt32(FeatureHasher.HashingBitsizeParameterName),
            parameters.GetInt32(FeatureHasher.NGramsParameterName))
    {
    }

    /// <summary>The 0-based indices of the hashed input columns, in order.</summary>
    public IReadOnlyList<int> TargetColumnIndices => _targets;

    /// <inheritdoc />
    public override DataSchema OutputSchema { get; }

    /// <inheritdoc />
    protected override DataBatch TransformCore(DataBatch batch)
    {
        var rows = batch.RowCount;
        var output = new DataColumn[OutputSchema.Count];
        for (var c = 0; c < batch.Columns.Count; c++)
        {
            output[c] = batch[c];
        }

        // Each row touches a handful of the 2^bits buckets, so the count columns are built sparse: every feature of the
        // batch is collected as (bucket, row), then counted into per-bucket slices of two shared arrays, rows ascending.
        var next = batch.Columns.Count;
        var perBucket = _perBucket ??= new int[_bucketCount];
        var features = _features;
        foreach (var target in _targets)
        {
            var source = (StringColumn)batch[target];
            features.Clear();
            _featureRows.Clear();
            Array.Clear(perBucket);
            for (var r = 0; r < rows; r++)
            {
                var before = features.Count;
                _hasher.CollectBuckets(source[r].AsSpan(), features);
                for (var k = before; k < features.Count; k++)
                {
                    perBucket[features[k]]++;
                    _featureRows.Add(r);
                }
            }

            var start = new int[_bucketCount + 1];
            for (var b = 0; b < _bucketCount; b++)
            {
                start[b + 1] = start[b] + perBucket[b];
            }

            var cellRows = new int[features.Count];
            var cellValues = new int[features.Count];
            var end = (int[])start.Clone();
            for (var k = 0; k < features.Count; k++)
            {
                var b = features[k];
                var r = _featureRows[k];
                if (end[b] > start[b] && cellRows[end[b] - 1] == r)
                {
                    cellValues[end[b] - 1]++;
                }
                else
                {
                    cellRows[end[b]] = r;
                    cellValues[end[b]] = 1;
                    end[b]++;
                }
            }

            for (var b = 0; b < _bucketCount; b++)
            {
                output[next++] = new SparseInt32Column(cellRows, cellValues, start[b], end[b] - start[b], rows);
            }
        }

        return new DataBatch(OutputSchema, output);
    }
}
