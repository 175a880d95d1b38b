using Tollgate.Studio.Data;

namespace Tollgate.Studio.Modules.Tables;

/// <summary>
/// Normalize Data (Data Transformation / Scale and Reduce): rescales the selected numeric columns, which become Double.
/// </summary>
/// <remarks>
/// ZScore: (x − mean) / s, s the sample standard deviation (n − 1). MinMax: (x − min) / (max − min). Logistic:
/// 1 / (1 + e^−x). LogNormal: the log-normal cumulative distribution fitted to the column, Φ((ln x − μ) / σ) with μ and
/// σ the mean and sample standard deviation of ln x over the positive values; a value ≤ 0 gives a missing cell. TanH:
/// tanh(x). A constant column (s = 0, max = min, σ = 0) becomes 0 when <c>Use 0 for constant columns when checked</c>
/// is set, NaN otherwise. Missing cells stay missing. The statistics are the transformation function's, so applying it
/// to other data uses the training data's mean, min, … .
/// </remarks>
public sealed class NormalizeDataModule : TableModule
{
    public const string Name = "Normalize Data";
    public const string MethodParameter = "Transformation method";
    public const string ConstantParameter = "Use 0 for constant columns when checked";
    public const string ColumnsParameter = "Columns to transform";

    public const string ZScore = "ZScore";
    public const string MinMax = "MinMax";
    public const string Logistic = "Logistic";
    public const string LogNormal = "LogNormal";
    public const string TanH = "TanH";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Data Transformation / Scale and Reduce", "Rescales numeric data to constrain dataset values to a standard range.",
        [
            new ModuleParameter(MethodParameter, ModuleParameterType.Enum, ZScore, EnumValues: [ZScore, MinMax, Logistic, LogNormal, TanH]),
            new ModuleParameter(ConstantParameter, ModuleParameterType.Boolean, true),
            new ModuleParameter(ColumnsParameter, ModuleParameterType.ColumnSelection, ColumnSelection.ByType(ColumnType.Int32, ColumnType.Int64, ColumnType.Double)),
        ],
        [new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Transformed dataset", PortDirection.Output), new ModulePort("Transformation function", PortDirection.Output, ModulePort.Transform)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        var (transformed, function) = Normalize(RequireTable(inputs, 0), parameters);
        return [transformed, function];
    }

    /// <summary>Normalizes <paramref name="table"/>; returns the result and the transformation function.</summary>
    public (DataTable Transformed, NormalizationTransformation Function) Normalize(DataTable table, ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(parameters);
        var method = parameters.GetString(MethodParameter);
        var columns = Resolve(parameters, ColumnsParameter, table.Schema);
        RequireNumeric(table.Schema, columns, ColumnsParameter);
        var scalers = new List<ColumnScaler>();
        foreach (var c in columns)
        {
            var values = new List<double>();
            for (var r = 0; r < table.RowCount; r++)
            {
                if (DataTable.GetNumber(table[c], r) is { } v && (method != LogNormal || v > 0))
                {
                    values.Add(method == LogNormal ? Math.Log(v) : v);
                }
            }

            double a = 0, b = 0;
            if (method is ZScore or LogNormal)
            {
                a = values.Count == 0 ? double.NaN : values.Average();
                b = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - a) * (v - a)) / (values.Count - 1));
            }
            else if (method == MinMax)
            {
                a = values.Count == 0 ? double.NaN : values.Min();
                b = values.Count == 0 ? double.NaN : values.Max();
            }

            scalers.Add(new ColumnScaler(table.Schema[c], a, b));
        }

        var function = new NormalizationTransformation(method, parameters.GetBoolean(ConstantParameter), scalers);
        return (function.Apply(table), function);
    }
}

/// <summary>The statistics Normalize Data learnt for one column: (mean, s), (min, max) or (μ, σ).</summary>
public sealed record ColumnScaler(ColumnSchema Column, double A, double B);

/// <summary>Normalize Data's transformation function: the method and each column's statistics.</summary>
public sealed class NormalizationTransformation : ITableTransformation
{
    internal NormalizationTransformation(string method, bool zeroForConstant, IReadOnlyList<ColumnScaler> scalers)
    {
        Method = method;
        ZeroForConstant = zeroForConstant;
        Scalers = scalers;
    }

    /// <inheritdoc />
    public string ModuleName => NormalizeDataModule.Name;

    /// <summary>The transformation method, e.g. <c>ZScore</c>.</summary>
    public string Method { get; }

