using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>
/// A metric a module ranks models by (Tune Model Hyperparameters, Permutation Feature Importance): its classic choice
/// name and the Evaluate Model metric it reads for each kind of model.
/// </summary>
/// <param name="Name">The classic name in the module's list, e.g. <c>Root of mean squared error</c>.</param>
/// <param name="HigherIsBetter">Whether a greater value is a better model (accuracy) or a worse one (an error).</param>
/// <param name="TwoClass">The Evaluate Model metric of a two-class model, or null when it has none.</param>
/// <param name="Multiclass">The Evaluate Model metric of a multiclass model, or null when it has none.</param>
/// <param name="Regression">The Evaluate Model metric of a regression model, or null when it has none.</param>
public sealed record PerformanceMetric(string Name, bool HigherIsBetter, string? TwoClass, string? Multiclass, string? Regression)
{
    /// <summary>The metric's value in <paramref name="evaluation"/>.</summary>
    /// <exception cref="StudioModuleException">Error 0039 when Evaluate Model does not compute it for this kind of model.</exception>
    public double Read(Evaluation evaluation, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var metric = evaluation.Kind switch
        {
            ModelKind.TwoClass => TwoClass,
            ModelKind.Multiclass => Multiclass,
            ModelKind.Regression => Regression,
            _ => null,
        };
        return metric is null
            ? throw new StudioModuleException(ModuleErrors.OperationNotSupported(
                $"\"{parameterName}\" is \"{Name}\", which is not a metric of a {Describe(evaluation.Kind)} model."))
            : Convert.ToDouble(evaluation[metric], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>How much worse <paramref name="value"/> is than <paramref name="baseline"/> (positive: worse).</summary>
    public double Loss(double baseline, double value) => HigherIsBetter ? baseline - value : value - baseline;

    /// <summary>Orders values best first (NaN last).</summary>
    public int CompareBestFirst(double x, double y) => (double.IsNaN(x), double.IsNaN(y)) switch
    {
        (true, true) => 0,
        (true, false) => 1,
        (false, true) => -1,
        _ => HigherIsBetter ? y.CompareTo(x) : x.CompareTo(y),
    };

    private static string Describe(ModelKind kind) => kind switch
    {
        ModelKind.TwoClass => "two-class",
        ModelKind.Multiclass => "multiclass",
        ModelKind.Regression => "regression",
        _ => kind.ToString(),
    };

    /// <summary>Tune Model Hyperparameters' <c>Metric for measuring performance for classification</c>.</summary>
    public static IReadOnlyList<PerformanceMetric> TuneClassification { get; } =
    [
        new("Accuracy", true, "Accuracy", "Overall accuracy", null),
        new("Precision", true, "Precision", "Macro-averaged precision", null),
        new("Recall", true, "Recall", "Macro-averaged recall", null),
        new("F-score", true, "F1 Score", null, null),
        new("AUC", true, "AUC", null, null),
        new("Average Log Loss", false, "Average Log Loss", null, null),
    ];

    /// <summary>Tune Model Hyperparameters' <c>Metric for measuring performance for regression</c>.</summary>
    public static IReadOnlyList<PerformanceMetric> TuneRegression { get; } =
    [
        new("Mean absolute error", false, null, null, "Mean Absolute Error"),
        new("Root of mean squared error", false, null, null, "Root Mean Squared Error"),
        new("Relative absolute error", false, null, null, "Relative Absolute Error"),
        new("Relative squared error", false, null, null, "Relative Squared Error"),
        new("Coefficient of determination", true, null, null, "Coefficient of Determination"),
    ];

    /// <summary>Permutation Feature Importance's <c>Metric for measuring performance</c>.</summary>
    public static IReadOnlyList<PerformanceMetric> PermutationImportance { get; } =
    [
        new("Classification - Accuracy", true, "Accuracy", "Overall accuracy", null),
        new("Classification - Precision", true, "Precision", "Macro-averaged precision", null),
        new("Classification - Recall", true, "Recall", "Macro-averaged recall", null),
        new("Classification - Average Log Loss", false, "Average Log Loss", null, null),
        new("Regression - Mean Absolute Error", false, null, null, "Mean Absolute Error"),
        new("Regression - Root Mean Squared Error", false, null, null, "Root Mean Squared Error"),
        new("Regression - Relative Absolute Error", false, null, null, "Relative Absolute Error"),
        new("Regression - Relative Squared Error", false, null, null, "Relative Squared Error"),
        new("Regression - Coefficient of Determination", true, null, null, "Coefficient of Determination"),
    ];

    /// <summary>The metric of <paramref name="list"/> named <paramref name="name"/> (an enum parameter's bound value).</summary>
    public static PerformanceMetric Find(IReadOnlyList<PerformanceMetric> list, string name) =>
        list.First(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One fold of a cross-validation: its rows and the evaluation of their scores.</summary>
/// <param name="Fold">The 0-based fold number.</param>
/// <param name="Rows">How many rows the fold holds.</param>
/// <param name="Evaluation">Evaluate Model's metrics of the fold's rows, scored by the model trained on the other folds.</param>
public sealed record FoldResult(int Fold, int Rows, Evaluation Evaluation);

/// <summary>
/// Cross-validation as Cross Validate Model runs it (and Tune Model Hyperparameters without a validation dataset):
/// rows dealt into folds at random (a seeded Fisher–Yates shuffle, then row <c>i</c> of the shuffle to fold
/// <c>i mod n</c>, so folds differ in size by at most one), each fold scored by the model Train Model trains on the
/// other folds, and each fold evaluated by Evaluate Model.
/// </summary>
public static class CrossValidation
{
    /// <summary>Studio's number of folds when the dataset has no fold assignment (Partition and Sample is not offered).</summary>
    public const int DefaultFolds = 10;

    /// <summary>The fold of each row: <paramref name="folds"/> folds of sizes differing by at most one, dealt by a seeded shuffle.</summary>
    public static int[] AssignFolds(int rows, int folds, int seed)
    {
        var order = Enumerable.Range(0, rows).ToArray();
        new Random(seed).Shuffle(order);
        var assignment = new int[rows];
        for (var i = 0; i < order.Length; i++)
        {
            assignment[order[i]] = i % folds;
        }

        return assignment;
    }

    /// <summary>
    /// Scores every row of <paramref name="table"/> with the model trained on the rows of the other folds; the scored
    /// rows keep <paramref name="table"/>'s order (Score Model's columns, the label marked), with each fold's evaluation.
    /// </summary>
    /// <exception cref="StudioModuleException">Train Model's, Score Model's or Evaluate Model's error on a fold.</exception>
    public static (DataTable Scored, IReadOnlyList<FoldResult> Folds) Run(UntrainedModel learner, DataTable table, ModuleParameterValues trainParameters,
        int[] assignment, int folds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(assignment);
        var train = new TrainModelModule();
        var evaluate = new EvaluateModelModule();
        var parts = new List<DataTable>();
        var results = new List<FoldResult>();
        var position = new int[table.RowCount];
        var next = 0;
        for (var fold = 0; fold < folds; fold++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var k = fold;
            var test = Enumerable.Range(0, table.RowCount).Where(r => assignment[r] == k).ToArray();
            var rest = Enumerable.Range(0, table.RowCount).Where(r => assignment[r] != k).ToArray();
            var model = train.Train(learner, table.TakeRows(rest), trainParameters, cancellationToken);
            var scored = model.Score(table.TakeRows(test));
            if (parts.Count > 0 && !scored.Schema.Equals(parts[0].Schema))
            {
                // A multiclass label value missing from one fold's training rows gives that fold other score columns.
                throw new StudioModuleException(ModuleErrors.LabelColumn(
                    $"Fold {k}: the rows of the other folds do not hold every label value, so its model scores other classes. Use more rows of each label value.",
                    TrainModelModule.LabelParameter));
            }

            parts.Add(scored);
            results.Add(new FoldResult(k, test.Length, evaluate.Evaluate(scored)));
            foreach (var r in test)
            {
                position[r] = next++;
            }
        }

        var all = DataTable.FromBatches(parts[0].Schema, parts.Select(p => p.Data), parts[0].Metadata);
        return (all.TakeRows(position), results);
    }

    /// <summary>The numeric metrics of an evaluation (counts and ratios), in Evaluate Model's order.</summary>
    public static IEnumerable<(string Name, double Value)> NumericMetrics(Evaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        foreach (var (name, value) in evaluation.Metrics)
        {
            switch (value)
            {
                case int i:
                    yield return (name, i);
                    break;
                case double d:
                    yield return (name, d);
                    break;
            }
        }
    }
}
