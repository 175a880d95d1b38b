using Tollgate.Studio.Data;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;
using static Tollgate.UnitTests.Studio.Tables.TableTestData;

namespace Tollgate.UnitTests.Studio.Learning;

public class LearningTests
{
    private static readonly TrainModelModule Train = new();
    private static readonly ScoreModelModule Score = new();
    private static readonly EvaluateModelModule Evaluate = new();

    /// <summary>Two features; the label is "yes" when x + y &gt; 1 (with a few flipped labels so the classes overlap).</summary>
    private static DataTable TwoClassData(int rows, int seed)
    {
        var random = new Random(seed);
        return Table([("x", ColumnType.Double), ("y", ColumnType.Double), ("colour", ColumnType.String), ("label", ColumnType.String)],
            Enumerable.Range(0, rows).Select(i =>
            {
                var x = random.NextDouble();
                var y = random.NextDouble();
                var positive = x + y > 1;
                if (i % 10 == 0)
                {
                    positive = !positive;
                }

                return new object?[] { x, y, i % 2 == 0 ? "red" : "blue", positive ? "yes" : "no" };
            }).ToArray());
    }

    private static UntrainedModel Learner(LearnerModule module, params (string Name, object? Value)[] values) =>
        module.Create(module.Definition.Bind(values.ToDictionary(v => v.Name, v => v.Value)));

    private static TrainedModel TrainOn(UntrainedModel learner, DataTable data, string label = "label") =>
        Train.Train(learner, data, Bind(Train, ("Label column", label)));

    [Theory]
    [InlineData("Two-Class Logistic Regression")]
    [InlineData("Two-Class Boosted Decision Tree")]
    [InlineData("Two-Class Averaged Perceptron")]
    [InlineData("Two-Class Support Vector Machine")]
    public void TwoClassLearners_ScoreWithClassicColumns_Deterministically(string learnerName)
    {
        var module = LearnerModule.All.Single(l => l.Definition.Name == learnerName);
        var training = TwoClassData(400, 1);
        var test = TwoClassData(200, 2);
        var first = TrainOn(Learner(module, ("Random number seed", 7)), training).Score(test);
        var second = TrainOn(Learner(module, ("Random number seed", 7)), training).Score(test);

        Assert.Equal(["x", "y", "colour", "label", "Scored Labels", "Scored Probabilities"], first.Schema.Names);
        Assert.Equal(ColumnType.String, first.Schema[4].Type);
        Assert.Equal(ColumnType.Double, first.Schema[5].Type);
        Assert.Equal(Column(first, "Scored Probabilities"), Column(second, "Scored Probabilities"));
        Assert.All(Column(first, "Scored Probabilities"), p => Assert.InRange((double)p!, 0, 1));
        var agree = Enumerable.Range(0, test.RowCount).Count(r => Equals(first["Scored Labels"].GetValue(r), first["label"].GetValue(r)));
        Assert.True(agree > 0.8 * test.RowCount, $"{agree} of {test.RowCount} right");
        Assert.All(Enumerable.Range(0, test.RowCount), r =>
            Assert.Equal((double)first["Scored Probabilities"].GetValue(r)! > 0.5 ? "yes" : "no", first["Scored Labels"].GetValue(r)));
    }

    [Fact]
    public void EvaluateModel_TwoClass_MatchesMetricsComputedHere()
    {
        var scored = TrainOn(Learner(LearnerModule.TwoClassLogisticRegression), TwoClassData(300, 3)).Score(TwoClassData(150, 4));
        var evaluation = Evaluate.Evaluate(scored);

        var actual = Column(scored, "label").Select(v => (string)v! == "yes").ToArray();
        var predicted = Column(scored, "Scored Labels").Select(v => (string)v! == "yes").ToArray();
        var p = Column(scored, "Scored Probabilities").Cast<double>().ToArray();
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            if (actual[i] && predicted[i]) tp++;
            else if (actual[i]) fn++;
            else if (predicted[i]) fp++;
            else tn++;
        }

