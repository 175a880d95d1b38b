using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>
/// Cross Validate Model (Machine Learning / Evaluate): trains a classification or regression learner on all folds but
/// one and scores the one left out, for each of <see cref="CrossValidation.DefaultFolds"/> folds (see
/// <see cref="CrossValidation"/>).
/// </summary>
/// <remarks>
/// <para><c>Scored results</c>: <c>Fold Assignments</c> (Int32, the row's 0-based fold) then the dataset's columns and
/// Score Model's columns, rows in the dataset's order; every row is scored once, by the model that did not see it.</para>
/// <para><c>Evaluation results by fold</c>: <c>Fold Number</c>, <c>Number of examples in fold</c>, <c>Model</c> (the
/// learner) and Evaluate Model's numeric metrics of the fold, one row per fold, then a <c>Mean</c> and a
/// <c>Standard Deviation</c> row (sample standard deviation, n − 1) of each metric.</para>
/// <para>[I] Studio took the folds of Partition and Sample's fold assignment when the dataset had one; Tollgate has no
/// Partition and Sample, so the dataset is always dealt into 10 folds by the seed. Errors: the learner or dataset
/// missing or empty, Error 0003; fewer rows than folds, Error 0021; a clustering learner, Error 0039; the label as in
/// Train Model (0001 missing, 0035 unusable).</para>
/// </remarks>
public sealed class CrossValidateModelModule : TableModule
{
    public const string Name = "Cross Validate Model";
    public const string LabelParameter = "Label column";
    public const string SeedParameter = "Random seed";
    public const string FoldColumn = "Fold Assignments";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Machine Learning / Evaluate", "Cross-validates parameter estimates for classification or regression models by partitioning the data.",
        [
            new ModuleParameter(LabelParameter, ModuleParameterType.ColumnSelection, Description: "The column holding the label."),
            new ModuleParameter(SeedParameter, ModuleParameterType.Int, 0, Description: "Seeds the assignment of rows to folds."),
        ],
        [new ModulePort("Untrained model", PortDirection.Input, ModulePort.UntrainedModel), new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Scored results", PortDirection.Output), new ModulePort("Evaluation results by fold", PortDirection.Output)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(parameters);
        var learner = inputs.Count > 0 ? inputs[0] as UntrainedModel : null;
        if (learner is null)
        {
            throw new StudioModuleException(ModuleErrors.InputNullOrEmpty(Definition.Inputs[0].Name));
        }

        var (scored, folds) = CrossValidate(learner, RequireTable(inputs, 1), parameters, cancellationToken);
        return [scored, ByFold(learner, folds)];
    }

    /// <summary>The scored rows (with their fold) and each fold's evaluation.</summary>
    public (DataTable Scored, IReadOnlyList<FoldResult> Folds) CrossValidate(UntrainedModel learner, DataTable table, ModuleParameterValues parameters,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(parameters);
        var trainParameters = TrainParameters(parameters.GetColumnSelection(LabelParameter), learner, table, Definition.Inputs[1].Name);
        var folds = CrossValidation.DefaultFolds;
        if (table.RowCount < folds)
        {
            throw new StudioModuleException(ModuleErrors.TooFewRows(Definition.Inputs[1].Name, table.RowCount, folds));
        }

        var assignment = CrossValidation.AssignFolds(table.RowCount, folds, parameters.GetInt32(SeedParameter));
        var (scored, results) = CrossValidation.Run(learner, table, trainParameters, assignment, folds, cancellationToken);
        var columns = scored.ToColumnList();
        var taken = new HashSet<string>(columns.Select(c => c.Schema.Name), StringComparer.Ordinal);
        var fold = DataColumnBuilder.Create(ColumnType.Int32, assignment.Length);
        foreach (var k in assignment)
        {
            fold.AppendValue(k);
        }

        columns.Insert(0, (new ColumnSchema(UniqueName(FoldColumn, taken), ColumnType.Int32), fold.Build(), ColumnMetadata.Default));
        return (DataTable.Create(columns), results);
    }

    /// <summary>
    /// Checks what every learner-and-dataset module checks before training (the learner's kind, a single label column,
    /// rows) and returns Train Model's parameters for that label.
    /// </summary>
    internal static ModuleParameterValues TrainParameters(ColumnSelection label, UntrainedModel learner, DataTable table, string inputName)
    {
        if (learner.Kind is not (ModelKind.TwoClass or ModelKind.Multiclass or ModelKind.Regression))
        {
            throw new StudioModuleException(ModuleErrors.OperationNotSupported(
                $"\"{learner.LearnerName}\" is not a classification or regression learner."));
        }

        var columns = label.Resolve(table.Schema, LabelParameter);
        if (columns.Count != 1)
        {
            throw new StudioModuleException(ModuleErrors.SingleColumnExpected(LabelParameter, columns.Count));
        }

        if (table.RowCount == 0)
        {
            throw new StudioModuleException(ModuleErrors.DatasetEmpty(inputName));
        }

        var train = new TrainModelModule();
        return train.Definition.Bind(new Dictionary<string, object?> { [TrainModelModule.LabelParameter] = label });
    }

    /// <summary><c>Evaluation results by fold</c>: one row per fold, then Mean and Standard Deviation.</summary>
    public static DataTable ByFold(UntrainedModel learner, IReadOnlyList<FoldResult> folds)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(folds);
        var metrics = folds.Select(f => CrossValidation.NumericMetrics(f.Evaluation).ToArray()).ToArray();
        var names = metrics[0].Select(m => m.Name).ToArray();
        var schema = new DataSchema(new[]
            {
                new ColumnSchema("Fold Number", ColumnType.String),
                new ColumnSchema("Number of examples in fold", ColumnType.Int32),
                new ColumnSchema("Model", ColumnType.String),
            }
            .Concat(names.Select(n => new ColumnSchema(n, ColumnType.Double))));
        var builder = new DataBatchBuilder(schema, folds.Count + 2);
        for (var i = 0; i < folds.Count; i++)
        {
            builder.AppendRow([folds[i].Fold.ToString(System.Globalization.CultureInfo.InvariantCulture), folds[i].Rows, learner.LearnerName, .. metrics[i].Select(m => (object?)m.Value)]);
        }

        var columns = Enumerable.Range(0, names.Length).Select(c => metrics.Select(m => m[c].Value).ToArray()).ToArray();
        var means = columns.Select(values => values.Average()).ToArray();
        var deviations = columns.Select((values, c) => values.Length < 2
            ? 0
            : Math.Sqrt(values.Sum(v => (v - means[c]) * (v - means[c])) / (values.Length - 1))).ToArray();
        builder.AppendRow(["Mean", null, learner.LearnerName, .. means.Select(v => (object?)v)]);
        builder.AppendRow(["Standard Deviation", null, learner.LearnerName, .. deviations.Select(v => (object?)v)]);
        return new DataTable(builder.Build());
    }
}
