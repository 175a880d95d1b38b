using System.Globalization;
using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules;

/// <summary>The type of a module parameter.</summary>
public enum ModuleParameterType
{
    /// <summary>A 32-bit integer, optionally bounded by <see cref="ModuleParameter.Min"/> / <see cref="ModuleParameter.Max"/>.</summary>
    Int,

    /// <summary>Free text.</summary>
    String,

    /// <summary>One of <see cref="ModuleParameter.EnumValues"/> (compared case-insensitively, stored in its declared spelling).</summary>
    Enum,

    /// <summary>A <see cref="Modules.ColumnSelection"/> (Studio's column picker).</summary>
    ColumnSelection,

    /// <summary>A double, optionally bounded by <see cref="ModuleParameter.Min"/> / <see cref="ModuleParameter.Max"/>
    /// (<see cref="ModuleParameter.MinExclusive"/>: strictly greater than the minimum).</summary>
    Double,

    /// <summary><c>True</c> / <c>False</c> (Studio's check boxes).</summary>
    Boolean,
}

/// <summary>A typed parameter of a module.</summary>
/// <param name="Name">The Studio display name, e.g. <c>Hashing bitsize</c>.</param>
/// <param name="Type">The parameter type.</param>
/// <param name="Default">The default value (int, string, enum string or <see cref="Modules.ColumnSelection"/>); null = required.</param>
/// <param name="Min">The inclusive minimum of an <see cref="ModuleParameterType.Int"/> parameter.</param>
/// <param name="Max">The inclusive maximum of an <see cref="ModuleParameterType.Int"/> parameter.</param>
/// <param name="EnumValues">The allowed values of an <see cref="ModuleParameterType.Enum"/> parameter.</param>
/// <param name="Description">A short description.</param>
/// <param name="MinExclusive">For a <see cref="ModuleParameterType.Double"/>: the value must be strictly greater than <paramref name="Min"/>.</param>
public sealed record ModuleParameter(
    string Name,
    ModuleParameterType Type,
    object? Default = null,
    int? Min = null,
    int? Max = null,
    IReadOnlyList<string>? EnumValues = null,
    string? Description = null,
    bool MinExclusive = false)
{
    /// <summary>Whether a value must be given (there is no default).</summary>
    public bool IsRequired => Default is null;
}

/// <summary>The direction of a <see cref="ModulePort"/>.</summary>
public enum PortDirection
{
    /// <summary>An input port.</summary>
    Input,

    /// <summary>An output port.</summary>
    Output,
}

/// <summary>An input or output port of a module.</summary>
/// <param name="Name">The Studio port name, e.g. <c>Dataset</c> or <c>Transformed dataset</c>.</param>
/// <param name="Direction">Input or output.</param>
/// <param name="DataType">The port data type; all built-ins use <c>DataTable</c>.</param>
public sealed record ModulePort(string Name, PortDirection Direction, string DataType = ModulePort.DataTable)
{
    /// <summary>The Studio data type of a dataset port.</summary>
    public const string DataTable = "DataTable";

    /// <summary>The Studio data type of a transformation port (Clean Missing Data, Normalize Data).</summary>
    public const string Transform = "ITransform";

    /// <summary>The Studio data type of an untrained model port (the learners' output).</summary>
    public const string UntrainedModel = "UntrainedModel";

    /// <summary>The Studio data type of a trained model port (Train Model's output).</summary>
    public const string TrainedModel = "TrainedModel";
}

/// <summary>
/// A module of the palette: the name as in the Studio (classic) module reference, its category, typed parameters and ports.
/// </summary>
public sealed class ModuleDefinition
{
    /// <summary>Creates a definition.</summary>
    /// <exception cref="ArgumentException">Duplicate parameter or port names, or an inconsistent parameter.</exception>
    public ModuleDefinition(string name, string category, string description, IEnumerable<ModuleParameter> parameters,
        IEnumerable<ModulePort> inputs, IEnumerable<ModulePort> outputs)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(category);
        Name = name;
        Category = category;
        Description = description ?? string.Empty;
        Parameters = parameters?.ToArray() ?? throw new ArgumentNullException(nameof(parameters));
        Inputs = inputs?.ToArray() ?? throw new ArgumentNullException(nameof(inputs));
        Outputs = outputs?.ToArray() ?? throw new ArgumentNullException(nameof(outputs));
        if (Parameters.Select(p => p.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != Parameters.Count)
        {
            throw new ArgumentException($"Module '{name}' has duplicate parameter names.", nameof(parameters));
        }

        if (Inputs.Any(p => p.Direction != PortDirection.Input) || Outputs.Any(p => p.Direction != PortDirection.Output))
        {
            throw new ArgumentException($"Module '{name}' has a port in the wrong list.", nameof(inputs));
        }

        foreach (var parameter in Parameters)
        {
            if (parameter.Type == ModuleParameterType.Enum && (parameter.EnumValues is null || parameter.EnumValues.Count == 0))
            {
                throw new ArgumentException($"Enum parameter '{parameter.Name}' has no values.", nameof(parameters));
            }

            if (parameter.Default is not null && BindValue(parameter, parameter.Default, out _) is not null)
            {
                throw new ArgumentException($"The default of parameter '{parameter.Name}' is not valid.", nameof(parameters));
            }
        }
    }

