using System.Text.Json.Nodes;
using CsCheck;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tollgate.Studio.Data;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;
using static Tollgate.UnitTests.Studio.Tables.TableTestData;

namespace Tollgate.UnitTests.Studio.Learning;

/// <summary>
/// ONNX models: ML.NET trained models exported to ONNX score as ML.NET does (within 1e-6), and imported ONNX models
/// (<see cref="OnnxModel"/>) take their inputs from the columns of their names and give their outputs as columns.
/// </summary>
public class OnnxModelTests
{
    private static readonly TrainModelModule Train = new();

    /// <summary>Two numbers and a colour; the label is "yes" when x + y &gt; 1 (a few labels flipped).</summary>
    private static DataTable Data(int rows, int seed)
    {
        var random = new Random(seed);
        return Table([("x", ColumnType.Double), ("y", ColumnType.Double), ("colour", ColumnType.String), ("n", ColumnType.Int32), ("label", ColumnType.String)],
            Enumerable.Range(0, rows).Select(i =>
            {
                var x = random.NextDouble();
                var y = random.NextDouble();
                var positive = (x + y > 1) ^ (i % 10 == 0);
                return new object?[] { x, y, (i % 3) switch { 0 => "red", 1 => "blue", _ => "green" }, i % 7, positive ? "yes" : "no" };
            }).ToArray());
    }

    private static TrainedModel TrainOn(LearnerModule module, DataTable data, string label = "label") =>
        Train.Train(module.Create(module.Definition.Bind(new Dictionary<string, object?>())), data, Bind(Train, ("Label column", label)));

    private static byte[] Export(TrainedModel model)
    {
        using var stream = new MemoryStream();
        model.ExportOnnx(stream);
        return stream.ToArray();
    }

