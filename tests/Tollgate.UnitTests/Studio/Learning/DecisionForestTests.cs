using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tollgate.Studio.Data;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;
using static Tollgate.UnitTests.Studio.Tables.TableTestData;

namespace Tollgate.UnitTests.Studio.Learning;

/// <summary>
/// Two-Class and Multiclass Decision Forest: classic parameters, deterministic with a seed, separable data classified
/// right, classic score columns, ONNX export within 1e-5 of ML.NET, and Tune Model Hyperparameters over their range.
/// </summary>
public sealed class DecisionForestTests
{
    private static readonly TrainModelModule Train = new();

    /// <summary>
    /// "yes" when x &gt; 0.5, with no row within <paramref name="margin"/> of the boundary; y and colour are noise. (FastTree
    /// bins each feature into quantiles, so the split near the boundary falls at a bin edge: test rows keep further off.)
    /// </summary>
    private static DataTable Separable(int rows, int seed, double margin = 0.1)
    {
        var random = new Random(seed);
        return Table([("x", ColumnType.Double), ("y", ColumnType.Double), ("colour", ColumnType.String), ("label", ColumnType.String)],
            Enumerable.Range(0, rows).Select(i =>
            {
                var positive = i % 2 == 0;
                var x = positive ? 0.5 + margin + (random.NextDouble() * (0.5 - margin)) : random.NextDouble() * (0.5 - margin);
                return new object?[] { x, random.NextDouble(), random.Next(3) switch { 0 => "red", 1 => "blue", _ => "green" }, positive ? "yes" : "no" };
            }).ToArray());
    }

    /// <summary>Three well-apart blobs a, b, c in (x, y).</summary>
    private static DataTable Blobs(int rows, int seed)
    {
        var random = new Random(seed);
        (double X, double Y, string Label)[] centres = [(0, 0, "a"), (5, 5, "b"), (0, 5, "c")];
        return Table([("x", ColumnType.Double), ("y", ColumnType.Double), ("class", ColumnType.String)],
            Enumerable.Range(0, rows).Select(i =>
            {
                var c = centres[i % 3];
                return new object?[] { c.X + (random.NextDouble() * 2.5), c.Y + (random.NextDouble() * 2.5), c.Label };
            }).ToArray());
    }

    private static UntrainedModel Learner(LearnerModule module, params (string Name, object? Value)[] values) =>
        module.Create(module.Definition.Bind(values.ToDictionary(v => v.Name, v => v.Value)));

    private static TrainedModel TrainOn(UntrainedModel learner, DataTable data, string label) =>
        Train.Train(learner, data, Bind(Train, ("Label column", label)));

    private static double[] Doubles(DataTable table, string column) => Column(table, column).Select(v => (double)v!).ToArray();

    [Fact]
    public void BothForests_HaveTheClassicParameters_DefaultsAndSweepRanges()
    {
        foreach (var forest in new[] { LearnerModule.TwoClassDecisionForest, LearnerModule.MulticlassDecisionForest })
        {
            var d = forest.Definition;
            Assert.Equal("Machine Learning / Initialize Model / Classification", d.Category);
            Assert.Equal(
                ["Resampling method", "Number of decision trees", "Maximum depth of the decision trees", "Number of random splits per node",
                 "Minimum number of samples per leaf node", "Allow unknown values for categorical features", "Random number seed"],
                d.Parameters.Select(p => p.Name));
            Assert.Equal(["Bagging", "Replicate"], d.FindParameter("Resampling method")!.EnumValues!);
            Assert.Equal<object?>(["Bagging", 8, 32, 128, 1, true, 0], d.Parameters.Select(p => p.Default));
            Assert.Equal(["Number of decision trees", "Maximum depth of the decision trees", "Number of random splits per node", "Minimum number of samples per leaf node"],
                forest.SweepRanges.Select(r => r.Parameter));
            Assert.Contains(forest, LearnerModule.All);
        }
    }

