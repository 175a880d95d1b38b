using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.ML;
using Microsoft.ML.Data;
using Tollgate.Studio.Data;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;

// Studio's learners on the census sample (2,000 rows, 6 feature columns → 17 features), Tollgate beside ML.NET alone:
//   LearnerBench train [BenchmarkDotNet args]  training time of each learner: Train Model (featurize the DataTable, map
//                                              the label, fit) vs the same ML.NET estimator fitted on the already
//                                              featurized rows (IDataView from FeatureRow[]), BenchmarkDotNet in-process.
//   LearnerBench predict [seconds=5]           one row at a time, single thread, the Two-Class Decision Forest (seed 7,
//                                              as bench/studio/learners.sh publishes it): ML.NET's PredictionEngine on a
//                                              featurized row vs Tollgate's TrainedModel.Score of a one-row DataTable.
if (args is ["predict", ..])
{
    Predict.Run(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 5);
    return;
}

var config = ManualConfig.CreateMinimumViable()
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(7).WithInvocationCount(1).WithUnrollFactor(1))
    .AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.GitHub)
    .WithSummaryStyle(BenchmarkDotNet.Reports.SummaryStyle.Default.WithMaxParameterColumnWidth(40))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkRunner.Run<TrainingBenchmarks>(config, args.Skip(1).ToArray());

/// <summary>The census sample as a DataTable, and the label column each kind of learner learns.</summary>
internal static class Census
{
    public static DataTable Table { get; } = DataTable.FromBatches(SampleDatasets.AdultCensusSchema, Load());

    public static string Label(ModelKind kind) => kind switch
    {
        ModelKind.TwoClass => "income",
        ModelKind.Multiclass => "marital-status",
        _ => "education-num",
    };

    private static List<DataBatch> Load()
    {
        var batches = new List<DataBatch>();
        var e = SampleDatasets.AdultCensus().GetAsyncEnumerator();
        while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult())
        {
            batches.Add(e.Current);
        }

        return batches;
    }

    /// <summary>The rows as ML.NET sees them, featurized by the model's featurizer, with the label of the model's kind.</summary>
    public static (FeatureRow[] Rows, SchemaDefinition Schema) Featurized(TrainedModel model)
    {
        var table = Table;
        var indices = model.Featurizer.Bind(table.Schema);
        var label = model.LabelName is null ? -1 : table.Schema.IndexOf(model.LabelName);
        var classes = model.Classes.Select(v => CellText.Format((object?)v)).ToList();
        var rows = new FeatureRow[table.RowCount];
        for (var r = 0; r < rows.Length; r++)
        {
            var row = new FeatureRow { Features = model.Featurizer.Featurize(table, indices, r) };
            var value = label < 0 ? null : table.GetValue(r, label);
            switch (model.Kind)
            {
                case ModelKind.TwoClass:
                    row.BoolLabel = CellText.Format(value) == classes[1];
                    break;
                case ModelKind.Multiclass:
                    row.KeyLabel = (uint)classes.IndexOf(CellText.Format(value));
                    break;
                case ModelKind.Regression:
                    row.Label = Convert.ToSingle(value, CultureInfo.InvariantCulture);
                    break;
            }

            rows[r] = row;
        }

        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, model.Featurizer.Length);
        schema[nameof(FeatureRow.KeyLabel)].ColumnType = new KeyDataViewType(typeof(uint), Math.Max(model.Classes.Count, 1));
        return (rows, schema);
    }

    public static TrainedModel Train(UntrainedModel learner)
    {
        if (learner.Kind == ModelKind.Clustering)
        {
            var clustering = new TrainClusteringModelModule();
            return (TrainedModel)clustering.Run([learner, Table], clustering.Definition.Bind(new Dictionary<string, object?>
            {
                ["Column Set"] = "age,workclass,education-num,marital-status,sex,hours-per-week",
            }))[0];
        }

        var train = new TrainModelModule();
        return train.Train(learner, Table, train.Definition.Bind(new Dictionary<string, object?> { ["Label column"] = Label(learner.Kind) }));
    }
}