    /// <summary>Runs the exported ONNX model with ONNX Runtime on the feature vectors of <paramref name="table"/>.</summary>
    private static Dictionary<string, float[]> RunExported(byte[] onnx, TrainedModel model, DataTable table)
    {
        var indices = model.Featurizer.Bind(table.Schema);
        var features = Enumerable.Range(0, table.RowCount).SelectMany(r => model.Featurizer.Featurize(table, indices, r)).ToArray();
        using var session = new InferenceSession(onnx);
        Assert.Equal(["Features"], session.InputNames);
        Assert.Equal([-1, model.Featurizer.Length], session.InputMetadata["Features"].Dimensions);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(features, [table.RowCount, model.Featurizer.Length]))]);
        return results.Where(r => r.ElementType == TensorElementType.Float).ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    private static double[] Doubles(DataTable table, string column) => Column(table, column).Select(v => (double)v!).ToArray();

    private static void Within(double[] expected, float[] actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"row {i}: ML.NET {expected[i]:R}, ONNX {actual[i]:R}");
        }
    }

    [Fact]
    public void TwoClassLogisticRegression_ExportedToOnnx_GivesTheProbabilitiesOfMlNet()
    {
        var model = TrainOn(LearnerModule.TwoClassLogisticRegression, Data(400, 1));
        var test = Data(200, 2);
        var scored = model.Score(test);
        var onnx = RunExported(Export(model), model, test);

        Within(Doubles(scored, TrainedModel.ScoredProbabilities), onnx["Probability.output"]);
        Assert.Equal(["x", "y", "colour=blue", "colour=green", "colour=red", "n"], model.FeatureSlots);
        using var session = new InferenceSession(Export(model));
        Assert.Equal(["PredictedLabel.output", "Score.output", "Probability.output"], session.OutputNames);
    }

    [Theory]
    [InlineData("Two-Class Boosted Decision Tree")]
    [InlineData("Two-Class Averaged Perceptron")]
    [InlineData("Two-Class Support Vector Machine")]
    public void OtherTwoClassLearners_ExportedToOnnx_GiveTheProbabilitiesOfMlNet(string learner)
    {
        var model = TrainOn(LearnerModule.All.Single(l => l.Definition.Name == learner), Data(400, 3));
        var test = Data(100, 4);
        var onnx = RunExported(Export(model), model, test);
        Within(Doubles(model.Score(test), TrainedModel.ScoredProbabilities), onnx[ProbabilityOutput(onnx)]);
    }

    [Theory]
    [InlineData("Linear Regression")]
    [InlineData("Boosted Decision Tree Regression")]
    [InlineData("Poisson Regression")]
    public void RegressionLearners_ExportedToOnnx_GiveTheScoresOfMlNet(string learner)
    {
        var model = TrainOn(LearnerModule.All.Single(l => l.Definition.Name == learner), Data(300, 5), label: "x");
        var test = Data(100, 6);
        var onnx = RunExported(Export(model), model, test);
        var score = onnx.Keys.Single(k => k.StartsWith("Score", StringComparison.Ordinal));
        Within(Doubles(model.Score(test), TrainedModel.ScoredLabels), onnx[score]);
    }

    [Fact]
    public void MulticlassLogisticRegression_ExportedToOnnx_GivesTheClassProbabilitiesOfMlNet()
    {
        var model = TrainOn(LearnerModule.MulticlassLogisticRegression, Data(300, 9), label: "colour");
        var test = Data(60, 10);
        var scored = model.Score(test);
        var onnx = RunExported(Export(model), model, test);
        var classes = model.Classes.Count;
        var scores = onnx["Score.output"];
        Assert.Equal(test.RowCount * classes, scores.Length);
        for (var k = 0; k < classes; k++)
        {
            Within(Doubles(scored, TrainedModel.ClassProbabilityColumn(model.Classes[k])), Enumerable.Range(0, test.RowCount).Select(r => scores[r * classes + k]).ToArray());
        }

        using var session = new InferenceSession(Export(model));
        var indices = model.Featurizer.Bind(test.Schema);
        var features = Enumerable.Range(0, test.RowCount).SelectMany(r => model.Featurizer.Featurize(test, indices, r)).ToArray();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(features, [test.RowCount, model.Featurizer.Length]))]);
        var predicted = results.Single(r => r.Name == "PredictedLabel.output").AsTensor<uint>().ToArray();
        Assert.Equal(Column(scored, TrainedModel.ScoredLabels).Select(label => model.Classes.ToList().IndexOf(label!)), predicted.Select(k => (int)k - 1)); // a 1-based key
    }

    [Fact]
    public void KMeansClustering_ExportedToOnnx_GivesTheAssignmentsOfMlNet()
    {
        var clustering = new TrainClusteringModelModule();
        var learner = LearnerModule.KMeansClustering;
        var data = Data(200, 11);
        var model = clustering.Train(learner.Create(learner.Definition.Bind(new Dictionary<string, object?> { ["Number of Centroids"] = 3 })), data,
            Bind(clustering, ("Column Set", Tollgate.Studio.Modules.ColumnSelection.ByName("x", "y"))));
        var test = Data(80, 12);
        var assignments = Column(model.Score(test), TrainedModel.Assignments).Select(a => (int)a!).ToArray();

        var indices = model.Featurizer.Bind(test.Schema);
        var features = Enumerable.Range(0, test.RowCount).SelectMany(r => model.Featurizer.Featurize(test, indices, r)).ToArray();
        using var session = new InferenceSession(Export(model));
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(features, [test.RowCount, model.Featurizer.Length]))]);
        var predicted = results.Single(r => r.Name == "PredictedLabel.output").AsTensor<uint>().ToArray();
        Assert.Equal(assignments, predicted.Select(k => (int)k)); // 0-based in ONNX, as Assignments (ML.NET's key is 1-based)
        Assert.Equal(3, assignments.Distinct().Count());
    }

    private static string ProbabilityOutput(Dictionary<string, float[]> outputs) =>
        outputs.Keys.SingleOrDefault(k => k.StartsWith("Probability", StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException("outputs: " + string.Join(", ", outputs.Keys));

    [Fact]
    public void AnExportedModel_ImportedBack_ScoresAFeaturesColumnOfJsonArrays_AsMlNet()
    {
        var model = TrainOn(LearnerModule.TwoClassLogisticRegression, Data(400, 7));
        var test = Data(50, 8);
        using var onnx = OnnxModel.Load(Export(model));
        Assert.Equal("Features", onnx.Inputs.Single().Name);
        Assert.True(onnx.Inputs[0].Batched);

        var indices = model.Featurizer.Bind(test.Schema);
        var vectors = Table([("Features", ColumnType.String)], Enumerable.Range(0, test.RowCount)
            .Select(r => new object?[] { new JsonArray(model.Featurizer.Featurize(test, indices, r).Select(f => (JsonNode?)f).ToArray()).ToJsonString() }).ToArray());
        var scored = onnx.Score(vectors, append: false);

        var probability = onnx.Outputs.Single(o => o.Name.StartsWith("Probability", StringComparison.Ordinal)).Name;
        Assert.Equal(ColumnType.Double, scored.Schema[scored.Schema.IndexOf(probability)].Type);
        var expected = Doubles(model.Score(test), TrainedModel.ScoredProbabilities);
        Within(expected, Doubles(scored, probability).Select(d => (float)d).ToArray());
    }

    /// <summary>An ML.NET pipeline over two scalar columns, exported: its inputs are <c>a</c> and <c>b</c> of shape [N,1].</summary>
    private static byte[] ScalarInputsModel()
    {
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 200).Select(i => new ScalarRow { A = i % 13 / 13f, B = i % 7 / 7f, Label = i % 13 / 13f + i % 7 / 7f > 1 }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Concatenate("Features", "a", "b")
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression()).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, ml.Data.LoadFromEnumerable(Array.Empty<ScalarInput>()), stream);
        return stream.ToArray();
    }

    public sealed class ScalarRow
    {
        [ColumnName("a")]
        public float A { get; set; }

        [ColumnName("b")]
        public float B { get; set; }

        public bool Label { get; set; }
    }

    public sealed class ScalarInput
    {
        [ColumnName("a")]
        public float A { get; set; }

        [ColumnName("b")]
        public float B { get; set; }
    }

    [Fact]
    public void ScalarInputs_AreFedFromOneColumnEach_ByName_AndOutputsAppendAsTypedColumns()
    {
        using var onnx = OnnxModel.Load(ScalarInputsModel());
        Assert.Equal(["a", "b"], onnx.Inputs.Select(i => i.Name));
        Assert.All(onnx.Inputs, i => Assert.True(i.IsScalar, i.Describe()));

        // Names match exactly, else ignoring case; numbers of any type, and numeric text, feed a float input.
        var table = Table([("id", ColumnType.Int32), ("A", ColumnType.Double), ("b", ColumnType.String)],
            [1, 0.9, "0.9"], [2, 0.1, "0.05"], [3, 0.5, "0.6"]);
        var scored = onnx.Score(table);
        Assert.Equal(["id", "A", "b"], scored.Schema.Names.Take(3));
        var probability = onnx.Outputs.Single(o => o.Name.StartsWith("Probability", StringComparison.Ordinal)).Name;
        var p = Doubles(scored, probability);
        Assert.True(p[0] > 0.5 && p[1] < 0.5, string.Join(", ", p));
        var label = onnx.Outputs.Single(o => o.Name.StartsWith("PredictedLabel", StringComparison.Ordinal)).Name;
        Assert.Equal(ColumnType.Boolean, scored.Schema[scored.Schema.IndexOf(label)].Type);
        Assert.Equal(true, scored[label].GetValue(0));

        // One row at a time gives what the batch gave.
        var single = onnx.Score(table.TakeRows([2]), append: false);
        Assert.Equal(p[2], (double)single[probability].GetValue(0)!);

        // No rows: the schema only (what publishing a service needs).
        Assert.Equal(scored.Schema.Names, onnx.Score(DataTable.Empty(table.Schema)).Schema.Names);
    }

    [Fact]
    public void InputsThatMatchNoColumn_GetError0001_NamingThem()
    {
        using var onnx = OnnxModel.Load(ScalarInputsModel());
        var error = Fails(() => onnx.Score(Table([("a", ColumnType.Double), ("c", ColumnType.Double)], [1.0, 2.0]))).Error;
        Assert.Equal("0001", error.Code);
        Assert.StartsWith("Cannot find one or more specified columns of the dataset: b (", error.Message);

        error = Fails(() => onnx.Score(DataTable.Empty(Table([("x", ColumnType.Double)]).Schema))).Error;
        Assert.Equal("0001", error.Code);
        Assert.Contains(": a, b (", error.Message);
    }

    [Fact]
    public void ACellThatDoesNotFitTheInput_GetsError0018_NamingRowAndColumn_AndATypeThatCannot_0017()
    {
        using var onnx = OnnxModel.Load(ScalarInputsModel());
        var error = Fails(() => onnx.Score(Table([("a", ColumnType.Double), ("b", ColumnType.String)], [1.0, "0.5"], [1.0, "lots"]))).Error;
        Assert.Equal("0018", error.Code);
        Assert.Contains("\"lots\" in row 2 of column \"b\"", error.Message);

        error = Fails(() => onnx.Score(Table([("a", ColumnType.Double), ("b", ColumnType.DateTime)], [1.0, new DateTime(2020, 1, 1)]))).Error;
        Assert.Equal("0017", error.Code);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x50, 0x4b, 0x03, 0x04, 1, 2, 3 })]
    [InlineData(new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' })]
    public void BytesThatAreNotAModel_GetError0082(byte[] bytes)
    {
        var error = Fails(() => OnnxModel.Load(bytes)).Error;
        Assert.Equal("0082", error.Code);
        Assert.StartsWith("Model could not be deserialized", error.Message);
    }

    [Fact]
    public void AnImportedModel_CannotBeExportedAgainThroughMlNet_ButTheServiceGivesItsFile()
    {
        using var trained = new MemoryStream(ScalarInputsModel());
        var model = new TrainedModel(OnnxModel.Load(trained.ToArray()));
        Assert.Equal(ModelKind.Onnx, model.Kind);
        Assert.Equal(["a", "b"], model.InputColumns);
        Assert.Equal("0039", Fails(() => model.ExportOnnx(new MemoryStream())).Error.Code);
    }

    [Fact]
    public void MultiDimensionalValues_AreJsonArrays_NestedOrFlat_AndOutputsAreNestedJsonArrays()
    {
        var matmul = "/usr/share/libonnx-testdata/data/node/test_matmul_2d/model.onnx";
        Assert.True(File.Exists(matmul), "libonnx-testdata is not installed (scripts/test.sh installs it)");
        using var onnx = OnnxModel.Load(matmul);
        Assert.Equal(["float[3,4]", "float[4,3]"], onnx.Inputs.Select(i => i.Describe()));

        var identity = "[[1,0,0],[0,1,0],[0,0,1],[0,0,0]]";
        var a = "[1,2,3,4,5,6,7,8,9,10,11,12]"; // flat, row-major
        var scored = onnx.Score(Table([("a", ColumnType.String), ("b", ColumnType.String)], [a, identity], ["[[1,1,1,1],[0,0,0,0],[2,2,2,2]]", identity]), append: false);
        Assert.Equal(["c"], scored.Schema.Names);
        Assert.Equal(ColumnType.String, scored.Schema[0].Type);
        Assert.Equal("[[1,2,3],[5,6,7],[9,10,11]]", scored["c"].GetValue(0));
        Assert.Equal("[[1,1,1],[0,0,0],[2,2,2]]", scored["c"].GetValue(1));

        var error = Fails(() => onnx.Score(Table([("a", ColumnType.String), ("b", ColumnType.String)], ["[1,2,3]", identity]))).Error;
        Assert.Equal("0018", error.Code);
        Assert.Contains("float[3,4]", error.Message);
        Assert.Equal("0018", Fails(() => onnx.Score(Table([("a", ColumnType.String), ("b", ColumnType.String)], ["[[1,2],[3]]", identity]))).Error.Code);
        Assert.Equal("0018", Fails(() => onnx.Score(Table([("a", ColumnType.String), ("b", ColumnType.String)], ["not json", identity]))).Error.Code);
    }

    [Fact]
    public void IntegerBoolAndStringTensors_AreFedAndRead_AndAValueOutOfRangeIsError0018()
    {
        var node = "/usr/share/libonnx-testdata/data/node/";
        using (var add = OnnxModel.Load(node + "test_add_uint8/model.onnx"))
        {
            Assert.Equal("uint8[3,4,5]", add.Inputs[0].Describe());
            var ones = "[" + string.Join(",", Enumerable.Repeat(1, 60)) + "]";
            var twos = "[" + string.Join(",", Enumerable.Repeat(2, 60)) + "]";
            var scored = add.Score(Table([("x", ColumnType.String), ("y", ColumnType.String)], [ones, twos]), append: false);
            var sum = JsonNode.Parse((string)scored[0].GetValue(0)!)!;
            Assert.Equal(3, (int)sum[2]![3]![4]!);

            var error = Fails(() => add.Score(Table([("x", ColumnType.String), ("y", ColumnType.String)], [ones, twos.Replace("[2,", "[300,", StringComparison.Ordinal)]))).Error;
            Assert.Equal("0018", error.Code);
            Assert.Contains("300 is out of the range of uint8", error.Message);
            Assert.Contains("column \"y\"", error.Message);
        }

        using (var and = OnnxModel.Load(node + "test_and2d/model.onnx"))
        {
            Assert.Equal("bool[3,4]", and.Inputs[0].Describe());
            var x = "[[true,false,true,false],[1,1,0,0],[true,true,true,true]]";
            var y = "[[true,true,false,false],[true,false,true,false],[false,false,false,false]]";
            var scored = and.Score(Table([("x", ColumnType.String), ("y", ColumnType.String)], [x, y]), append: false);
            Assert.Equal("[[true,false,false,false],[true,false,false,false],[false,false,false,false]]", scored[0].GetValue(0));
        }

        using (var cast = OnnxModel.Load(node + "test_cast_FLOAT_to_STRING/model.onnx"))
        {
            var input = cast.Inputs.Single();
            var shape = input.ItemShape;
            var count = shape.Aggregate(1, (a, b) => a * b);
            var scored = cast.Score(Table([(input.Name, ColumnType.String)], ["[" + string.Join(",", Enumerable.Repeat("0.5", count)) + "]"]), append: false);
            Assert.Equal(ColumnType.String, scored.Schema[0].Type);
            var strings = JsonNode.Parse((string)scored[0].GetValue(0)!)!.AsArray().SelectMany(row => row!.AsArray()).Select(v => (string?)v).ToArray();
            Assert.Equal(count, strings.Length);
            Assert.All(strings, v => Assert.Equal(0.5, double.Parse(v!, System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>Cells that matter to the JSON arrays: brackets, commas, digits, signs, quotes, and other text.</summary>
    private static readonly Gen<string> JsonishCell = Gen.Frequency(
        (4, Gen.Char["[],0123456789.-e \"nNaItrufls"].Array[0, 40].Select(c => new string(c))),
        (1, Gen.String[0, 20]));

    [Fact]
    public void RandomCells_ScoreOrAreAModuleError_NeverAnotherException()
    {
        using var onnx = OnnxModel.Load("/usr/share/libonnx-testdata/data/node/test_matmul_2d/model.onnx");
        var identity = "[[1,0,0],[0,1,0],[0,0,1],[0,0,0]]";
        Gen.Select(JsonishCell, Gen.Bool).Sample(t =>
        {
            var table = Table([("a", ColumnType.String), ("b", ColumnType.String)], t.Item2 ? [t.Item1, identity] : [identity.Replace("[0,0,0]]", "[0,0,0]," + t.Item1 + "]", StringComparison.Ordinal), t.Item1]);
            try
            {
                _ = onnx.Score(table);
            }
            catch (StudioModuleException ex)
            {
                Assert.Contains(ex.ErrorCode, new[] { "0018", "1000" });
            }
        }, iter: Fuzz.FuzzIterations.Of(300), threads: 1, print: t => t.Item1);
    }

    [Fact]
    public void MutatedModelFiles_LoadOrAreError0082_NeverAnotherException()
    {
        var valid = File.ReadAllBytes("/usr/share/libonnx-testdata/data/node/test_add/model.onnx");
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte).Array[1, 6].Sample(edits =>
        {
            var bytes = (byte[])valid.Clone();
            foreach (var (at, value) in edits)
            {
                bytes[at] = value;
            }

            try
            {
                using var model = OnnxModel.Load(bytes);
                var x = "[" + string.Join(",", Enumerable.Repeat("[" + string.Join(",", Enumerable.Repeat("[1,2,3,4,5]", 4)) + "]", 3)) + "]";
                _ = model.Score(Table(model.Inputs.Select(i => (i.Name, ColumnType.String)).ToArray(), model.Inputs.Select(_ => (object?)x).ToArray()));
            }
            catch (StudioModuleException ex)
            {
                Assert.Contains(ex.ErrorCode, new[] { "0082", "0039", "0001", "0017", "0018", "1000" });
            }
        }, iter: Fuzz.FuzzIterations.Of(300), threads: 1, print: e => string.Join(" ", e.Select(x => $"{x.Item1}:{x.Item2}")));
    }
}