    [Theory]
    [InlineData("Bagging")]
    [InlineData("Replicate")]
    public void TwoClassDecisionForest_ClassifiesSeparableData_AndASeedGivesTheSameProbabilities(string resampling)
    {
        var training = Separable(300, 1);
        var test = Separable(200, 2, margin: 0.2);
        UntrainedModel Forest(int seed) => Learner(LearnerModule.TwoClassDecisionForest, ("Resampling method", resampling), ("Random number seed", seed));

        var first = TrainOn(Forest(7), training, "label").Score(test);
        var second = TrainOn(Forest(7), training, "label").Score(test);

        Assert.Equal(["x", "y", "colour", "label", "Scored Labels", "Scored Probabilities"], first.Schema.Names);
        Assert.Equal(ColumnType.String, first.Schema[4].Type);
        Assert.Equal(ColumnType.Double, first.Schema[5].Type);
        Assert.Equal(Column(first, "label"), Column(first, "Scored Labels"));
        Assert.Equal(Doubles(first, "Scored Probabilities"), Doubles(second, "Scored Probabilities"));
        Assert.All(Enumerable.Range(0, test.RowCount), r =>
        {
            var p = (double)first["Scored Probabilities"].GetValue(r)!;
            Assert.InRange(p, 0, 1);
            Assert.Equal(p > 0.5 ? "yes" : "no", first["Scored Labels"].GetValue(r));
        });
    }

    [Fact]
    public void TwoClassDecisionForest_SeedsAndParametersChangeTheModel()
    {
        // Noisy, overlapping classes: every tree has a say, so other bags or other trees give other probabilities.
        var random = new Random(3);
        var data = Table([("x", ColumnType.Double), ("y", ColumnType.Double), ("label", ColumnType.Boolean)],
            Enumerable.Range(0, 300).Select(_ =>
            {
                var x = random.NextDouble();
                var y = random.NextDouble();
                return new object?[] { x, y, x + y + ((random.NextDouble() - 0.5) * 0.6) > 1 };
            }).ToArray());
        double[] Probabilities(params (string, object?)[] values) =>
            Doubles(TrainOn(Learner(LearnerModule.TwoClassDecisionForest, values), data, "label").Score(data), "Scored Probabilities");

        var baseline = Probabilities(("Random number seed", 1));
        Assert.Equal(baseline, Probabilities(("Random number seed", 1)));
        Assert.NotEqual(baseline, Probabilities(("Random number seed", 2)));
        Assert.NotEqual(baseline, Probabilities(("Random number seed", 1), ("Number of decision trees", 20)));
        Assert.NotEqual(baseline, Probabilities(("Random number seed", 1), ("Maximum depth of the decision trees", 2)));
        Assert.NotEqual(baseline, Probabilities(("Random number seed", 1), ("Minimum number of samples per leaf node", 30)));
    }

    [Fact]
    public void MulticlassDecisionForest_GivesAProbabilityPerClass_SummingToOne_AndClassifiesSeparableBlobs()
    {
        var training = Blobs(300, 9);
        var test = Blobs(150, 10);
        var learner = Learner(LearnerModule.MulticlassDecisionForest, ("Random number seed", 4));
        var scored = TrainOn(learner, training, "class").Score(test);
        var again = TrainOn(learner, training, "class").Score(test);

        string[] columns = ["Scored Probabilities for Class \"a\"", "Scored Probabilities for Class \"b\"", "Scored Probabilities for Class \"c\""];
        Assert.Equal(["x", "y", "class", .. columns, "Scored Labels"], scored.Schema.Names);
        Assert.Equal(Column(scored, "class"), Column(scored, "Scored Labels"));
        for (var r = 0; r < scored.RowCount; r++)
        {
            var probabilities = columns.Select(c => (double)scored[c].GetValue(r)!).ToArray();
            Assert.All(probabilities, p => Assert.InRange(p, 0, 1));
            Assert.Equal(1.0, probabilities.Sum(), 5);
            Assert.Equal("abc"[Array.IndexOf(probabilities, probabilities.Max())].ToString(), scored["Scored Labels"].GetValue(r));
        }

        Assert.All(columns, c => Assert.Equal(Doubles(scored, c), Doubles(again, c)));
        var evaluation = new EvaluateModelModule().Evaluate(scored);
        Assert.Equal(1.0, (double)evaluation["Overall accuracy"], 12);
    }

