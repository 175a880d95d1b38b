using System.Globalization;

namespace Tollgate.Studio.Modules;

/// <summary>
/// A module error as ML Studio (classic) reports it: a four-digit code and a message, shown in the run log as
/// <c>Error 0001: …</c>.
/// </summary>
/// <param name="Code">The four-digit Studio module error code, e.g. <c>"0001"</c>.</param>
/// <param name="Message">The message without the <c>Error NNNN: </c> prefix.</param>
/// <param name="ParameterName">The Studio display name of the parameter at fault, if any.</param>
public sealed record ModuleError(string Code, string Message, string? ParameterName = null)
{
    /// <summary><c>Error {code}: {message}</c>.</summary>
    public string FullMessage => $"Error {Code}: {Message}";

    /// <inheritdoc />
    public override string ToString() => FullMessage;
}

/// <summary>Thrown by a module (parameter binding, schema resolution or execution) with a Studio <see cref="ModuleError"/>.</summary>
public sealed class StudioModuleException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/>.</summary>
    public StudioModuleException(ModuleError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message)
    {
        Error = error;
    }

    /// <summary>The module error.</summary>
    public ModuleError Error { get; }

    /// <summary>The four-digit error code.</summary>
    public string ErrorCode => Error.Code;

    /// <summary><c>Error {code}: {message}</c>, as in Studio's module log.</summary>
    public string FullMessage => Error.FullMessage;
}

/// <summary>
/// Factories for the Studio (classic) module errors used by the built-in modules. [I] The texts follow the classic
/// module error catalogue in spirit; the exact wording of the catalogue is not reproduced byte for byte.
/// </summary>
public static class ModuleErrors
{
    /// <summary>Error 0001: one or more selected columns do not exist. <paramref name="missing"/> are names or 1-based indices.</summary>
    public static ModuleError ColumnNotFound(IEnumerable<string> missing, string? parameterName = null) =>
        new("0001", "Cannot find one or more specified columns of the dataset: " + string.Join(", ", missing), parameterName);

    /// <summary>Error 0002: a parameter value could not be parsed or converted.</summary>
    public static ModuleError ParameterParse(string parameterName, string? value, string expected) =>
        new("0002", $"Failed to convert value \"{value}\" of parameter \"{parameterName}\" to {expected}.", parameterName);

    /// <summary>Error 0002 ([I]): a parameter that the module does not define.</summary>
    public static ModuleError UnknownParameter(string moduleName, string parameterName) =>
        new("0002", $"Parameter \"{parameterName}\" is not a parameter of module \"{moduleName}\".", parameterName);

    /// <summary>Error 0003: a required parameter is null or empty.</summary>
    public static ModuleError ParameterNullOrEmpty(string parameterName) =>
        new("0003", $"Parameter \"{parameterName}\" is null or empty.", parameterName);

    /// <summary>Error 0003: a module input is null or empty.</summary>
    public static ModuleError InputNullOrEmpty(string inputName) =>
        new("0003", $"Input \"{inputName}\" is null or empty.");

    /// <summary>Error 0004: the value must be greater than <paramref name="limit"/>.</summary>
    public static ModuleError ParameterNotGreaterThan(string parameterName, long limit) =>
        new("0004", $"Parameter \"{parameterName}\" should be greater than {limit.ToString(CultureInfo.InvariantCulture)}.", parameterName);

    /// <summary>Error 0005: the value must be greater than or equal to <paramref name="limit"/>.</summary>
    public static ModuleError ParameterBelowMinimum(string parameterName, long limit) =>
        new("0005", $"Parameter \"{parameterName}\" should be greater than or equal to {limit.ToString(CultureInfo.InvariantCulture)}.", parameterName);

    /// <summary>Error 0007: the value must be less than or equal to <paramref name="limit"/>.</summary>
    public static ModuleError ParameterAboveMaximum(string parameterName, long limit) =>
        new("0007", $"Parameter \"{parameterName}\" should be less than or equal to {limit.ToString(CultureInfo.InvariantCulture)}.", parameterName);

    /// <summary>Error 0017: a selected column has a type the module does not support.</summary>
    public static ModuleError ColumnTypeNotSupported(string columnName, Data.ColumnType type, string? parameterName = null) =>
        new("0017", $"Cannot process column \"{columnName}\" of type {type}. The type is not supported by the module.", parameterName);

    /// <summary>Error 0003 ([I] wording): the saved dataset named by a module does not exist in the workspace.</summary>
    public static ModuleError DatasetNotFound(string name) =>
        new("0003", $"Dataset \"{name}\" does not exist in the workspace.", "Dataset");

