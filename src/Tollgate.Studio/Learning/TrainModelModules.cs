using Microsoft.ML;
using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>
/// Train Model (Machine Learning / Train): trains a classification or regression learner on a dataset, the label chosen
/// with the column selector. Rows whose label is missing are left out.
/// </summary>
/// <remarks>
/// Two-class: the label must have exactly two values; the greater (numbers by value, text ordinally, <c>True</c> over
/// <c>False</c>) is the positive class. Multiclass: two values or more. Regression: a numeric or Boolean label.
/// Otherwise Error 0035; no labelled row is Error 0003; a clustering learner is Error 0039 (use Train Clustering Model).
/// </remarks>
public sealed class TrainModelModule : TableModule
{
    public const string Name = "Train Model";
    public const string LabelParameter = "Label column";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Machine Learning / Train", "Trains a classification or regression model in a supervised manner.",
        [new ModuleParameter(LabelParameter, ModuleParameterType.ColumnSelection, Description: "The column holding the label.")],
        [new ModulePort("Untrained model", PortDirection.Input, ModulePort.UntrainedModel), new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Trained model", PortDirection.Output, ModulePort.TrainedModel)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var learner = inputs.Count > 0 ? inputs[0] as UntrainedModel : null;
        if (learner is null)
        {
            throw new StudioModuleException(ModuleErrors.InputNullOrEmpty(Definition.Inputs[0].Name));
        }

        return [Train(learner, RequireTable(inputs, 1), parameters, cancellationToken)];
    }

    /// <summary>Trains <paramref name="learner"/> on <paramref name="table"/>.</summary>
    public TrainedModel Train(UntrainedModel learner, DataTable table, ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(parameters);
        if (learner.Kind == ModelKind.Clustering)
        {
            throw new StudioModuleException(ModuleErrors.OperationNotSupported($"\"{learner.LearnerName}\" is a clustering learner: train it with Train Clustering Model."));
        }

        var label = Resolve(parameters, LabelParameter, table.Schema);
        if (label.Count != 1)
        {
            throw new StudioModuleException(ModuleErrors.SingleColumnExpected(LabelParameter, label.Count));
        }

        var labelIndex = label[0];
        var labelSchema = table.Schema[labelIndex];
        var labelled = Enumerable.Range(0, table.RowCount).Where(r => !table[labelIndex].IsMissing(r)).ToArray();
        if (labelled.Length == 0)
        {
            throw new StudioModuleException(ModuleErrors.DatasetEmpty(Definition.Inputs[1].Name));
        }

        var data = labelled.Length == table.RowCount ? table : table.TakeRows(labelled);
        var featurizer = Featurizer.Learn(data, labelIndex);
        IReadOnlyList<object> classes = [];
        if (learner.Kind == ModelKind.Regression)
        {
            if (!DataTable.IsNumeric(labelSchema.Type) && labelSchema.Type != ColumnType.Boolean)
            {
                throw new StudioModuleException(ModuleErrors.LabelColumn(
                    $"The label column \"{labelSchema.Name}\" is {labelSchema.Type}; \"{learner.LearnerName}\" needs a numeric label.", LabelParameter));
            }
        }
        else
        {
            var values = new SortedSet<object>(CellComparer.Instance!);
            for (var r = 0; r < data.RowCount; r++)
            {
                values.Add(data.GetValue(r, labelIndex)!);
            }

            classes = values.ToArray();
            if (learner.Kind == ModelKind.TwoClass && classes.Count != 2)
            {
                throw new StudioModuleException(ModuleErrors.LabelColumn(
                    $"The label column \"{labelSchema.Name}\" has {classes.Count} distinct values; a two-class learner needs exactly 2.", LabelParameter));
            }

            if (learner.Kind == ModelKind.Multiclass && classes.Count < 2)
            {
                throw new StudioModuleException(ModuleErrors.LabelColumn(
                    $"The label column \"{labelSchema.Name}\" has {classes.Count} distinct value; a multiclass learner needs at least 2.", LabelParameter));
            }

            if (classes.Count > ConvertToIndicatorValuesModule.MaxCategories)
            {
                throw new StudioModuleException(ModuleErrors.TooManyCategories(labelSchema.Name, ConvertToIndicatorValuesModule.MaxCategories));
            }
        }

        var indices = featurizer.Bind(data.Schema);
        var rows = new FeatureRow[data.RowCount];
        for (var r = 0; r < rows.Length; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var value = data.GetValue(r, labelIndex)!;
            rows[r] = new FeatureRow { Features = featurizer.Featurize(data, indices, r) };
            switch (learner.Kind)
            {
                case ModelKind.TwoClass:
                    rows[r].BoolLabel = CellComparer.Instance.Equals(value, classes[1]);
                    break;
                case ModelKind.Multiclass:
                    rows[r].KeyLabel = (uint)IndexOf(classes, value);
                    break;
                default:
                    rows[r].Label = (float)DataTable.GetNumber(data[labelIndex], r)!.Value;
                    break;
            }
        }

        var ml = new MLContext(learner.Seed);
        var model = ModelTraining.Fit(learner, ml, rows, featurizer.Length, classes.Count);
        return new TrainedModel(learner.LearnerName, learner.Kind, featurizer, labelSchema.Name,
            learner.Kind == ModelKind.Regression ? ColumnType.Double : labelSchema.Type, classes, ml, model);
    }

    private static int IndexOf(IReadOnlyList<object> classes, object value)
    {
        for (var k = 0; k < classes.Count; k++)
        {
            if (CellComparer.Instance.Equals(classes[k], value))
            {
                return k;
            }
        }

        return -1;
    }
}