        double pairs = 0, wins = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            for (var j = 0; j < actual.Length; j++)
            {
                if (actual[i] && !actual[j])
                {
                    pairs++;
                    wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
                }
            }
        }

        var precision = (double)tp / (tp + fp);
        var recall = (double)tp / (tp + fn);
        Assert.Equal(tp, evaluation["True Positive"]);
        Assert.Equal(fn, evaluation["False Negative"]);
        Assert.Equal(fp, evaluation["False Positive"]);
        Assert.Equal(tn, evaluation["True Negative"]);
        Assert.Equal("yes", evaluation["Positive Label"]);
        Assert.Equal((double)(tp + tn) / actual.Length, (double)evaluation["Accuracy"], 12);
        Assert.Equal(precision, (double)evaluation["Precision"], 12);
        Assert.Equal(recall, (double)evaluation["Recall"], 12);
        Assert.Equal(2 * precision * recall / (precision + recall), (double)evaluation["F1 Score"], 12);
        Assert.Equal(wins / pairs, (double)evaluation["AUC"], 12);
        Assert.Equal(-actual.Select((a, i) => a ? Math.Log(p[i]) : Math.Log(1 - p[i])).Average(), (double)evaluation["Average Log Loss"], 9);
        Assert.True((double)evaluation["AUC"] > 0.8);

        var last = evaluation.RocCurve[^1];
        Assert.Equal((1.0, 1.0), (last.X, last.Y));
        Assert.Equal(p.Distinct().Count(), evaluation.RocCurve.Count);

        var results = (DataTable)Evaluate.Run([scored, scored], Evaluate.Definition.Bind(null))[0];
        Assert.Equal(2, results.RowCount);
        Assert.Equal(evaluation["AUC"], results["AUC"].GetValue(1));
    }

    [Fact]
    public void LinearRegression_RecoversALinearFunction_AndEvaluateMatchesMetricsComputedHere()
    {
        var random = new Random(5);
        var rows = Enumerable.Range(0, 200).Select(_ =>
        {
            var a = random.NextDouble() * 4;
            var b = random.NextDouble() * 2;
            return new object?[] { a, b, (3 * a) - (2 * b) + 5 + ((random.NextDouble() - 0.5) * 0.1) };
        }).ToArray();
        var data = Table([("a", ColumnType.Double), ("b", ColumnType.Double), ("target", ColumnType.Double)], rows);

        var model = TrainOn(Learner(LearnerModule.LinearRegression, ("Number of training epochs", 300), ("Learning rate", 0.05), ("Average final hypothesis", false), ("Decrease learning rate", false), ("L2 regularization weight", 0.0)), data, "target");
        var scored = model.Score(Table([("a", ColumnType.Double), ("b", ColumnType.Double), ("target", ColumnType.Double)], [1.0, 1.0, 6.0], [2.0, 0.5, 10.0]));
        Assert.Equal(ColumnType.Double, scored.Schema["Scored Labels" is var n ? scored.Schema.IndexOf(n) : 0].Type);
        Assert.InRange((double)scored["Scored Labels"].GetValue(0)!, 5.5, 6.5);
        Assert.InRange((double)scored["Scored Labels"].GetValue(1)!, 9.5, 10.5);

        var all = model.Score(data);
        var y = Column(all, "target").Cast<double>().ToArray();
        var yHat = Column(all, "Scored Labels").Cast<double>().ToArray();
        var mean = y.Average();
        var sse = y.Select((v, i) => (v - yHat[i]) * (v - yHat[i])).Sum();
        var sst = y.Select(v => (v - mean) * (v - mean)).Sum();
        var evaluation = Evaluate.Evaluate(all);
        Assert.Equal(y.Select((v, i) => Math.Abs(v - yHat[i])).Average(), (double)evaluation["Mean Absolute Error"], 12);
        Assert.Equal(Math.Sqrt(sse / y.Length), (double)evaluation["Root Mean Squared Error"], 12);
        Assert.Equal(y.Select((v, i) => Math.Abs(v - yHat[i])).Sum() / y.Select(v => Math.Abs(v - mean)).Sum(), (double)evaluation["Relative Absolute Error"], 12);
        Assert.Equal(sse / sst, (double)evaluation["Relative Squared Error"], 12);
        Assert.Equal(1 - (sse / sst), (double)evaluation["Coefficient of Determination"], 12);
        Assert.True((double)evaluation["Coefficient of Determination"] > 0.95);

        var ogd = Learner(LearnerModule.LinearRegression, ("Random number seed", 3));
        Assert.Equal(Column(TrainOn(ogd, data, "target").Score(data), "Scored Labels"), Column(TrainOn(ogd, data, "target").Score(data), "Scored Labels"));
    }

    [Theory]
    [InlineData("Boosted Decision Tree Regression")]
    [InlineData("Poisson Regression")]
    public void RegressionLearners_FitACountLikeTarget_Deterministically(string learnerName)
    {
        var random = new Random(13);
        var rows = Enumerable.Range(0, 300).Select(_ =>
        {
            var a = random.NextDouble() * 2;
            return new object?[] { a, Math.Exp(0.5 + a) };
        }).ToArray();
        var data = Table([("a", ColumnType.Double), ("count", ColumnType.Double)], rows);
        var module = LearnerModule.All.Single(l => l.Definition.Name == learnerName);
        var learner = module.Definition.FindParameter("L2 regularization weight") is null
            ? Learner(module, ("Random number seed", 2))
            : Learner(module, ("Random number seed", 2), ("L2 regularization weight", 0.0));
        var first = TrainOn(learner, data, "count").Score(data);
        Assert.Equal(["a", "count", "Scored Labels"], first.Schema.Names);
        Assert.Equal(Column(first, "Scored Labels"), Column(TrainOn(learner, data, "count").Score(data), "Scored Labels"));
        Assert.True((double)Evaluate.Evaluate(first)["Coefficient of Determination"] > 0.95);
    }

    [Fact]
    public void MulticlassLogisticRegression_GivesAProbabilityPerClass_AndEvaluateMatches()
    {
        var random = new Random(9);
        (double X, double Y, string Label)[] centres = [(0, 0, "a"), (5, 5, "b"), (0, 5, "c")];
        var rows = Enumerable.Range(0, 300).Select(i =>
        {
            var c = centres[i % 3];
            return new object?[] { c.X + random.NextDouble() * 2.5, c.Y + random.NextDouble() * 2.5, c.Label };
        }).ToArray();
        var data = Table([("x", ColumnType.Double), ("y", ColumnType.Double), ("class", ColumnType.String)], rows);
        var scored = TrainOn(Learner(LearnerModule.MulticlassLogisticRegression), data, "class").Score(data);

        Assert.Equal(["x", "y", "class", "Scored Probabilities for Class \"a\"", "Scored Probabilities for Class \"b\"", "Scored Probabilities for Class \"c\"", "Scored Labels"],
            scored.Schema.Names);
        for (var r = 0; r < scored.RowCount; r++)
        {
            var probabilities = new[] { 3, 4, 5 }.Select(c => (double)scored.GetValue(r, c)!).ToArray();
            Assert.Equal(1.0, probabilities.Sum(), 4);
            Assert.Equal("abc"[Array.IndexOf(probabilities, probabilities.Max())].ToString(), scored["Scored Labels"].GetValue(r));
        }

        var actual = Column(scored, "class").Cast<string>().ToArray();
        var predicted = Column(scored, "Scored Labels").Cast<string>().ToArray();
        var evaluation = Evaluate.Evaluate(scored);
        var overall = actual.Zip(predicted).Count(p => p.First == p.Second) / (double)actual.Length;
        Assert.Equal(overall, (double)evaluation["Overall accuracy"], 12);
        var perClass = new[] { "a", "b", "c" }.Select(k => actual.Zip(predicted).Count(p => (p.First == k) == (p.Second == k)) / (double)actual.Length).ToArray();
        Assert.Equal(perClass.Average(), (double)evaluation["Average accuracy"], 12);
        Assert.Equal(new[] { "a", "b", "c" }.Select(k => actual.Zip(predicted).Count(p => p.First == k && p.Second == k) / (double)actual.Count(a => a == k)).Average(),
            (double)evaluation["Macro-averaged recall"], 12);
        Assert.Equal(actual.Zip(predicted).Count(p => p.First == "a" && p.Second == "b"), evaluation.ConfusionMatrix[0, 1]);
        Assert.True(overall > 0.9, $"overall accuracy {overall}");
    }

    [Fact]
    public void KMeans_AssignsEachBlobToOneCluster_Deterministically()
    {
        var random = new Random(11);
        var rows = Enumerable.Range(0, 60).Select(i => new object?[] { i, (i < 30 ? 0 : 10) + random.NextDouble(), (i < 30 ? 0 : 10) + random.NextDouble() }).ToArray();
        var data = Table([("Id", ColumnType.Int32), ("x", ColumnType.Double), ("y", ColumnType.Double)], rows);
        var module = new TrainClusteringModelModule();
        var learner = Learner(LearnerModule.KMeansClustering, ("Number of Centroids", 2), ("Random number seed", 1));
        var outputs = module.Run([learner, data], Bind(module, ("Column Set", "x,y")));

        var assigned = (DataTable)outputs[1];
        Assert.Equal(["Id", "x", "y", "Assignments"], assigned.Schema.Names);
        var assignments = Column(assigned, "Assignments").Cast<int>().ToArray();
        Assert.Single(assignments.Take(30).Distinct());
        Assert.Single(assignments.Skip(30).Distinct());
        Assert.NotEqual(assignments[0], assignments[59]);
        Assert.All(assignments, a => Assert.InRange(a, 0, 1));

        var scored = ((TrainedModel)outputs[0]).Score(Table([("x", ColumnType.Double), ("y", ColumnType.Double)], [10.5, 10.5]));
        Assert.Equal(assignments[59], scored["Assignments"].GetValue(0));
        Assert.Equal(assignments.Cast<object?>(), Column((DataTable)module.Run([learner, data], Bind(module, ("Column Set", "x,y")))[1], "Assignments"));
    }

    [Fact]
    public void BadInput_GivesTheModulesStudioError()
    {
        var data = TwoClassData(50, 6);
        var lr = Learner(LearnerModule.TwoClassLogisticRegression);
        Assert.Equal("0001", Fails(() => TrainOn(lr, data, "nope")).ErrorCode);
        Assert.Equal("0035", Fails(() => TrainOn(Learner(LearnerModule.LinearRegression), data, "label")).ErrorCode);
        Assert.Equal("0035", Fails(() => TrainOn(lr, data, "x")).ErrorCode);
        Assert.Equal("0022", Fails(() => TrainOn(lr, data, "x,y")).ErrorCode);
        Assert.Equal("0039", Fails(() => TrainOn(Learner(LearnerModule.KMeansClustering), data)).ErrorCode);
        Assert.Equal("0003", Fails(() => Train.Run([null, data], Bind(Train, ("Label column", "label")))).ErrorCode);

        var split = new SplitDataModule();
        var (_, empty) = split.Split(data, Bind(split, ("Fraction of rows in the first output dataset", 1.0)));
        Assert.Equal(0, empty.RowCount);
        Assert.Equal("0003", Fails(() => TrainOn(lr, empty)).ErrorCode);
        Assert.Equal("0003", Fails(() => new TrainClusteringModelModule().Train(Learner(LearnerModule.KMeansClustering), empty, Bind(new TrainClusteringModelModule()))).ErrorCode);
        var unlabelled = Table([("x", ColumnType.Double), ("label", ColumnType.String)], [1.0, null], [2.0, null]);
        Assert.Equal("0003", Fails(() => TrainOn(lr, unlabelled)).ErrorCode);

        var model = TrainOn(lr, data);
        Assert.Equal("0001", Fails(() => model.Score(Table([("x", ColumnType.Double)], [0.5]))).ErrorCode);
        Assert.Equal("0017", Fails(() => model.Score(Table([("x", ColumnType.String), ("y", ColumnType.Double), ("colour", ColumnType.String)], ["a", 0.5, "red"]))).ErrorCode);
        Assert.Equal("0003", Fails(() => Score.Run([null, data], Bind(Score))).ErrorCode);
        var withoutLabel = model.Score(Table([("x", ColumnType.Double), ("y", ColumnType.Double), ("colour", ColumnType.String)], [0.9, 0.9, "green"]));
        Assert.Equal("yes", withoutLabel["Scored Labels"].GetValue(0));
        Assert.Equal("0035", Fails(() => Evaluate.Evaluate(withoutLabel)).ErrorCode);
        Assert.Equal("0039", Fails(() => Evaluate.Evaluate(data)).ErrorCode);
        Assert.Equal("0005", Fails(() => LearnerModule.TwoClassBoostedDecisionTree.Definition.Bind(new Dictionary<string, object?> { ["Maximum number of leaves per tree"] = 1 })).ErrorCode);
        Assert.Equal("0004", Fails(() => LearnerModule.TwoClassBoostedDecisionTree.Definition.Bind(new Dictionary<string, object?> { ["Learning rate"] = 0.0 })).ErrorCode);
    }
}