    [Fact]
    public void AllowUnknownValuesFalse_IsError0039_AndParametersAboveTheirRangeAre0007()
    {
        Assert.Equal("0039", Fails(() => Learner(LearnerModule.TwoClassDecisionForest, ("Allow unknown values for categorical features", false))).ErrorCode);
        Assert.Equal("0039", Fails(() => Learner(LearnerModule.MulticlassDecisionForest, ("Allow unknown values for categorical features", false))).ErrorCode);
        Assert.Equal("0007", Fails(() => LearnerModule.TwoClassDecisionForest.Definition.Bind(new Dictionary<string, object?> { ["Number of decision trees"] = 1001 })).ErrorCode);
        Assert.Equal("0007", Fails(() => LearnerModule.TwoClassDecisionForest.Definition.Bind(new Dictionary<string, object?> { ["Maximum depth of the decision trees"] = 65 })).ErrorCode);
    }

    [Fact]
    public void AnUnknownCategory_ScoresAsZeros()
    {
        var model = TrainOn(Learner(LearnerModule.TwoClassDecisionForest, ("Random number seed", 5)), Separable(200, 11), "label");
        var scored = model.Score(Table([("x", ColumnType.Double), ("y", ColumnType.Double), ("colour", ColumnType.String)], [0.9, 0.5, "purple"], [0.1, 0.5, "purple"]));
        Assert.Equal(["yes", "no"], Column(scored, "Scored Labels"));
    }

    [Fact]
    public void TwoClassDecisionForest_ExportedToOnnx_GivesTheProbabilitiesOfMlNet()
    {
        var model = TrainOn(Learner(LearnerModule.TwoClassDecisionForest, ("Random number seed", 3), ("Minimum number of samples per leaf node", 4)), Separable(300, 12), "label");
        var test = Separable(100, 13, margin: 0.2);
        var outputs = RunExported(model, test);
        Within(Doubles(model.Score(test), TrainedModel.ScoredProbabilities), outputs["Probability.output"]);
    }

    [Fact]
    public void MulticlassDecisionForest_ExportedToOnnx_GivesTheClassProbabilitiesOfMlNet()
    {
        var model = TrainOn(Learner(LearnerModule.MulticlassDecisionForest, ("Random number seed", 3)), Blobs(300, 14), "class");
        var test = Blobs(90, 15);
        var scored = model.Score(test);
        var scores = RunExported(model, test)["Score.output"];
        var classes = model.Classes.Count;
        Assert.Equal(test.RowCount * classes, scores.Length);
        for (var k = 0; k < classes; k++)
        {
            Within(Doubles(scored, TrainedModel.ClassProbabilityColumn(model.Classes[k])), Enumerable.Range(0, test.RowCount).Select(r => scores[(r * classes) + k]).ToArray());
        }
    }

    [Theory]
    [InlineData("Two-Class Decision Forest", "Probability.output")]
    [InlineData("Multiclass Decision Forest", "Score.output")]
    public void ASavedForest_LoadedBack_ExportsToOnnx_AsTheServiceDoes(string learnerName, string output)
    {
        // GET /studio/trainedmodels/{id}/onnx loads the saved model file, then exports it.
        var module = LearnerModule.All.Single(l => l.Definition.Name == learnerName);
        var twoClass = module == LearnerModule.TwoClassDecisionForest;
        var model = TrainOn(Learner(module, ("Random number seed", 6)), twoClass ? Separable(150, 22) : Blobs(150, 22), twoClass ? "label" : "class");
        using var file = new MemoryStream();
        TrainedModelFile.Save(model, file);
        file.Position = 0;
        var loaded = TrainedModelFile.Load(file);
        var test = twoClass ? Separable(30, 23) : Blobs(30, 23);
        Assert.Equal(RunExported(model, test)[output], RunExported(loaded, test)[output]);
    }