    /// <summary>The module name, e.g. <c>Feature Hashing</c>.</summary>
    public string Name { get; }

    /// <summary>The palette category, e.g. <c>Text Analytics</c>.</summary>
    public string Category { get; }

    /// <summary>A one-line description.</summary>
    public string Description { get; }

    /// <summary>The parameters, in display order.</summary>
    public IReadOnlyList<ModuleParameter> Parameters { get; }

    /// <summary>The input ports, in order.</summary>
    public IReadOnlyList<ModulePort> Inputs { get; }

    /// <summary>The output ports, in order.</summary>
    public IReadOnlyList<ModulePort> Outputs { get; }

    /// <summary>The parameter named <paramref name="name"/> (case-insensitive), or null.</summary>
    public ModuleParameter? FindParameter(string name) =>
        Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Checks <paramref name="values"/> (parameter name → value; names case-insensitive) and returns every error, in
    /// parameter order, unknown names last. Values may be typed (int, string, <see cref="ColumnSelection"/>) or text as
    /// in experiment JSON and web service <c>GlobalParameters</c>; see <see cref="Bind"/>.
    /// </summary>
    public IReadOnlyList<ModuleError> Validate(IReadOnlyDictionary<string, object?>? values)
    {
        var errors = new List<ModuleError>();
        BindCore(values, errors);
        return errors;
    }

    /// <summary>
    /// Binds <paramref name="values"/> to typed values, filling in defaults.
    /// </summary>
    /// <remarks>
    /// An int accepts an <see cref="int"/> or invariant integer text; an enum accepts one of its values
    /// (case-insensitive); a column selection accepts a <see cref="ColumnSelection"/> or ([I]) comma-separated column
    /// names. Errors: 0003 for a required parameter that is missing, null or empty; 0002 for a value that cannot be
    /// converted (or an unknown parameter name); 0004 / 0005 / 0007 for an int out of range, with the same messages as
    /// <see cref="FeatureHashing.FeatureHasher.ValidateParameters"/> (0004 "greater than 0" when the minimum is 1,
    /// otherwise 0005 "greater than or equal to").
    /// </remarks>
    /// <exception cref="StudioModuleException">The first error.</exception>
    public ModuleParameterValues Bind(IReadOnlyDictionary<string, object?>? values)
    {
        var errors = new List<ModuleError>();
        var bound = BindCore(values, errors);
        return errors.Count > 0 ? throw new StudioModuleException(errors[0]) : bound;
    }

