using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

namespace Tollgate.Studio.Learning;

/// <summary>One run of a parameter sweep: the swept parameters' values, the evaluation and the chosen metric's value.</summary>
/// <param name="Parameters">The swept parameters' values by classic name (the learner's other parameters are unchanged).</param>
/// <param name="Evaluation">Evaluate Model's metrics of the run.</param>
/// <param name="Value">The value of the metric the runs are ranked by.</param>
public sealed record SweepRun(IReadOnlyDictionary<string, object> Parameters, Evaluation Evaluation, double Value);

/// <summary>
/// Tune Model Hyperparameters (Machine Learning / Train): trains a learner with several combinations of its parameters
/// and returns every run's metrics, best first, and the best combination trained on the whole training dataset.
/// </summary>
/// <remarks>
/// <para>The values tried come from the learner's <see cref="LearnerModule.SweepRanges"/> (a built-in range per learner,
/// standing for Studio's "Parameter Range" mode); its other parameters keep the values set on the learner. Entire
/// grid tries every combination; Random sweep tries <c>Maximum number of runs on random sweep</c> distinct combinations
/// picked by the seed (all of them when the grid is smaller).</para>
/// <para>Each run is measured on the <c>Optional validation dataset</c> when one is connected (trained on the whole
/// training dataset, scored on the validation one); otherwise by 10-fold cross-validation of the training dataset, as
/// Cross Validate Model does it, every run on the same folds, the metric computed over all the rows scored out of
/// fold.</para>
/// <para><c>Sweep results</c>: one column per swept parameter, then Evaluate Model's numeric metrics; one row per run,
/// best first by the metric chosen for the model's kind (ties in run order). <c>Trained best model</c>: Train Model's
/// model of the best run's parameters on the whole training dataset.</para>
/// </remarks>
public sealed class TuneModelHyperparametersModule : TableModule
{
    public const string Name = "Tune Model Hyperparameters";
    public const string ModeParameter = "Specify parameter sweeping mode";
    public const string MaxRunsParameter = "Maximum number of runs on random sweep";
    public const string SeedParameter = "Random seed";
    public const string LabelParameter = "Label column";
    public const string ClassificationMetricParameter = "Metric for measuring performance for classification";
    public const string RegressionMetricParameter = "Metric for measuring performance for regression";
    public const string EntireGrid = "Entire grid";
    public const string RandomSweep = "Random sweep";

    /// <inheritdoc />
    public override ModuleDefinition Definition { get; } = new(
        Name, "Machine Learning / Train", "Performs a parameter sweep on a model to determine the optimum parameter settings.",
        [
            new ModuleParameter(ModeParameter, ModuleParameterType.Enum, RandomSweep, EnumValues: [EntireGrid, RandomSweep]),
            new ModuleParameter(MaxRunsParameter, ModuleParameterType.Int, 5, 1, 10000),
            new ModuleParameter(SeedParameter, ModuleParameterType.Int, 0, Description: "Seeds the random sweep and the cross-validation folds."),
            new ModuleParameter(LabelParameter, ModuleParameterType.ColumnSelection, Description: "The column holding the label."),
            new ModuleParameter(ClassificationMetricParameter, ModuleParameterType.Enum, "Accuracy",
                EnumValues: PerformanceMetric.TuneClassification.Select(m => m.Name).ToArray()),
            new ModuleParameter(RegressionMetricParameter, ModuleParameterType.Enum, "Mean absolute error",
                EnumValues: PerformanceMetric.TuneRegression.Select(m => m.Name).ToArray()),
        ],
        [
            new ModulePort("Untrained model", PortDirection.Input, ModulePort.UntrainedModel),
            new ModulePort("Training dataset", PortDirection.Input),
            new ModulePort("Optional validation dataset", PortDirection.Input),
        ],
        [new ModulePort("Sweep results", PortDirection.Output), new ModulePort("Trained best model", PortDirection.Output, ModulePort.TrainedModel)]);

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