    [Fact]
    public void TuneModelHyperparameters_SweepsTheForestsRange_AndTheBestModelScores()
    {
        var tune = new TuneModelHyperparametersModule();
        var outputs = tune.Run([Learner(LearnerModule.MulticlassDecisionForest, ("Random number seed", 1)), Blobs(120, 16), Blobs(60, 17)], Bind(tune,
            (TuneModelHyperparametersModule.MaxRunsParameter, 3), (TuneModelHyperparametersModule.SeedParameter, 2),
            (TuneModelHyperparametersModule.LabelParameter, "class")));
        var results = (DataTable)outputs[0];
        Assert.Equal(["Number of decision trees", "Maximum depth of the decision trees", "Number of random splits per node", "Minimum number of samples per leaf node"],
            results.Schema.Names.Take(4));
        Assert.Equal(3, results.RowCount);
        var best = (TrainedModel)outputs[1];
        Assert.Equal("Multiclass Decision Forest", best.LearnerName);
        Assert.Equal(3, best.Score(Blobs(30, 18)).Schema.Names.Count(n => n.StartsWith("Scored Probabilities for Class", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("Two-Class Decision Forest", "label")]
    [InlineData("Multiclass Decision Forest", "colour")]
    [InlineData("Two-Class Logistic Regression", "label")]
    [InlineData("Boosted Decision Tree Regression", "x")]
    public void ScoringRowByRow_GivesTheScoresOfScoringTheTableAtOnce(string learnerName, string label)
    {
        // Up to TrainedModel.EngineRows rows go through pooled prediction engines, more through one data view.
        var module = LearnerModule.All.Single(l => l.Definition.Name == learnerName);
        var model = TrainOn(Learner(module, ("Random number seed", 8)), Separable(200, 19), label);
        var test = Separable(TrainedModel.EngineRows * 2, 20);
        var whole = model.Score(test);
        (string, ColumnType)[] columns = [("x", ColumnType.Double), ("y", ColumnType.Double), ("colour", ColumnType.String), ("label", ColumnType.String)];
        var rows = Rows(test);
        for (var r = 0; r < test.RowCount; r++)
        {
            var scored = model.Score(Table(columns, rows[r]));
            Assert.Equal(whole.Schema.Names, scored.Schema.Names);
            Assert.Equal(Rows(whole)[r], Rows(scored)[0]);
        }

        Assert.Equal(Rows(whole).Take(TrainedModel.EngineRows), Rows(model.Score(Table(columns, [.. rows.Take(TrainedModel.EngineRows)]))));
    }

    [Fact]
    public void KMeans_ScoredRowByRow_AssignsAsTheWholeTable()
    {
        var clustering = new TrainClusteringModelModule();
        var data = Blobs(90, 21);
        var outputs = clustering.Run([Learner(LearnerModule.KMeansClustering, ("Number of Centroids", 3), ("Random number seed", 1)), data], Bind(clustering, ("Column Set", "x,y")));
        var model = (TrainedModel)outputs[0];
        var whole = Column(model.Score(data), "Assignments");
        var one = model.Score(Table([("x", ColumnType.Double), ("y", ColumnType.Double)], [0.5, 0.5], [6.0, 6.0], [0.5, 6.0]));
        Assert.Equal([whole[0], whole[1], whole[2]], Column(one, "Assignments"));
    }

    private static Dictionary<string, float[]> RunExported(TrainedModel model, DataTable table)
    {
        using var stream = new MemoryStream();
        model.ExportOnnx(stream);
        var indices = model.Featurizer.Bind(table.Schema);
        var features = Enumerable.Range(0, table.RowCount).SelectMany(r => model.Featurizer.Featurize(table, indices, r)).ToArray();
        using var session = new InferenceSession(stream.ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(features, [table.RowCount, model.Featurizer.Length]))]);
        return results.Where(r => r.ElementType == TensorElementType.Float).ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    private static void Within(double[] expected, float[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"row {i}: ML.NET {expected[i]:R}, ONNX {actual[i]:R}");
        }
    }
}