    /// <summary>
    /// Every error <see cref="Bind"/> would find in <paramref name="values"/>, each with the parameter it is about:
    /// what the canvas shows under a module's fields before anything runs.
    /// </summary>
    public IReadOnlyList<ModuleError> Check(IReadOnlyDictionary<string, object?>? values)
    {
        var errors = new List<ModuleError>();
        BindCore(values, errors);
        return errors;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Category})";

    private ModuleParameterValues BindCore(IReadOnlyDictionary<string, object?>? values, List<ModuleError> errors)
    {
        var given = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var unknown = new List<string>();
        foreach (var (key, value) in values ?? new Dictionary<string, object?>())
        {
            if (FindParameter(key) is null)
            {
                unknown.Add(key);
            }
            else
            {
                given[key] = value;
            }
        }

        var bound = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in Parameters)
        {
            var raw = given.TryGetValue(parameter.Name, out var v) ? v : parameter.Default;
            if (raw is null || (raw is string s && string.IsNullOrWhiteSpace(s) && parameter.Type != ModuleParameterType.String))
            {
                raw = parameter.Default;
            }

            if (raw is null || (raw is string text && text.Length == 0 && parameter.IsRequired))
            {
                errors.Add(ModuleErrors.ParameterNullOrEmpty(parameter.Name));
                continue;
            }

            if (BindValue(parameter, raw, out var typed) is { } error)
            {
                errors.Add(error);
                continue;
            }

            bound[parameter.Name] = typed!;
        }

        errors.AddRange(unknown.Select(name => ModuleErrors.UnknownParameter(Name, name)));
        return new ModuleParameterValues(bound);
    }

    private static ModuleError? BindValue(ModuleParameter parameter, object raw, out object? typed)
    {
        typed = null;
        switch (parameter.Type)
        {
            case ModuleParameterType.Int:
                int number;
                if (raw is int i)
                {
                    number = i;
                }
                else if (raw is long l && l is >= int.MinValue and <= int.MaxValue)
                {
                    number = (int)l;
                }
                else if (raw is string t && int.TryParse(t.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
                {
                    number = parsed;
                }
                else
                {
                    return ModuleErrors.ParameterParse(parameter.Name, Convert.ToString(raw, CultureInfo.InvariantCulture), "Integer");
                }

                if (parameter.Min is { } min && number < min)
                {
                    return min == 1
                        ? ModuleErrors.ParameterNotGreaterThan(parameter.Name, 0)
                        : ModuleErrors.ParameterBelowMinimum(parameter.Name, min);
                }

                if (parameter.Max is { } max && number > max)
                {
                    return ModuleErrors.ParameterAboveMaximum(parameter.Name, max);
                }

                typed = number;
                return null;

            case ModuleParameterType.String:
                typed = raw as string ?? Convert.ToString(raw, CultureInfo.InvariantCulture);
                return null;

            case ModuleParameterType.Double:
                double real;
                switch (raw)
                {
                    case double d:
                        real = d;
                        break;
                    case int di:
                        real = di;
                        break;
                    case long dl:
                        real = dl;
                        break;
                    case string dt when double.TryParse(dt.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var dp):
                        real = dp;
                        break;
                    default:
                        return ModuleErrors.ParameterParse(parameter.Name, Convert.ToString(raw, CultureInfo.InvariantCulture), "Double");
                }

                if (!double.IsFinite(real))
                {
                    return ModuleErrors.ParameterParse(parameter.Name, Convert.ToString(raw, CultureInfo.InvariantCulture), "a finite Double");
                }

                if (parameter.Min is { } dmin && (parameter.MinExclusive ? real <= dmin : real < dmin))
                {
                    return parameter.MinExclusive
                        ? ModuleErrors.ParameterNotGreaterThan(parameter.Name, dmin)
                        : ModuleErrors.ParameterBelowMinimum(parameter.Name, dmin);
                }

                if (parameter.Max is { } dmax && real > dmax)
                {
                    return ModuleErrors.ParameterAboveMaximum(parameter.Name, dmax);
                }

                typed = real;
                return null;

            case ModuleParameterType.Boolean:
                if (raw is bool flag)
                {
                    typed = flag;
                    return null;
                }

                if (raw is string bt && bool.TryParse(bt.Trim(), out var parsedFlag))
                {
                    typed = parsedFlag;
                    return null;
                }

                return ModuleErrors.ParameterParse(parameter.Name, Convert.ToString(raw, CultureInfo.InvariantCulture), "Boolean");

            case ModuleParameterType.Enum:
                var match = parameter.EnumValues?.FirstOrDefault(e => string.Equals(e, raw as string, StringComparison.OrdinalIgnoreCase));
                if (match is null)
                {
                    return ModuleErrors.ParameterParse(parameter.Name, Convert.ToString(raw, CultureInfo.InvariantCulture),
                        "one of " + string.Join(", ", parameter.EnumValues ?? []));
                }

                typed = match;
                return null;

            default:
                if (raw is ColumnSelection selection)
                {
                    typed = selection;
                    return null;
                }

                if (raw is string names)
                {
                    var list = names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    if (list.Length == 0)
                    {
                        return ModuleErrors.ParameterNullOrEmpty(parameter.Name);
                    }

                    typed = ColumnSelection.ByName(list);
                    return null;
                }

                return ModuleErrors.ParameterParse(parameter.Name, Convert.ToString(raw, CultureInfo.InvariantCulture), "a column selection");
        }
    }
}

/// <summary>The bound, typed parameter values of one module instance (every parameter present, defaults filled in).</summary>
public sealed class ModuleParameterValues
{
    private readonly IReadOnlyDictionary<string, object> _values;

    internal ModuleParameterValues(IReadOnlyDictionary<string, object> values) => _values = values;

    /// <summary>The values by parameter name (case-insensitive).</summary>
    public IReadOnlyDictionary<string, object> Values => _values;

    /// <summary>An int parameter.</summary>
    public int GetInt32(string name) => (int)Get(name);

    /// <summary>A string or enum parameter.</summary>
    public string GetString(string name) => (string)Get(name);

    /// <summary>A column selection parameter.</summary>
    public ColumnSelection GetColumnSelection(string name) => (ColumnSelection)Get(name);

    /// <summary>A double parameter.</summary>
    public double GetDouble(string name) => (double)Get(name);

    /// <summary>A Boolean parameter.</summary>
    public bool GetBoolean(string name) => (bool)Get(name);

    private object Get(string name) =>
        _values.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"No parameter named '{name}'.");
}

