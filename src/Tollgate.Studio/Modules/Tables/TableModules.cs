namespace Tollgate.Studio.Modules.Tables;

/// <summary>The whole-dataset modules (<see cref="TableModule"/>), by name (case-insensitive).</summary>
public sealed class TableModules
{
    private readonly Dictionary<string, TableModule> _byName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the catalogue of the given modules.</summary>
    public TableModules(IEnumerable<TableModule> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules)
        {
            _byName.Add(module.Definition.Name, module);
        }
    }

    /// <summary>The modules.</summary>
    public IEnumerable<TableModule> All => _byName.Values;

    /// <summary>The built-in data modules.</summary>
    public static IReadOnlyList<TableModule> DataModules(TimeProvider? time = null) =>
    [
        new CleanMissingDataModule(),
        new SplitDataModule(),
        new NormalizeDataModule(),
        new EditMetadataModule(),
        new JoinDataModule(),
        new RemoveDuplicateRowsModule(),
        new ConvertToIndicatorValuesModule(),
        new ApplySqlTransformationModule(time),
    ];

    /// <summary>The module named <paramref name="name"/>, or null.</summary>
    public TableModule? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Binds <paramref name="parameters"/> and runs the module named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such module.</exception>
    /// <exception cref="StudioModuleException">The module's Studio error.</exception>
    public IReadOnlyList<object> Run(string name, IReadOnlyList<object?> inputs, IReadOnlyDictionary<string, object?>? parameters, CancellationToken cancellationToken = default)
    {
        var module = Find(name) ?? throw new KeyNotFoundException($"No module named '{name}'.");
        return module.Run(inputs, module.Definition.Bind(parameters), cancellationToken);
    }
}
