using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules.Tables;

/// <summary>
/// A transformation learnt on one dataset and applied to others of the same columns: Clean Missing Data's
/// <c>Cleaning transformation</c>, Normalize Data's <c>Transformation function</c> (Studio's <c>ITransform</c> port type).
/// </summary>
public interface ITableTransformation
{
    /// <summary>The module that produced it, e.g. <c>Normalize Data</c>.</summary>
    string ModuleName { get; }

    /// <summary>Applies the transformation to <paramref name="table"/>.</summary>
    /// <exception cref="StudioModuleException">A column the transformation needs is missing or of another type.</exception>
    DataTable Apply(DataTable table);
}

/// <summary>
/// A module that sees whole datasets (statistics, joins, splits, training): several input and output ports, each a
/// <see cref="DataTable"/>, an <see cref="ITableTransformation"/> or a model. Values are passed by port position;
/// an unconnected optional input is null.
/// </summary>
public abstract class TableModule
{
    /// <summary>The module's palette entry (name, parameters and ports as in the Studio (classic) module reference).</summary>
    public abstract ModuleDefinition Definition { get; }

    /// <summary>Runs the module.</summary>
    /// <param name="inputs">One value per input port (null = not connected).</param>
    /// <param name="parameters">Parameters bound by <see cref="ModuleDefinition.Bind"/>.</param>
    /// <param name="cancellationToken">Stops a long run.</param>
    /// <returns>One value per output port.</returns>
    /// <exception cref="StudioModuleException">The module's Studio error.</exception>
    public abstract IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default);

    /// <summary>
    /// The schemas of the dataset outputs, when they follow from what is known before any row is read; null entries
    /// (or a null list, the default) are known only when the module runs.
    /// </summary>
    /// <param name="inputs">Per input port: the <see cref="DataSchema"/> of a dataset port when known, the value of a
    /// model port when known before the run (a saved trained model), else null.</param>
    /// <param name="parameters">The bound parameters.</param>
    /// <exception cref="StudioModuleException">The module's Studio error, found from the schemas alone.</exception>
    public virtual IReadOnlyList<DataSchema?>? OutputSchemas(IReadOnlyList<object?> inputs, ModuleParameterValues parameters) => null;

    /// <summary>
    /// For a module whose dataset output is computed row by row from one dataset input once its other inputs are
    /// known (Score Model), that input's port index; the graph then streams the rows through <see cref="RunRows"/>
    /// instead of collecting the whole dataset. Null (the default) for modules that need whole datasets.
    /// </summary>
    public virtual int? RowwisePort => null;

    /// <summary>Computes the output of some rows of the <see cref="RowwisePort"/> input, the other inputs given.</summary>
    /// <exception cref="StudioModuleException">The module's Studio error.</exception>
    public virtual DataTable RunRows(IReadOnlyList<object?> inputs, DataTable rows, ModuleParameterValues parameters) =>
        throw new NotSupportedException($"Module '{Definition.Name}' does not run row by row.");

    /// <summary>The input at <paramref name="index"/> as a dataset; Error 0003 when it is not connected.</summary>
    protected DataTable RequireTable(IReadOnlyList<object?> inputs, int index)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return index < inputs.Count && inputs[index] is DataTable table
            ? table
            : throw new StudioModuleException(ModuleErrors.InputNullOrEmpty(Definition.Inputs[index].Name));
    }

    /// <summary>Resolves a column selection against <paramref name="schema"/>; Error 0001 for unknown columns.</summary>
    protected static IReadOnlyList<int> Resolve(ModuleParameterValues parameters, string name, DataSchema schema) =>
        parameters.GetColumnSelection(name).Resolve(schema, name);

    /// <summary>Error 0017 unless every column of <paramref name="indices"/> is numeric.</summary>
    protected static void RequireNumeric(DataSchema schema, IEnumerable<int> indices, string parameterName)
    {
        foreach (var i in indices)
        {
            if (!DataTable.IsNumeric(schema[i].Type))
            {
                throw new StudioModuleException(ModuleErrors.ColumnTypeNotSupported(schema[i].Name, schema[i].Type, parameterName));
            }
        }
    }

    /// <summary>A name not in <paramref name="taken"/>: <paramref name="name"/>, else <c>name (2)</c>, <c>name (3)</c>, ….</summary>
    protected static string UniqueName(string name, ISet<string> taken)
    {
        ArgumentNullException.ThrowIfNull(taken);
        var candidate = name;
        for (var n = 2; taken.Contains(candidate); n++)
        {
            candidate = $"{name} ({n})";
        }

        taken.Add(candidate);
        return candidate;
    }
}