    /// <summary>Error 0018 ([I] wording): the input data is not valid for the module, e.g. a malformed dataset file.</summary>
    public static ModuleError InvalidDataset(string problem) =>
        new("0018", "The dataset is not valid: " + problem);

    /// <summary>Error 0018 ([I] wording): a cell cannot be converted to the type a module asks for.</summary>
    public static ModuleError CannotConvertCell(string columnName, int row, string? value, string type, string? parameterName = null) =>
        new("0018", $"The dataset is not valid: value \"{value}\" in row {(row + 1).ToString(CultureInfo.InvariantCulture)} of column \"{columnName}\" cannot be converted to {type}.", parameterName);

    /// <summary>Error 0020 ([I] wording): a module needs at least a number of columns, or the same number in two selections.</summary>
    public static ModuleError ColumnCountMismatch(string message, string? parameterName = null) =>
        new("0020", message, parameterName);

    /// <summary>Error 0021: a dataset has fewer rows than the module needs (e.g. fewer rows than cross-validation folds).</summary>
    public static ModuleError TooFewRows(string inputName, int rows, int needed) =>
        new("0021", $"Number of rows in input dataset \"{inputName}\" is too small: it has {rows.ToString(CultureInfo.InvariantCulture)}, the module needs at least {needed.ToString(CultureInfo.InvariantCulture)}.");

    /// <summary>Error 0024: the dataset does not contain the label column (the one the model was trained on).</summary>
    public static ModuleError LabelColumnMissing(string inputName, string labelName) =>
        new("0024", $"Dataset \"{inputName}\" does not contain a label column: the model was trained on \"{labelName}\".");

    /// <summary>Error 0022 ([I] wording): a selection that must name one column names another number of them.</summary>
    public static ModuleError SingleColumnExpected(string parameterName, int selected) =>
        new("0022", $"Parameter \"{parameterName}\" must select exactly one column; it selects {selected.ToString(CultureInfo.InvariantCulture)}.", parameterName);

    /// <summary>Error 0056 ([I] wording): a column the module needs as categorical is not.</summary>
    public static ModuleError ColumnNotCategorical(string columnName, string? parameterName = null) =>
        new("0056", $"Column \"{columnName}\" is not categorical. Mark it categorical with Edit Metadata, or select String columns.", parameterName);

    /// <summary>Error 0069 ([I] wording): the SQL script of Apply SQL Transformation failed.</summary>
    public static ModuleError SqlFailed(string message) =>
        new("0069", "SQL script failed: " + message, "SQL Query Script");

    /// <summary>Error 0003: the dataset on an input port has no rows.</summary>
    public static ModuleError DatasetEmpty(string inputName) =>
        new("0003", $"Input \"{inputName}\" is null or empty: the dataset has no rows.");

    /// <summary>Error 0035 ([I] wording): a label column is needed and is missing or not usable.</summary>
    public static ModuleError LabelColumn(string message, string? parameterName = "Label column") =>
        new("0035", message, parameterName);

    /// <summary>Error 0039 ([I] wording): the operation is not possible for this kind of model or input.</summary>
    public static ModuleError OperationNotSupported(string message) =>
        new("0039", message);

    /// <summary>Error 0014 ([I] wording): a column has more distinct values than the module allows.</summary>
    public static ModuleError TooManyCategories(string columnName, int limit) =>
        new("0014", $"Column \"{columnName}\" has more than {limit.ToString(CultureInfo.InvariantCulture)} distinct values.");

    /// <summary>
    /// Error 0082: a model cannot be deserialized (Studio classic: "Model could not be deserialized"), e.g. an uploaded
    /// file that is not an ONNX model.
    /// </summary>
    public static ModuleError ModelDeserialization(string problem) =>
        new("0082", "Model could not be deserialized: " + problem);

    /// <summary>Error 0001: inputs of an ONNX model that no column of the dataset matches by name.</summary>
    public static ModuleError OnnxInputsNotFound(IEnumerable<string> missing, IEnumerable<string> inputs) =>
        new("0001", "Cannot find one or more specified columns of the dataset: " + string.Join(", ", missing)
            + " (the ONNX model's inputs " + string.Join(", ", inputs) + " are fed by the columns of their names).", "Dataset");

    /// <summary>Error 1000 ([I] wording): the machine learning library failed.</summary>
    public static ModuleError LibraryError(string moduleName, string message) =>
        new("1000", $"Library exception in \"{moduleName}\": {message}");
}
