using Tollgate.Studio.Data;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;
using static Tollgate.UnitTests.Studio.Tables.TableTestData;

namespace Tollgate.UnitTests.Studio.Learning;

/// <summary>Cross Validate Model, Tune Model Hyperparameters and Permutation Feature Importance, each checked against values computed here.</summary>
public sealed class ModelSelectionTests
{
    private static readonly TrainModelModule Train = new();
    private static readonly CrossValidateModelModule CrossValidate = new();
    private static readonly TuneModelHyperparametersModule Tune = new();
    private static readonly PermutationFeatureImportanceModule Importance = new();

    /// <summary>The label is "yes" when x + y &gt; 1, a tenth of the labels flipped; colour is noise.</summary>
    private static DataTable TwoClassData(int rows, int seed)
    {
        var random = new Random(seed);
        return Table([("x", ColumnType.Double), ("y", ColumnType.Double), ("colour", ColumnType.String), ("label", ColumnType.String)],
            Enumerable.Range(0, rows).Select(i =>
            {
                var x = random.NextDouble();
                var y = random.NextDouble();
                var positive = (x + y > 1) ^ (i % 10 == 0);
                return new object?[] { x, y, i % 2 == 0 ? "red" : "blue", positive ? "yes" : "no" };
            }).ToArray());
    }

    /// <summary>target = 3a + 1 plus a little noise; b is pure noise.</summary>
    private static DataTable RegressionData(int rows, int seed)
    {
        var random = new Random(seed);
        return Table([("a", ColumnType.Double), ("b", ColumnType.Double), ("target", ColumnType.Double)],
            Enumerable.Range(0, rows).Select(_ =>
            {
                var a = random.NextDouble() * 4;
                return new object?[] { a, random.NextDouble() * 4, (3 * a) + 1 + ((random.NextDouble() - 0.5) * 0.1) };
            }).ToArray());
    }

    private static UntrainedModel Learner(LearnerModule module, params (string Name, object? Value)[] values) =>
        module.Create(module.Definition.Bind(values.ToDictionary(v => v.Name, v => v.Value)));

    private static TrainedModel TrainOn(UntrainedModel learner, DataTable data, string label) =>
        Train.Train(learner, data, Bind(Train, ("Label column", label)));

    private static UntrainedModel Regressor() =>
        Learner(LearnerModule.LinearRegression, ("Number of training epochs", 50), ("Average final hypothesis", false), ("Random number seed", 3));

    private static double SampleStandardDeviation(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    [Fact]
    public void CrossValidateModel_ScoresEveryRowOnce_WithTheModelOfTheOtherFolds_AndEvaluatesEachFold()
    {
        var data = TwoClassData(95, 1);
        var learner = Learner(LearnerModule.TwoClassLogisticRegression, ("Random number seed", 5));
        var outputs = CrossValidate.Run([learner, data], Bind(CrossValidate, ("Label column", "label"), ("Random seed", 11)));
        var scored = (DataTable)outputs[0];
        var byFold = (DataTable)outputs[1];

        Assert.Equal(["Fold Assignments", "x", "y", "colour", "label", "Scored Labels", "Scored Probabilities"], scored.Schema.Names);
        Assert.Equal(Column(data, "x"), Column(scored, "x")); // every row once, in the dataset's order
        var folds = Column(scored, "Fold Assignments").Cast<int>().ToArray();
        Assert.Equal(Enumerable.Range(0, 10), folds.Distinct().Order());
        Assert.All(folds.GroupBy(f => f), g => Assert.InRange(g.Count(), 9, 10));

        // Each fold's scores are those of a model trained here on the rows of the other folds.
        for (var k = 0; k < 10; k++)
        {
            var test = Enumerable.Range(0, data.RowCount).Where(r => folds[r] == k).ToArray();
            var rest = Enumerable.Range(0, data.RowCount).Where(r => folds[r] != k).ToArray();
            var expected = TrainOn(learner, data.TakeRows(rest), "label").Score(data.TakeRows(test));
            Assert.Equal(Column(expected, "Scored Probabilities"), test.Select(r => scored["Scored Probabilities"].GetValue(r)));
        }

        Assert.Equal(["Fold Number", "Number of examples in fold", "Model"], byFold.Schema.Names.Take(3));
        Assert.Contains("AUC", byFold.Schema.Names);
        Assert.Equal([.. Enumerable.Range(0, 10).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)), "Mean", "Standard Deviation"],
            Column(byFold, "Fold Number"));
        Assert.All(Column(byFold, "Model"), m => Assert.Equal("Two-Class Logistic Regression", m));
        var accuracies = new List<double>();
        for (var k = 0; k < 10; k++)
        {
            var rows = Enumerable.Range(0, data.RowCount).Where(r => folds[r] == k).ToArray();
            Assert.Equal(rows.Length, byFold["Number of examples in fold"].GetValue(k));
            var accuracy = rows.Count(r => Equals(scored["Scored Labels"].GetValue(r), scored["label"].GetValue(r))) / (double)rows.Length;
            Assert.Equal(accuracy, (double)byFold["Accuracy"].GetValue(k)!, 12);
            accuracies.Add(accuracy);
        }