        var validation = inputs.Count > 2 ? inputs[2] as DataTable : null;
        var (runs, best) = Tune(learner, RequireTable(inputs, 1), validation, parameters, cancellationToken);
        return [Results(learner, runs), best];
    }

    /// <summary>Runs the sweep: the runs, best first, and the best parameters' model trained on <paramref name="training"/>.</summary>
    public (IReadOnlyList<SweepRun> Runs, TrainedModel Best) Tune(UntrainedModel learner, DataTable training, DataTable? validation,
        ModuleParameterValues parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(parameters);
        var trainParameters = CrossValidateModelModule.TrainParameters(parameters.GetColumnSelection(LabelParameter), learner, training, Definition.Inputs[1].Name);
        var metric = learner.Kind == ModelKind.Regression
            ? PerformanceMetric.Find(PerformanceMetric.TuneRegression, parameters.GetString(RegressionMetricParameter))
            : PerformanceMetric.Find(PerformanceMetric.TuneClassification, parameters.GetString(ClassificationMetricParameter));
        var metricParameter = learner.Kind == ModelKind.Regression ? RegressionMetricParameter : ClassificationMetricParameter;
        var seed = parameters.GetInt32(SeedParameter);
        int[]? assignment = null;
        if (validation is not null)
        {
            if (validation.RowCount == 0)
            {
                throw new StudioModuleException(ModuleErrors.DatasetEmpty(Definition.Inputs[2].Name));
            }
        }
        else if (training.RowCount < CrossValidation.DefaultFolds)
        {
            throw new StudioModuleException(ModuleErrors.TooFewRows(Definition.Inputs[1].Name, training.RowCount, CrossValidation.DefaultFolds));
        }
        else
        {
            assignment = CrossValidation.AssignFolds(training.RowCount, CrossValidation.DefaultFolds, seed);
        }

        var train = new TrainModelModule();
        var evaluate = new EvaluateModelModule();
        var runs = new List<(SweepRun Run, UntrainedModel Variant)>();
        foreach (var candidate in Candidates(learner.Learner?.SweepRanges ?? [], parameters.GetString(ModeParameter) == EntireGrid,
            parameters.GetInt32(MaxRunsParameter), seed))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var variant = candidate.Count == 0 ? learner : learner.Learner!.Create(learner.Parameters!, candidate);
            var evaluation = assignment is null
                ? evaluate.Evaluate(train.Train(variant, training, trainParameters, cancellationToken).Score(validation!))
                : evaluate.Evaluate(CrossValidation.Run(variant, training, trainParameters, assignment, CrossValidation.DefaultFolds, cancellationToken).Scored);
            runs.Add((new SweepRun(candidate, evaluation, metric.Read(evaluation, metricParameter)), variant));
        }

        var ordered = runs.OrderBy(r => r.Run.Value, Comparer<double>.Create(metric.CompareBestFirst)).ToArray();
        var best = train.Train(ordered[0].Variant, training, trainParameters, cancellationToken);
        return (ordered.Select(r => r.Run).ToArray(), best);
    }

    /// <summary>
    /// The parameter combinations to try: every combination of <paramref name="ranges"/> (the first range varying
    /// slowest), or <paramref name="maxRuns"/> distinct ones in the order of a shuffle seeded by <paramref name="seed"/>.
    /// No range: one run with the learner as it is.
    /// </summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, object>> Candidates(IReadOnlyList<SweepRange> ranges, bool entireGrid, int maxRuns, int seed)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        IReadOnlyList<IReadOnlyDictionary<string, object>> grid = [new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase)];
        foreach (var range in ranges)
        {
            grid = grid.SelectMany(g => range.Values.Select(v =>
                (IReadOnlyDictionary<string, object>)new Dictionary<string, object>(g, StringComparer.OrdinalIgnoreCase) { [range.Parameter] = v })).ToArray();
        }

        if (entireGrid || grid.Count <= 1)
        {
            return grid;
        }

        var order = Enumerable.Range(0, grid.Count).ToArray();
        new Random(seed).Shuffle(order);
        return order.Take(Math.Min(maxRuns, grid.Count)).Select(i => grid[i]).ToArray();
    }

    /// <summary><c>Sweep results</c>: the swept parameters then the numeric metrics, one row per run in the order given.</summary>
    public static DataTable Results(UntrainedModel learner, IReadOnlyList<SweepRun> runs)
    {
        ArgumentNullException.ThrowIfNull(learner);
        ArgumentNullException.ThrowIfNull(runs);
        var swept = runs[0].Parameters.Keys.ToArray();
        var metrics = CrossValidation.NumericMetrics(runs[0].Evaluation).Select(m => m.Name).ToArray();
        var schema = new DataSchema(swept
            .Select(p => new ColumnSchema(p, runs[0].Parameters[p] is int ? ColumnType.Int32 : ColumnType.Double))
            .Concat(metrics.Select(m => new ColumnSchema(m, ColumnType.Double))));
        var builder = new DataBatchBuilder(schema, runs.Count);
        foreach (var run in runs)
        {
            builder.AppendRow([.. swept.Select(p => (object?)run.Parameters[p]), .. CrossValidation.NumericMetrics(run.Evaluation).Select(m => (object?)m.Value)]);
        }

        return new DataTable(builder.Build());
    }
}