public class TrainedModelFileTests
{
    [Theory]
    [InlineData("Two-Class Logistic Regression", "label")]
    [InlineData("Two-Class Boosted Decision Tree", "label")]
    [InlineData("Two-Class Decision Forest", "label")]
    [InlineData("Multiclass Decision Forest", "colour")]
    [InlineData("Multiclass Logistic Regression", "colour")]
    [InlineData("Linear Regression", "x")]
    public void SavedModel_ScoresExactlyAsTheOriginal(string learnerName, string label)
    {
        var random = new Random(21);
        var data = Table([("x", ColumnType.Double), ("y", ColumnType.Int32), ("colour", ColumnType.String), ("label", ColumnType.Boolean)],
            Enumerable.Range(0, 120).Select(i => new object?[] { random.NextDouble(), i % 7, new[] { "red", "green", "blue" }[i % 3], random.NextDouble() > 0.5 }).ToArray());
        var module = LearnerModule.All.Single(l => l.Definition.Name == learnerName);
        var train = new TrainModelModule();
        var model = train.Train(module.Create(module.Definition.Bind(null)), data, Bind(train, ("Label column", label)));

        using var file = new MemoryStream();
        TrainedModelFile.Save(model, file);
        file.Position = 0;
        var loaded = TrainedModelFile.Load(file);

        var expected = model.Score(data);
        var actual = loaded.Score(data);
        Assert.Equal(expected.Schema, actual.Schema);
        Assert.Equal(Rows(expected), Rows(actual));
        Assert.Equal(model.Classes, loaded.Classes);
    }

    [Fact]
    public void ANonModelFile_GivesError0018()
    {
        using var notZip = new MemoryStream("not a model"u8.ToArray());
        Assert.Equal("0018", Fails(() => TrainedModelFile.Load(notZip)).ErrorCode);
    }
}