        Assert.Equal(accuracies.Average(), (double)byFold["Accuracy"].GetValue(10)!, 12);
        Assert.Equal(SampleStandardDeviation(accuracies), (double)byFold["Accuracy"].GetValue(11)!, 12);
        Assert.True(accuracies.Average() > 0.75);

        // The scored results carry the label for Evaluate Model; a seed gives the same folds, another seed others.
        Assert.Equal("label", scored.Schema[scored.LabelIndex].Name);
        var again = (DataTable)CrossValidate.Run([learner, data], Bind(CrossValidate, ("Label column", "label"), ("Random seed", 11)))[0];
        Assert.Equal(Column(scored, "Scored Probabilities"), Column(again, "Scored Probabilities"));
        var other = (DataTable)CrossValidate.Run([learner, data], Bind(CrossValidate, ("Label column", "label"), ("Random seed", 12)))[0];
        Assert.NotEqual(folds, Column(other, "Fold Assignments").Cast<int>().ToArray());
    }

    [Fact]
    public void CrossValidateModel_Regression_GivesEachFoldsErrors()
    {
        var data = RegressionData(40, 2);
        var (scored, folds) = CrossValidate.CrossValidate(Regressor(), data, Bind(CrossValidate, ("Label column", "target")));
        Assert.Equal(10, folds.Count);
        Assert.All(folds, f => Assert.Equal(4, f.Rows));
        foreach (var fold in folds)
        {
            var rows = Enumerable.Range(0, data.RowCount).Where(r => (int)scored["Fold Assignments"].GetValue(r)! == fold.Fold).ToArray();
            var mae = rows.Average(r => Math.Abs((double)scored["target"].GetValue(r)! - (double)scored["Scored Labels"].GetValue(r)!));
            Assert.Equal(mae, (double)fold.Evaluation["Mean Absolute Error"], 12);
        }

        var byFold = CrossValidateModelModule.ByFold(Regressor(), folds);
        Assert.Equal(["Mean Absolute Error", "Root Mean Squared Error", "Relative Absolute Error", "Relative Squared Error", "Coefficient of Determination"],
            byFold.Schema.Names.Skip(3));
    }

    [Fact]
    public void CrossValidateModel_BadInput_GivesTheModulesStudioError()
    {
        var data = TwoClassData(30, 3);
        var lr = Learner(LearnerModule.TwoClassLogisticRegression);
        var label = Bind(CrossValidate, ("Label column", "label"));
        Assert.Equal("0001", Fails(() => CrossValidate.Run([lr, data], Bind(CrossValidate, ("Label column", "nope")))).ErrorCode);
        Assert.Equal("0035", Fails(() => CrossValidate.Run([Learner(LearnerModule.LinearRegression), data], label)).ErrorCode);
        Assert.Equal("0039", Fails(() => CrossValidate.Run([Learner(LearnerModule.KMeansClustering), data], label)).ErrorCode);
        Assert.Equal("0003", Fails(() => CrossValidate.Run([null, data], label)).ErrorCode);
        Assert.Equal("0003", Fails(() => CrossValidate.Run([lr, null], label)).ErrorCode);
        Assert.Equal("0003", Fails(() => CrossValidate.Run([lr, data.TakeRows([])], label)).ErrorCode);
        var tooFew = Fails(() => CrossValidate.Run([lr, data.TakeRows(Enumerable.Range(0, 9).ToArray())], label));
        Assert.Equal("0021", tooFew.ErrorCode);
        Assert.Contains("10", tooFew.Message);
    }

    [Fact]
    public void CrossValidateModel_Multiclass_EvaluatesEachFold_AndALabelValueOfOneRowIsError0035()
    {
        var random = new Random(14);
        var rows = Enumerable.Range(0, 60).Select(i => new object?[] { (i % 3) + (random.NextDouble() * 0.5), $"class {i % 3}" }).ToList();
        var data = Table([("x", ColumnType.Double), ("label", ColumnType.String)], [.. rows]);
        var learner = Learner(LearnerModule.MulticlassLogisticRegression, ("L1 regularization weight", 0.0), ("L2 regularization weight", 0.01));
        var outputs = CrossValidate.Run([learner, data], Bind(CrossValidate, ("Label column", "label"), ("Random seed", -3)));
        var scored = (DataTable)outputs[0];
        var byFold = (DataTable)outputs[1];

        Assert.Contains("Scored Probabilities for Class \"class 2\"", scored.Schema.Names);
        var perFold = Enumerable.Range(0, 10).Select(k =>
        {
            var inFold = Enumerable.Range(0, data.RowCount).Where(r => (int)scored["Fold Assignments"].GetValue(r)! == k).ToArray();
            return inFold.Count(r => Equals(scored["Scored Labels"].GetValue(r), scored["label"].GetValue(r))) / (double)inFold.Length;
        }).ToArray();
        Assert.Equal(perFold, Column(byFold, "Overall accuracy").Take(10).Cast<double>(), new ToleranceComparer(1e-12));
        Assert.Equal(perFold.Average(), (double)byFold["Overall accuracy"].GetValue(10)!, 12);

        rows.Add([9.0, "rare"]);
        var rare = Table([("x", ColumnType.Double), ("label", ColumnType.String)], [.. rows]);
        var error = Fails(() => CrossValidate.Run([learner, rare], Bind(CrossValidate, ("Label column", "label"))));
        Assert.Equal("0035", error.ErrorCode);
        Assert.Contains("do not hold every label value", error.Message);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void SweepCandidates_AreTheGrid_OrDistinctSeededPicksFromIt()
    {
        var ranges = LearnerModule.TwoClassLogisticRegression.SweepRanges;
        var grid = TuneModelHyperparametersModule.Candidates(ranges, entireGrid: true, maxRuns: 5, seed: 0);
        Assert.Equal(2 * 4 * 3 * 3, grid.Count);
        Assert.Equal(grid.Count, grid.Select(Key).Distinct().Count());

        var picked = TuneModelHyperparametersModule.Candidates(ranges, entireGrid: false, maxRuns: 5, seed: 4);
        Assert.Equal(5, picked.Count);
        Assert.Equal(5, picked.Select(Key).Distinct().Count());
        Assert.All(picked, p => Assert.Contains(Key(p), grid.Select(Key)));
        Assert.Equal(picked.Select(Key), TuneModelHyperparametersModule.Candidates(ranges, false, 5, 4).Select(Key));
        Assert.NotEqual(picked.Select(Key), TuneModelHyperparametersModule.Candidates(ranges, false, 5, 5).Select(Key));
        Assert.Equal(grid.Count, TuneModelHyperparametersModule.Candidates(ranges, false, 1000, 4).Count);

        static string Key(IReadOnlyDictionary<string, object> candidate) =>
            string.Join(";", candidate.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
    }

    [Fact]
    public void TuneModelHyperparameters_WithAValidationDataset_RanksRunsByTheMetric_AndTheBestModelIsTrainingWithItsParameters()
    {
        var training = TwoClassData(200, 4);
        var validation = TwoClassData(100, 5);
        var test = TwoClassData(50, 6);
        var learner = Learner(LearnerModule.TwoClassLogisticRegression, ("Random number seed", 2));
        var outputs = Tune.Run([learner, training, validation], Bind(Tune,
            (TuneModelHyperparametersModule.MaxRunsParameter, 4), (TuneModelHyperparametersModule.SeedParameter, 9),
            (TuneModelHyperparametersModule.LabelParameter, "label"), (TuneModelHyperparametersModule.ClassificationMetricParameter, "AUC")));
        var results = (DataTable)outputs[0];
        var best = (TrainedModel)outputs[1];

        Assert.Equal(["Optimization tolerance", "L1 regularization weight", "L2 regularization weight", "Memory size for L-BFGS"], results.Schema.Names.Take(4));
        Assert.Equal(ColumnType.Int32, results.Schema[3].Type);
        Assert.Equal(4, results.RowCount);
        var aucs = Column(results, "AUC").Cast<double>().ToArray();
        Assert.Equal(aucs.OrderByDescending(a => a), aucs);

        // Each row's metrics are those of the learner with the row's parameters, trained here and scored on the validation data.
        var evaluate = new EvaluateModelModule();
        UntrainedModel WithRow(int r) => Learner(LearnerModule.TwoClassLogisticRegression, ("Random number seed", 2),
            ("Optimization tolerance", results["Optimization tolerance"].GetValue(r)), ("L1 regularization weight", results["L1 regularization weight"].GetValue(r)),
            ("L2 regularization weight", results["L2 regularization weight"].GetValue(r)), ("Memory size for L-BFGS", results["Memory size for L-BFGS"].GetValue(r)));
        for (var r = 0; r < results.RowCount; r++)
        {
            var evaluation = evaluate.Evaluate(TrainOn(WithRow(r), training, "label").Score(validation));
            Assert.Equal((double)evaluation["AUC"], aucs[r], 12);
            Assert.Equal((double)evaluation["Accuracy"], (double)results["Accuracy"].GetValue(r)!, 12);
        }

        Assert.Equal(Column(TrainOn(WithRow(0), training, "label").Score(test), "Scored Probabilities"), Column(best.Score(test), "Scored Probabilities"));
        Assert.Equal("Two-Class Logistic Regression", best.LearnerName);
    }

    [Fact]
    public void TuneModelHyperparameters_WithoutValidation_CrossValidates_AndRanksAnErrorAscending()
    {
        var data = RegressionData(60, 7);
        var learner = Regressor();
        var parameters = Bind(Tune, (TuneModelHyperparametersModule.ModeParameter, "Random sweep"), (TuneModelHyperparametersModule.MaxRunsParameter, 3),
            (TuneModelHyperparametersModule.SeedParameter, 21), (TuneModelHyperparametersModule.LabelParameter, "target"),
            (TuneModelHyperparametersModule.RegressionMetricParameter, "Root of mean squared error"));
        var (runs, best) = Tune.Tune(learner, data, null, parameters);

        Assert.Equal(3, runs.Count);
        Assert.Equal(runs.Select(r => r.Value).Order(), runs.Select(r => r.Value));
        foreach (var run in runs)
        {
            // The run's RMSE is that of Cross Validate Model's out-of-fold scores (same seed, same folds) with the run's parameters.
            var variant = Learner(LearnerModule.LinearRegression, ("Number of training epochs", run.Parameters["Number of training epochs"]),
                ("Average final hypothesis", false), ("Random number seed", 3), ("Learning rate", run.Parameters["Learning rate"]),
                ("L2 regularization weight", run.Parameters["L2 regularization weight"]));
            var (scored, _) = CrossValidate.CrossValidate(variant, data, Bind(CrossValidate, ("Label column", "target"), ("Random seed", 21)));
            var rmse = Math.Sqrt(Enumerable.Range(0, data.RowCount)
                .Average(r => Math.Pow((double)scored["target"].GetValue(r)! - (double)scored["Scored Labels"].GetValue(r)!, 2)));
            Assert.Equal(rmse, run.Value, 9);
            Assert.Equal(rmse, (double)run.Evaluation["Root Mean Squared Error"], 9);
        }

        var results = TuneModelHyperparametersModule.Results(learner, runs);
        Assert.Equal(["Learning rate", "Number of training epochs", "L2 regularization weight", "Mean Absolute Error"], results.Schema.Names.Take(4));
        Assert.Equal(runs[0].Parameters["Learning rate"], results["Learning rate"].GetValue(0));
        Assert.Equal(ModelKind.Regression, best.Kind);
    }

    [Fact]
    public void TuneModelHyperparameters_BadInput_GivesTheModulesStudioError()
    {
        var data = TwoClassData(40, 8);
        var lr = Learner(LearnerModule.TwoClassLogisticRegression);
        ModuleParameterValues Parameters(params (string, object?)[] more) =>
            Bind(Tune, [(TuneModelHyperparametersModule.LabelParameter, "label"), (TuneModelHyperparametersModule.MaxRunsParameter, 1), .. more]);
        Assert.Equal("0001", Fails(() => Tune.Run([lr, data, null], Bind(Tune, (TuneModelHyperparametersModule.LabelParameter, "nope")))).ErrorCode);
        Assert.Equal("0035", Fails(() => Tune.Run([Learner(LearnerModule.LinearRegression), data, null], Parameters())).ErrorCode);
        Assert.Equal("0039", Fails(() => Tune.Run([Learner(LearnerModule.KMeansClustering), data, null], Parameters())).ErrorCode);
        Assert.Equal("0003", Fails(() => Tune.Run([null, data, null], Parameters())).ErrorCode);
        Assert.Equal("0003", Fails(() => Tune.Run([lr, data.TakeRows([]), null], Parameters())).ErrorCode);
        Assert.Equal("0003", Fails(() => Tune.Run([lr, data, data.TakeRows([])], Parameters())).ErrorCode);
        Assert.Equal("0021", Fails(() => Tune.Run([lr, data.TakeRows([0, 1, 2, 3, 4]), null], Parameters())).ErrorCode);
        var multiclass = Table([("x", ColumnType.Double), ("label", ColumnType.String)],
            Enumerable.Range(0, 30).Select(i => new object?[] { i / 30.0, (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray());
        var fScore = Fails(() => Tune.Run([Learner(LearnerModule.MulticlassLogisticRegression), multiclass, multiclass],
            Parameters((TuneModelHyperparametersModule.ClassificationMetricParameter, "F-score"))));
        Assert.Equal("0039", fScore.ErrorCode);
        Assert.Equal("0002", Fails(() => Parameters((TuneModelHyperparametersModule.ModeParameter, "Random grid"))).ErrorCode);
    }

    [Fact]
    public void PermutationFeatureImportance_Regression_ScoresEachFeaturesErrorIncrease_NoiseNearZero()
    {
        var training = RegressionData(200, 9);
        var test = RegressionData(80, 10);
        var model = TrainOn(Learner(LearnerModule.BoostedDecisionTreeRegression, ("Random number seed", 1), ("Total number of trees constructed", 50)), training, "target");
        var table = (DataTable)Importance.Run([model, test], Bind(Importance,
            (PermutationFeatureImportanceModule.MetricParameter, "Regression - Mean Absolute Error"), (PermutationFeatureImportanceModule.SeedParameter, 17)))[0];

        Assert.Equal(["Feature", "Score"], table.Schema.Names);
        Assert.Equal(["a", "b"], Column(table, "Feature"));

        // Expected here: the same seeded shuffles, one per feature in the model's order, and the MAE computed by hand.
        double Mae(DataTable data)
        {
            var scored = model.Score(data);
            return Enumerable.Range(0, data.RowCount).Average(r => Math.Abs((double)scored["target"].GetValue(r)! - (double)scored["Scored Labels"].GetValue(r)!));
        }

        var baseline = Mae(test);
        var random = new Random(17);
        var expected = new Dictionary<string, double>();
        foreach (var feature in new[] { "a", "b" })
        {
            var order = Enumerable.Range(0, test.RowCount).ToArray();
            random.Shuffle(order);
            var shuffled = test.TakeRows(order);
            var columns = test.ToColumnList();
            var c = test.Schema.IndexOf(feature);
            columns[c] = shuffled.ToColumnList()[c];
            expected[feature] = Mae(DataTable.Create(columns)) - baseline;
        }

        Assert.Equal(expected["a"], (double)table["Score"].GetValue(0)!, 9);
        Assert.Equal(expected["b"], (double)table["Score"].GetValue(1)!, 9);
        Assert.True(expected["a"] > 1, $"a: {expected["a"]}");
        Assert.InRange(expected["b"], -0.1, 0.1);
    }

    [Fact]
    public void PermutationFeatureImportance_TwoClass_TheLabelsFeatureRanksFirst()
    {
        var random = new Random(12);
        DataTable Data(int rows) => Table([("noise", ColumnType.Double), ("signal", ColumnType.Double), ("colour", ColumnType.String), ("label", ColumnType.Boolean)],
            Enumerable.Range(0, rows).Select(i =>
            {
                var signal = random.NextDouble();
                return new object?[] { random.NextDouble(), signal, i % 3 == 0 ? "red" : "blue", signal > 0.5 };
            }).ToArray());
        var model = TrainOn(Learner(LearnerModule.TwoClassLogisticRegression, ("L1 regularization weight", 0.0), ("L2 regularization weight", 0.01)), Data(300), "label");
        var scores = Importance.Importance(model, Data(200), Bind(Importance));

        Assert.Equal("signal", scores[0].Feature);
        Assert.True(scores[0].Score > 0.3, $"signal: {scores[0].Score}");
        Assert.Equal(["colour", "noise", "signal"], scores.Select(s => s.Feature).Order(StringComparer.Ordinal)); // one row per feature column
        Assert.All(scores.Skip(1), s => Assert.InRange(s.Score, -0.05, 0.05));
        Assert.Equal(scores.Select(s => s.Score).OrderDescending(), scores.Select(s => s.Score));
    }

    [Fact]
    public void PermutationFeatureImportance_BadInput_GivesTheModulesStudioError()
    {
        var data = TwoClassData(60, 13);
        var model = TrainOn(Learner(LearnerModule.TwoClassLogisticRegression), data, "label");
        var parameters = Bind(Importance);
        Assert.Equal("0024", Fails(() => Importance.Run([model, data.SelectColumns([0, 1, 2])], parameters)).ErrorCode);
        Assert.Equal("0001", Fails(() => Importance.Run([model, data.SelectColumns([0, 3])], parameters)).ErrorCode);
        Assert.Equal("0003", Fails(() => Importance.Run([model, data.TakeRows([])], parameters)).ErrorCode);
        Assert.Equal("0003", Fails(() => Importance.Run([null, data], parameters)).ErrorCode);
        Assert.Equal("0039", Fails(() => Importance.Run([model, data], Bind(Importance,
            (PermutationFeatureImportanceModule.MetricParameter, "Regression - Mean Absolute Error")))).ErrorCode);
        var clusters = new TrainClusteringModelModule();
        var kmeans = clusters.Train(Learner(LearnerModule.KMeansClustering), data.SelectColumns([0, 1]), Bind(clusters));
        Assert.Equal("0039", Fails(() => Importance.Run([kmeans, data], parameters)).ErrorCode);
    }

    [Fact]
    public void ThePalette_HoldsTheThreeModules_WithClassicCategoriesParametersAndPorts()
    {
        var registry = ModuleRegistry.CreateBuiltIn();
        var cv = registry.Get("Cross Validate Model");
        Assert.Equal("Machine Learning / Evaluate", cv.Category);
        Assert.Equal(["Label column", "Random seed"], cv.Parameters.Select(p => p.Name));
        Assert.Null(cv.FindParameter("Random seed")!.Min); // any integer, as in the classic reference
        Assert.Equal(["Untrained model:UntrainedModel", "Dataset:DataTable"], cv.Inputs.Select(p => $"{p.Name}:{p.DataType}"));
        Assert.Equal(["Scored results", "Evaluation results by fold"], cv.Outputs.Select(p => p.Name));

        var tune = registry.Get("Tune Model Hyperparameters");
        Assert.Equal("Machine Learning / Train", tune.Category);
        Assert.Equal(["Specify parameter sweeping mode", "Maximum number of runs on random sweep", "Random seed", "Label column",
            "Metric for measuring performance for classification", "Metric for measuring performance for regression"], tune.Parameters.Select(p => p.Name));
        Assert.Equal(["Untrained model", "Training dataset", "Optional validation dataset"], tune.Inputs.Select(p => p.Name));
        Assert.Equal(["Sweep results:DataTable", "Trained best model:TrainedModel"], tune.Outputs.Select(p => $"{p.Name}:{p.DataType}"));
        Assert.Equal(["Accuracy", "Precision", "Recall", "F-score", "AUC", "Average Log Loss"], tune.FindParameter("Metric for measuring performance for classification")!.EnumValues!);
        Assert.Equal((ModuleParameterType.Int, (object?)5, (int?)1, (int?)10000), (tune.Parameters[1].Type, tune.Parameters[1].Default, tune.Parameters[1].Min, tune.Parameters[1].Max));

        var pfi = registry.Get("Permutation Feature Importance");
        Assert.Equal("Feature Selection", pfi.Category);
        Assert.Equal(["Random seed", "Metric for measuring performance"], pfi.Parameters.Select(p => p.Name));
        Assert.Equal(["Trained model:TrainedModel", "Test data:DataTable"], pfi.Inputs.Select(p => $"{p.Name}:{p.DataType}"));
        Assert.Equal(["Feature importance"], pfi.Outputs.Select(p => p.Name));
        // Every learner but K-Means has a sweep range, and every value in it is a valid value of its parameter.
        Assert.All(LearnerModule.All.Where(l => l.Definition.Name != "K-Means Clustering"), l => Assert.NotEmpty(l.SweepRanges));
        Assert.All(LearnerModule.All.SelectMany(l => l.SweepRanges.SelectMany(r => r.Values.Select(v => (l, r.Parameter, v)))), t =>
            Assert.Equal(t.v, t.l.Definition.Bind(new Dictionary<string, object?> { [t.Parameter] = t.v }).Values[t.Parameter]));
    }
}