/// <summary>The module palette: the built-in modules and lookup by name (case-insensitive).</summary>
public sealed class ModuleRegistry
{
    /// <summary>Name of the Saved dataset module.</summary>
    public const string SavedDataset = "Saved dataset";

    /// <summary>Name of the Select Columns in Dataset module.</summary>
    public const string SelectColumnsInDataset = "Select Columns in Dataset";

    /// <summary>Name of the Feature Hashing module.</summary>
    public const string FeatureHashing = "Feature Hashing";

    /// <summary>Name of the Web service input module.</summary>
    public const string WebServiceInput = "Web service input";

    /// <summary>Name of the Web service output module.</summary>
    public const string WebServiceOutput = "Web service output";

    /// <summary>Name of the saved trained model module (a trained model of the workspace, as a source).</summary>
    public const string TrainedModel = "Trained model";

    private readonly Dictionary<string, ModuleDefinition> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Tables.TableModule> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<ModuleDefinition> _ordered = [];

    /// <summary>Creates a registry holding <paramref name="modules"/>.</summary>
    public ModuleRegistry(IEnumerable<ModuleDefinition> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules)
        {
            Register(module);
        }
    }

    /// <summary>
    /// A registry with the built-in modules: the streaming transforms and web service modules, the data modules, the
    /// learners, and Train / Score / Evaluate.
    /// </summary>
    /// <param name="time">The clock of the modules that time out (Apply SQL Transformation).</param>
    public static ModuleRegistry CreateBuiltIn(TimeProvider? time = null)
    {
        var registry = new ModuleRegistry(BuiltInModules.All);
        foreach (var module in Tables.TableModules.DataModules(time).Concat(Learning.LearnerModule.All).Concat(Learning.LearningModules.All))
        {
            registry.Register(module);
        }

        return registry;
    }

    /// <summary>Adds a whole-dataset module (its <see cref="Tables.TableModule.Definition"/> is the palette entry).</summary>
    /// <exception cref="ArgumentException">A module with that name exists.</exception>
    public void Register(Tables.TableModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        Register(module.Definition);
        _tables[module.Definition.Name] = module;
    }

    /// <summary>The runtime of a whole-dataset module, or null for the streaming and web service modules.</summary>
    public Tables.TableModule? FindTable(string name) => _tables.GetValueOrDefault(name);

    /// <summary>The modules, in registration order.</summary>
    public IReadOnlyList<ModuleDefinition> Modules => _ordered;

    /// <summary>Adds a module.</summary>
    /// <exception cref="ArgumentException">A module with that name exists.</exception>
    public void Register(ModuleDefinition module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!_byName.TryAdd(module.Name, module))
        {
            throw new ArgumentException($"A module named '{module.Name}' is already registered.", nameof(module));
        }

        _ordered.Add(module);
    }

    /// <summary>Finds a module by name (case-insensitive).</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModuleDefinition? module)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out module);
    }

    /// <summary>The module named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="KeyNotFoundException">There is no such module.</exception>
    public ModuleDefinition Get(string name) =>
        TryGet(name, out var module) ? module : throw new KeyNotFoundException($"No module named '{name}'.");

    /// <summary>The modules of a category (case-insensitive).</summary>
    public IEnumerable<ModuleDefinition> InCategory(string category) =>
        _ordered.Where(m => string.Equals(m.Category, category, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The definitions of the built-in modules.</summary>
public static class BuiltInModules
{
    /// <summary>[I] The parameter of the Trained model module naming the saved model (by name or id).</summary>
    public const string TrainedModelParameter = "Trained model";

    /// <summary>[I] The parameter of Web service input / output naming the port (<c>input1</c>, <c>output1</c> by default).</summary>
    public const string PortNameParameter = "Name";

    /// <summary>Saved dataset: emits a dataset stored in the workspace. [I] Parameter "Dataset" names it.</summary>
    public static ModuleDefinition SavedDataset { get; } = new(
        ModuleRegistry.SavedDataset, "Saved Datasets", "A dataset saved in the workspace.",
        [new ModuleParameter("Dataset", ModuleParameterType.String, Description: "The name of the saved dataset.")],
        [],
        [new ModulePort("Dataset", PortDirection.Output)]);

    /// <summary>Select Columns in Dataset: keeps the selected columns.</summary>
    public static ModuleDefinition SelectColumns { get; } = new(
        ModuleRegistry.SelectColumnsInDataset, "Data Transformation / Manipulation", "Selects columns to include or exclude from a dataset in an operation.",
        [new ModuleParameter(SelectColumnsModule.SelectColumnsParameterName, ModuleParameterType.ColumnSelection, Description: "The columns to keep.")],
        [new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Results dataset", PortDirection.Output)]);

    /// <summary>Feature Hashing (docs/studio-protocol.md §5.1).</summary>
    public static ModuleDefinition FeatureHashing { get; } = new(
        ModuleRegistry.FeatureHashing, "Text Analytics", "Converts text data to integer encoded features using the Vowpal Wabbit library",
        [
            new ModuleParameter(FeatureHashingModule.TargetColumnsParameterName, ModuleParameterType.ColumnSelection,
                ColumnSelection.ByType(ColumnType.String), Description: "String columns to hash."),
            new ModuleParameter(Modules.FeatureHashing.FeatureHasher.HashingBitsizeParameterName, ModuleParameterType.Int,
                Modules.FeatureHashing.FeatureHasher.DefaultHashingBitsize,
                Modules.FeatureHashing.FeatureHasher.MinHashingBitsize, Modules.FeatureHashing.FeatureHasher.MaxHashingBitsize),
            new ModuleParameter(Modules.FeatureHashing.FeatureHasher.NGramsParameterName, ModuleParameterType.Int,
                Modules.FeatureHashing.FeatureHasher.DefaultNGrams,
                Modules.FeatureHashing.FeatureHasher.MinNGrams, Modules.FeatureHashing.FeatureHasher.MaxNGrams),
        ],
        [new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Transformed dataset", PortDirection.Output)]);

    /// <summary>Web service input: where a published service's request rows enter the graph.</summary>
    public static ModuleDefinition WebServiceInput { get; } = new(
        ModuleRegistry.WebServiceInput, "Web Service", "Indicates where user data enters the web service.",
        [new ModuleParameter(PortNameParameter, ModuleParameterType.String, "", Description: "The input's name in requests; empty = input1, input2, … in graph order.")],
        [],
        [new ModulePort("Dataset", PortDirection.Output)]);

    /// <summary>Web service output: where a published service's response rows leave the graph.</summary>
    public static ModuleDefinition WebServiceOutput { get; } = new(
        ModuleRegistry.WebServiceOutput, "Web Service", "Indicates where user data is returned from the web service.",
        [new ModuleParameter(PortNameParameter, ModuleParameterType.String, "", Description: "The output's name in responses; empty = output1, output2, … in graph order.")],
        [new ModulePort("Dataset", PortDirection.Input)],
        []);

    /// <summary>Trained model: emits a model trained by an experiment run and saved in the workspace. [I] Parameter "Trained model" names it.</summary>
    public static ModuleDefinition TrainedModel { get; } = new(
        ModuleRegistry.TrainedModel, "Trained Models", "A trained model saved in the workspace (from a Train Model output of an experiment run).",
        [new ModuleParameter(TrainedModelParameter, ModuleParameterType.String, Description: "The name or id of the saved trained model.")],
        [],
        [new ModulePort("Trained model", PortDirection.Output, ModulePort.TrainedModel)]);

    /// <summary>All built-in modules.</summary>
    public static IReadOnlyList<ModuleDefinition> All { get; } = [SavedDataset, TrainedModel, SelectColumns, FeatureHashing, WebServiceInput, WebServiceOutput];
}
