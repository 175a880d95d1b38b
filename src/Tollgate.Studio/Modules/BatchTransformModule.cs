using System.Runtime.CompilerServices;
using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules;

/// <summary>
/// A module instance that transforms a dataset batch by batch. Its output schema is known from the input schema before
/// any row is read, so a graph can be checked (and column errors reported) up front.
/// </summary>
/// <remarks>Instances may keep per-instance buffers: use one instance per stream, not concurrently.</remarks>
public abstract class BatchTransformModule
{
    /// <summary>Creates the module for batches of <paramref name="inputSchema"/>.</summary>
    protected BatchTransformModule(DataSchema inputSchema)
    {
        InputSchema = inputSchema ?? throw new ArgumentNullException(nameof(inputSchema));
    }

    /// <summary>The schema every input batch must have.</summary>
    public DataSchema InputSchema { get; }

    /// <summary>The schema of every output batch.</summary>
    public abstract DataSchema OutputSchema { get; }

    /// <summary>Transforms one batch.</summary>
    /// <exception cref="ArgumentException">The batch's schema is not <see cref="InputSchema"/>.</exception>
    public DataBatch Transform(DataBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!batch.Schema.Equals(InputSchema))
        {
            throw new ArgumentException($"The batch schema ({batch.Schema}) is not the module's input schema ({InputSchema}).", nameof(batch));
        }

        return TransformCore(batch);
    }

    /// <summary>Transforms a stream of batches lazily, one output batch per input batch.</summary>
    public async IAsyncEnumerable<DataBatch> TransformAsync(IAsyncEnumerable<DataBatch> batches,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        await foreach (var batch in batches.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Transform(batch);
        }
    }

    /// <summary>Transforms one batch whose schema has been checked.</summary>
    protected abstract DataBatch TransformCore(DataBatch batch);
}

/// <summary>Select Columns in Dataset: projects each batch onto the selected columns, in selection order.</summary>
public sealed class SelectColumnsModule : BatchTransformModule
{
    /// <summary>The Studio name of the column selection parameter.</summary>
    public const string SelectColumnsParameterName = "Select columns";

    private readonly int[] _indices;

    /// <summary>Creates the module; resolves <paramref name="selection"/> against <paramref name="inputSchema"/>.</summary>
    /// <exception cref="StudioModuleException">Error 0001 when a selected column does not exist.</exception>
    public SelectColumnsModule(DataSchema inputSchema, ColumnSelection selection)
        : base(inputSchema)
    {
        ArgumentNullException.ThrowIfNull(selection);
        _indices = selection.Resolve(inputSchema, SelectColumnsParameterName).ToArray();
        OutputSchema = new DataSchema(_indices.Select(i => inputSchema[i]));
    }

    /// <summary>Creates the module from bound parameters of <see cref="BuiltInModules.SelectColumns"/>.</summary>
    public SelectColumnsModule(DataSchema inputSchema, ModuleParameterValues parameters)
        : this(inputSchema, (parameters ?? throw new ArgumentNullException(nameof(parameters))).GetColumnSelection(SelectColumnsParameterName))
    {
    }

    /// <summary>The 0-based input column indices, in output order.</summary>
    public IReadOnlyList<int> ColumnIndices => _indices;

    /// <inheritdoc />
    public override DataSchema OutputSchema { get; }

    /// <inheritdoc />
    protected override DataBatch TransformCore(DataBatch batch) =>
        new(OutputSchema, _indices.Select(i => batch[i]).ToArray());
}