public class TrainingBenchmarks
{
    private UntrainedModel _learner = null!;
    private FeatureRow[] _rows = [];
    private SchemaDefinition _schema = null!;

    public static IEnumerable<string> Learners => LearnerModule.All.Select(l => l.Definition.Name);

    [ParamsSource(nameof(Learners))]
    public string Learner { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var module = LearnerModule.All.Single(l => l.Definition.Name == Learner);
        _learner = module.Create(module.Definition.Bind(new Dictionary<string, object?> { [LearnerModule.SeedParameter] = 7 }));
        (_rows, _schema) = Census.Featurized(Census.Train(_learner));
    }

    [Benchmark(Description = "Tollgate Train Model")]
    public TrainedModel Tollgate() => Census.Train(_learner);

    [Benchmark(Baseline = true, Description = "ML.NET alone")]
    public ITransformer MlNet()
    {
        var ml = new MLContext(_learner.Seed);
        return _learner.CreateTrainer(ml).Fit(ml.Data.LoadFromEnumerable(_rows, _schema));
    }
}

internal static class Predict
{
    private sealed class Output
    {
        public float Probability { get; set; }
    }

    public static void Run(double seconds)
    {
        var module = LearnerModule.TwoClassDecisionForest;
        var learner = module.Create(module.Definition.Bind(new Dictionary<string, object?> { [LearnerModule.SeedParameter] = 7 }));
        var model = Census.Train(learner);
        var (rows, schema) = Census.Featurized(model);
        var ml = new MLContext(learner.Seed);
        var transformer = learner.CreateTrainer(ml).Fit(ml.Data.LoadFromEnumerable(rows, schema));
        var engine = ml.Model.CreatePredictionEngine<FeatureRow, Output>(transformer, inputSchemaDefinition: schema);

        // The request's row: 52, Self-emp-not-inc, 15, Married-civ-spouse, Male, 60 (income empty).
        var input = DataTable.FromBatches(SampleDatasets.AdultCensusSchema, [Row(52, "Self-emp-not-inc", 15, "Married-civ-spouse", "Male", 60)]);
        var tollgate = (double)model.Score(input)["Scored Probabilities"].GetValue(0)!;
        var features = new FeatureRow { Features = model.Featurizer.Featurize(input, model.Featurizer.Bind(input.Schema), 0) };
        var mlnet = engine.Predict(features).Probability;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"same model: Tollgate {tollgate:R}, ML.NET {mlnet:R}"));
        if (Math.Abs(tollgate - mlnet) > 1e-6)
        {
            throw new InvalidOperationException("the two models differ");
        }

        Console.WriteLine("| in-process, one row per call, 1 thread | calls/s | µs/call |");
        Console.WriteLine("|---|---:|---:|");
        Measure("ML.NET PredictionEngine (featurized row)", () => engine.Predict(features).Probability, seconds);
        Measure("Tollgate TrainedModel.Score (one-row DataTable)", () => (double)model.Score(input)["Scored Probabilities"].GetValue(0)!, seconds);
    }

    private static DataBatch Row(params object?[] values)
    {
        var builder = new DataBatchBuilder(SampleDatasets.AdultCensusSchema, 1);
        builder.AppendRow([.. values, null]);
        return builder.Build();
    }

    private static void Measure(string name, Func<double> call, double seconds)
    {
        var sink = 0.0;
        for (var i = 0; i < 2000; i++)
        {
            sink += call();
        }

        var clock = Stopwatch.StartNew();
        long calls = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (var i = 0; i < 100; i++)
            {
                sink += call();
            }

            calls += 100;
        }

        var perSecond = calls / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {perSecond:F0} | {1e6 / perSecond:F1} |{(sink < 0 ? " " : "")}"));
    }
}