    /// <summary>Whether constant columns become 0.</summary>
    public bool ZeroForConstant { get; }

    /// <summary>The columns and their statistics.</summary>
    public IReadOnlyList<ColumnScaler> Scalers { get; }

    /// <inheritdoc />
    public DataTable Apply(DataTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = table.ToColumnList();
        foreach (var scaler in Scalers)
        {
            var c = table.Schema.IndexOf(scaler.Column.Name);
            if (c < 0)
            {
                throw new StudioModuleException(ModuleErrors.ColumnNotFound([scaler.Column.Name]));
            }

            if (!DataTable.IsNumeric(table.Schema[c].Type))
            {
                throw new StudioModuleException(ModuleErrors.ColumnTypeNotSupported(scaler.Column.Name, table.Schema[c].Type));
            }

            var builder = (ValueColumnBuilder<double>)DataColumnBuilder.Create(ColumnType.Double, table.RowCount);
            for (var r = 0; r < table.RowCount; r++)
            {
                builder.Append(DataTable.GetNumber(table[c], r) is { } x ? Scale(scaler, x) : null);
            }

            columns[c] = (new ColumnSchema(scaler.Column.Name, ColumnType.Double), builder.Build(), columns[c].Metadata);
        }

        return DataTable.Create(columns);
    }

    private double? Scale(ColumnScaler s, double x)
    {
        var constant = Method switch
        {
            NormalizeDataModule.ZScore or NormalizeDataModule.LogNormal => s.B == 0,
            NormalizeDataModule.MinMax => s.A == s.B,
            _ => false,
        };
        if (constant)
        {
            return ZeroForConstant ? 0 : double.NaN;
        }

        return Method switch
        {
            NormalizeDataModule.ZScore => (x - s.A) / s.B,
            NormalizeDataModule.MinMax => (x - s.A) / (s.B - s.A),
            NormalizeDataModule.Logistic => 1 / (1 + Math.Exp(-x)),
            NormalizeDataModule.LogNormal => x > 0 ? NormalCdf((Math.Log(x) - s.A) / s.B) : null,
            _ => Math.Tanh(x),
        };
    }

    /// <summary>Φ(z), the standard normal cumulative distribution, from erfc (W. J. Cody's rational approximations, |error| &lt; 1e-15).</summary>
    internal static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    private static double Erfc(double x)
    {
        // Cody (1969), "Rational Chebyshev approximations for the error function", as used by many numeric libraries.
        var ax = Math.Abs(x);
        double result;
        if (ax < 0.5)
        {
            var t = x * x;
            var top = (((((0.1857777061846031526730 * t) + 3.161123743870565596947) * t + 113.8641541510501556495) * t + 377.4852376853020208137) * t) + 3209.377589138469472562;
            var bottom = (((((t + 23.60129095234412093499) * t) + 244.0246379344441733056) * t + 1282.616526077372275645) * t) + 2844.236833439170622273;
            return 1 - (x * top / bottom);
        }

        if (ax < 4)
        {
            var top = (((((((((2.15311535474403846343e-8 * ax) + 0.564188496988670089180) * ax + 8.88314979438837594118) * ax + 66.1191906371416294775) * ax + 298.635138197400131132) * ax + 881.952221241769090411) * ax + 1712.04761263407058314) * ax + 2051.07837782607146532) * ax) + 1230.33935479799725272;
            var bottom = (((((((((ax + 15.7449261107098347253) * ax) + 117.693950891312499305) * ax + 537.181101862009857509) * ax + 1621.38957456669018874) * ax + 3290.79923573345962678) * ax + 4362.61909014324715820) * ax + 3439.36767414372163696) * ax) + 1230.33935480374942043;
            result = Math.Exp(-ax * ax) * top / bottom;
        }
        else
        {
            var z = 1 / (ax * ax);
            var top = (((((0.0163153871373020978498 * z) + 0.305326634961232344035) * z + 0.360344899949804439429) * z + 0.125781726111229246204) * z + 0.0160837851487422766278) * z + 0.000658749161529837803157;
            var bottom = (((((z + 2.56852019228982242072) * z) + 1.87295284992346725209) * z + 0.527905102951428412248) * z + 0.0605183413124413191178) * z + 0.00233520497626869185443;
            result = Math.Exp(-ax * ax) / ax * (0.564189583547756286948 - (z * top / bottom));
        }

        return x < 0 ? 2 - result : result;
    }
}
