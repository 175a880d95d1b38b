using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>
/// Permutation Feature Importance (Feature Selection): how much a trained model's performance on a test dataset drops
/// when one feature column's values are shuffled among the rows, for each feature column of the model.
/// </summary>
/// <remarks>
/// <para>The test data is scored with Score Model and measured with Evaluate Model's metric; then, for each feature
/// column in the model's order, that column alone is permuted (a seeded Fisher–Yates shuffle; one random sequence
/// for all columns in turn) and the data scored and measured again. <c>Feature importance</c>: <c>Feature</c> (the
/// column) and <c>Score</c>, the metric's loss (baseline − permuted for accuracy-like metrics, permuted − baseline for
/// errors, so a positive score means the model needs the column), sorted by score descending (ties in feature
/// order).</para>
/// <para>[I] Studio seeded from the clock when Random seed was 0; here 0 is a seed like any other, so a run is
/// repeatable. Errors: no model or data, or no rows, Error 0003; the test data without the model's label column,
/// Error 0024; a clustering or ONNX model, or a metric of another kind of model, Error 0039; a feature column missing
/// or of another type, as in Score Model (0001, 0017).</para>
/// </remarks>
public sealed class PermutationFeatureImportanceModule : TableModule
{
    public const string Name = "Permutation Feature Importance";
    public const string SeedParameter = "Random seed";
    public const string MetricParameter = "Metric for measuring performance";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Feature Selection", "Computes the permutation feature importance scores of feature variables given a trained model and a test dataset.",
        [
            new ModuleParameter(SeedParameter, ModuleParameterType.Int, 0, 0, Description: "Seeds the shuffles of the feature columns."),
            new ModuleParameter(MetricParameter, ModuleParameterType.Enum, "Classification - Accuracy",
                EnumValues: PerformanceMetric.PermutationImportance.Select(m => m.Name).ToArray()),
        ],
        [new ModulePort("Trained model", PortDirection.Input, ModulePort.TrainedModel), new ModulePort("Test data", PortDirection.Input)],
        [new ModulePort("Feature importance", PortDirection.Output)]);

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

        var scores = Importance(model, RequireTable(inputs, 1), parameters, cancellationToken);
        var builder = new DataBatchBuilder(new DataSchema(new ColumnSchema("Feature", ColumnType.String), new ColumnSchema("Score", ColumnType.Double)), scores.Count);
        foreach (var (feature, score) in scores)
        {
            builder.AppendRow(feature, score);
        }

        return [new DataTable(builder.Build())];
    }

    /// <summary>Each feature column's importance, highest first.</summary>
    public IReadOnlyList<(string Feature, double Score)> Importance(TrainedModel model, DataTable test, ModuleParameterValues parameters,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(parameters);
        if (model.Kind is not (ModelKind.TwoClass or ModelKind.Multiclass or ModelKind.Regression) || model.LabelName is null)
        {
            throw new StudioModuleException(ModuleErrors.OperationNotSupported(
                $"\"{model.LearnerName}\" is not a classification or regression model trained by Train Model."));
        }

        if (test.Schema.IndexOf(model.LabelName) < 0)
        {
            throw new StudioModuleException(ModuleErrors.LabelColumnMissing(Definition.Inputs[1].Name, model.LabelName));
        }

        if (test.RowCount == 0)
        {
            throw new StudioModuleException(ModuleErrors.DatasetEmpty(Definition.Inputs[1].Name));
        }

        var metric = PerformanceMetric.Find(PerformanceMetric.PermutationImportance, parameters.GetString(MetricParameter));
        var evaluate = new EvaluateModelModule();
        double Measure(DataTable data) => metric.Read(evaluate.Evaluate(model.Score(data)), MetricParameter);
        var baseline = Measure(test);
        var random = new Random(parameters.GetInt32(SeedParameter));
        var scores = new List<(string Feature, double Score)>();
        foreach (var feature in model.Featurizer.Columns)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var index = test.Schema.IndexOf(feature.Name);
            var order = Enumerable.Range(0, test.RowCount).ToArray();
            random.Shuffle(order);
            var columns = test.ToColumnList();
            var shuffled = DataColumnBuilder.Create(test.Schema[index].Type, order.Length);
            foreach (var r in order)
            {
                shuffled.AppendValue(test.GetValue(r, index));
            }

            columns[index] = (columns[index].Schema, shuffled.Build(), columns[index].Metadata);
            scores.Add((feature.Name, metric.Loss(baseline, Measure(DataTable.Create(columns)))));
        }

        return scores.OrderByDescending(s => s.Score).ToArray();
    }
}