/// <summary>
/// Train Clustering Model (Machine Learning / Train): trains a clustering learner on the selected columns and returns
/// the model and the dataset with its <c>Assignments</c> (appended, or alone).
/// </summary>
public sealed class TrainClusteringModelModule : TableModule
{
    public const string Name = "Train Clustering Model";
    public const string ColumnSetParameter = "Column Set";
    public const string AppendParameter = "Check for Append or Uncheck for Result Only";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Machine Learning / Train", "Trains a clustering model and assigns data from the training set to clusters.",
        [
            new ModuleParameter(ColumnSetParameter, ModuleParameterType.ColumnSelection, ColumnSelection.AllColumns()),
            new ModuleParameter(AppendParameter, ModuleParameterType.Boolean, true),
        ],
        [new ModulePort("Untrained model", PortDirection.Input, ModulePort.UntrainedModel), new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Trained model", PortDirection.Output, ModulePort.TrainedModel), new ModulePort("Results dataset", PortDirection.Output)]);

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

        var table = RequireTable(inputs, 1);
        var model = Train(learner, table, parameters);
        return [model, model.Score(table, parameters.GetBoolean(AppendParameter))];
    }

    /// <summary>Trains <paramref name="learner"/> on the selected columns of <paramref name="table"/>.</summary>
    public TrainedModel Train(UntrainedModel learner, DataTable table, ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(parameters);
        if (learner.Kind != ModelKind.Clustering)
        {
            throw new StudioModuleException(ModuleErrors.OperationNotSupported($"\"{learner.LearnerName}\" is not a clustering learner: train it with Train Model."));
        }

        if (table.RowCount == 0)
        {
            throw new StudioModuleException(ModuleErrors.DatasetEmpty(Definition.Inputs[1].Name));
        }

        var selected = table.SelectColumns(Resolve(parameters, ColumnSetParameter, table.Schema));
        var featurizer = Featurizer.Learn(selected, -1);
        var indices = featurizer.Bind(selected.Schema);
        var rows = Enumerable.Range(0, selected.RowCount).Select(r => new FeatureRow { Features = featurizer.Featurize(selected, indices, r) }).ToArray();
        var ml = new MLContext(learner.Seed);
        var model = ModelTraining.Fit(learner, ml, rows, featurizer.Length, 0);
        return new TrainedModel(learner.LearnerName, ModelKind.Clustering, featurizer, null, ColumnType.Int32, [], ml, model);
    }
}

/// <summary>Fits ML.NET trainers, turning their failures into Studio module errors.</summary>
internal static class ModelTraining
{
    public static ITransformer Fit(UntrainedModel learner, MLContext ml, FeatureRow[] rows, int features, int classes)
    {
        try
        {
            var view = ml.Data.LoadFromEnumerable(rows, FeatureRow.Definition(features, classes));
            return learner.CreateTrainer(ml).Fit(view);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
        {
            throw new StudioModuleException(ModuleErrors.LibraryError(learner.LearnerName, ex.Message));
        }
    }
}

/// <summary>Score Model (Machine Learning / Score): appends a trained model's predictions (see <see cref="TrainedModel.Score"/>).</summary>
public sealed class ScoreModelModule : TableModule
{
    public const string Name = "Score Model";
    public const string AppendParameter = "Append score columns to output";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Machine Learning / Score", "Scores predictions for a trained classification or regression model.",
        [new ModuleParameter(AppendParameter, ModuleParameterType.Boolean, true)],
        [new ModulePort("Trained model", PortDirection.Input, ModulePort.TrainedModel), new ModulePort("Dataset", PortDirection.Input)],
        [new ModulePort("Scored dataset", PortDirection.Output)]);

    /// <inheritdoc />
    public override IReadOnlyList<object> Run(IReadOnlyList<object?> inputs, ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(parameters);
        var model = inputs.Count > 0 ? inputs[0] as TrainedModel : null;
        if (model is null)
        {
            throw new StudioModuleException(ModuleErrors.InputNullOrEmpty(Definition.Inputs[0].Name));
        }

        return [model.Score(RequireTable(inputs, 1), parameters.GetBoolean(AppendParameter))];
    }

    /// <inheritdoc />
    public override int? RowwisePort => 1;

    /// <inheritdoc />
    public override DataTable RunRows(IReadOnlyList<object?> inputs, DataTable rows, ModuleParameterValues parameters)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(parameters);
        var model = inputs.Count > 0 ? inputs[0] as TrainedModel : null;
        return model is null
            ? throw new StudioModuleException(ModuleErrors.InputNullOrEmpty(Definition.Inputs[0].Name))
            : model.Score(rows, parameters.GetBoolean(AppendParameter));
    }

    /// <inheritdoc />
    /// <remarks>With a model known before the run (a saved trained model), the score columns follow from the schema.</remarks>
    public override IReadOnlyList<DataSchema?>? OutputSchemas(IReadOnlyList<object?> inputs, ModuleParameterValues parameters) =>
        inputs is [TrainedModel model, DataSchema schema, ..]
            ? [model.Score(DataTable.Empty(schema), parameters.GetBoolean(AppendParameter)).Schema]
            : null;
}

/// <summary>The Train, Score, Evaluate and Feature Selection modules of the palette.</summary>
public static class LearningModules
{
    /// <summary>
    /// Train Model, Train Clustering Model, Tune Model Hyperparameters, Score Model, Evaluate Model, Cross Validate
    /// Model, Permutation Feature Importance.
    /// </summary>
    public static IReadOnlyList<TableModule> All { get; } =
    [
        new TrainModelModule(), new TrainClusteringModelModule(), new TuneModelHyperparametersModule(), new ScoreModelModule(),
        new EvaluateModelModule(), new CrossValidateModelModule(), new PermutationFeatureImportanceModule(),
    ];
}
