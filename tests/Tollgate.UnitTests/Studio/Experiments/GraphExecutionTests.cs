using System.Text.Json.Nodes;
using Tollgate.Studio.Data;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.Tables;
using Tollgate.Studio.Storage;
using static Tollgate.UnitTests.Studio.Tables.TableTestData;

namespace Tollgate.UnitTests.Studio.Experiments;

/// <summary>Whole-dataset modules in the graph: Score Model streams once its model is known; others wait for complete inputs.</summary>
public sealed class GraphExecutionTests
{
    private static readonly ModuleRegistry Registry = ModuleRegistry.CreateBuiltIn();
    private static readonly DataSchema Schema = new(new ColumnSchema("x", ColumnType.Double), new ColumnSchema("label", ColumnType.String));

    private static TrainedModel Model()
    {
        var rows = Enumerable.Range(0, 200).Select(i => new object?[] { i / 200.0, i < 100 ? "low" : "high" }).ToArray();
        var learner = LearnerModule.TwoClassLogisticRegression.Create(LearnerModule.TwoClassLogisticRegression.Definition.Bind(null));
        var train = new TrainModelModule();
        return train.Train(learner, Table([("x", ColumnType.Double), ("label", ColumnType.String)], rows), Bind(train, ("Label column", "label")));
    }

    private static ExperimentGraph Graph(string middle) => ExperimentGraph.Load(JsonNode.Parse($$$"""
        {"name":"g","modules":[
          {"id":"model","module":"Trained model","parameters":{"Trained model":"m"}},
          {"id":"in","module":"Web service input"},{"id":"split","module":"Split Data","parameters":{"Randomized split":false}},
          {"id":"score","module":"Score Model"},{"id":"out","module":"Web service output"}],
         "connections":[{"from":"in","to":"split"},
          {"from":{"module":"split","port":"{{{middle}}}"},"to":{"module":"score","port":"Dataset"}},
          {"from":"model","to":{"module":"score","port":"Trained model"}},{"from":"score","to":"out"}],
         "inputSchemas":{"input1":[{"name":"x","type":"Double"},{"name":"label","type":"String"}]}}
        """)!.ToJsonString(), Registry);

    private static DataBatch Batch(params double[] xs)
    {
        var builder = new DataBatchBuilder(Schema, xs.Length);
        foreach (var x in xs)
        {
            builder.AppendRow(x, null);
        }

        return builder.Build();
    }

    [Fact]
    public async Task ScoreModel_WithASavedModel_ScoresEachBatchAsItComes_AndItsColumnsAreKnownBeforeTheRun()
    {
        // The web service input feeds Score Model directly: no whole-dataset module in between.
        var json = Graph("Results dataset1").ToJson();
        json["connections"] = new JsonArray(
            new JsonObject { ["from"] = "in", ["to"] = new JsonObject { ["module"] = "score", ["port"] = "Dataset" } },
            new JsonObject { ["from"] = "model", ["to"] = new JsonObject { ["module"] = "score", ["port"] = "Trained model" } },
            new JsonObject { ["from"] = "score", ["to"] = "out" });
        var graph = ExperimentGraph.Load(json.ToJsonString(), Registry);
        var compiled = CompiledGraph.Compile(graph, GraphMode.Scoring, new Dictionary<string, DatasetRecord>(), null,
            new Dictionary<string, TrainedModel> { ["m"] = Model() }, Registry);

        Assert.Empty(compiled.Errors);
        Assert.Equal(["x", "label", "Scored Labels", "Scored Probabilities"], compiled.Outputs.Single().OutputSchema!.Names);
        var seen = new List<int>();
        var execution = new GraphExecution(compiled) { OnOutput = (node, _, batch, _) => { if (node.Id == "out") { seen.Add(batch.RowCount); } return ValueTask.CompletedTask; } };
        await execution.StartAsync(CancellationToken.None);
        var input = compiled.ById["in"];
        await execution.PushAsync(input, Batch(0.1, 0.2), CancellationToken.None);
        Assert.Equal([2], seen); // scored before the input is complete
        await execution.PushAsync(input, Batch(0.9), CancellationToken.None);
        Assert.Equal([2, 1], seen);
        await execution.CompleteAsync(input, CancellationToken.None);
        Assert.Empty(execution.RuntimeErrors);
    }

    [Fact]
    public async Task AWholeDatasetModule_RunsWhenItsInputIsComplete_AndFeedsTheRowByRowModule()
    {
        var compiled = CompiledGraph.Compile(Graph("Results dataset2"), GraphMode.Scoring, new Dictionary<string, DatasetRecord>(), null,
            new Dictionary<string, TrainedModel> { ["m"] = Model() }, Registry);
        Assert.Empty(compiled.Errors);
        var scored = new List<DataBatch>();
        var execution = new GraphExecution(compiled) { OnOutput = (node, _, batch, _) => { if (node.Id == "out") { scored.Add(batch); } return ValueTask.CompletedTask; } };
        await execution.StartAsync(CancellationToken.None);
        var input = compiled.ById["in"];
        await execution.PushAsync(input, Batch(0.05, 0.1, 0.15), CancellationToken.None);
        await execution.PushAsync(input, Batch(0.9, 0.95), CancellationToken.None);
        Assert.Empty(scored); // Split Data needs every row first

        await execution.CompleteAsync(input, CancellationToken.None);

        // Split Rows, not randomized, fraction 0.5 of 5 rows: round(2.5) = 3 rows first, so the second output holds the last two.
        var batch = Assert.Single(scored);
        Assert.Equal([0.9, 0.95], Enumerable.Range(0, batch.RowCount).Select(r => (double)batch[0].GetValue(r)!));
        Assert.Equal(["high", "high"], Enumerable.Range(0, batch.RowCount).Select(r => (string?)batch["Scored Labels"].GetValue(r)));
    }

    [Fact]
    public async Task AModuleWithoutItsModel_FailsWithError0003_AndTheOutputGetsNothing()
    {
        var compiled = CompiledGraph.Compile(Graph("Results dataset1"), GraphMode.Scoring, new Dictionary<string, DatasetRecord>(), null, null, Registry);

        var (node, error) = Assert.Single(compiled.Errors);
        Assert.Equal("model", node.Id);
        Assert.Equal("0003", error.Code);
        Assert.True(compiled.ById["score"].Blocked);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task CrossValidateTuneAndPermutationFeatureImportance_RunInAGraph_FromALearnerAndTheInputRows()
    {
        var graph = ExperimentGraph.Load(JsonNode.Parse("""
            {"name":"g","modules":[
              {"id":"in","module":"Web service input"},
              {"id":"learner","module":"Two-Class Logistic Regression"},
              {"id":"cv","module":"Cross Validate Model","parameters":{"Label column":"label"}},
              {"id":"tune","module":"Tune Model Hyperparameters","parameters":{"Label column":"label","Maximum number of runs on random sweep":2}},
              {"id":"pfi","module":"Permutation Feature Importance"},
              {"id":"folds","module":"Web service output","parameters":{"Name":"folds"}},
              {"id":"sweep","module":"Web service output","parameters":{"Name":"sweep"}},
              {"id":"importance","module":"Web service output","parameters":{"Name":"importance"}}],
             "connections":[
              {"from":"in","to":{"module":"cv","port":"Dataset"}},
              {"from":"learner","to":{"module":"cv","port":"Untrained model"}},
              {"from":{"module":"cv","port":"Evaluation results by fold"},"to":"folds"},
              {"from":"in","to":{"module":"tune","port":"Training dataset"}},
              {"from":"learner","to":{"module":"tune","port":"Untrained model"}},
              {"from":{"module":"tune","port":"Sweep results"},"to":"sweep"},
              {"from":{"module":"tune","port":"Trained best model"},"to":{"module":"pfi","port":"Trained model"}},
              {"from":"in","to":{"module":"pfi","port":"Test data"}},
              {"from":"pfi","to":"importance"}],
             "inputSchemas":{"input1":[{"name":"x","type":"Double"},{"name":"label","type":"String"}]}}
            """)!.ToJsonString(), Registry);
        var compiled = CompiledGraph.Compile(graph, GraphMode.Scoring, new Dictionary<string, DatasetRecord>(), null, null, Registry);
        Assert.Empty(compiled.Errors);
        var rows = new Dictionary<string, int>();
        var features = new List<string?>();
        var execution = new GraphExecution(compiled)
        {
            OnOutput = (node, _, batch, _) =>
            {
                rows[node.Id] = rows.GetValueOrDefault(node.Id) + batch.RowCount;
                if (node.Id == "importance")
                {
                    features.AddRange(Enumerable.Range(0, batch.RowCount).Select(r => (string?)batch["Feature"].GetValue(r)));
                }

                return ValueTask.CompletedTask;
            },
        };
        await execution.StartAsync(CancellationToken.None);
        var input = compiled.ById["in"];
        var builder = new DataBatchBuilder(Schema, 40);
        for (var i = 0; i < 40; i++)
        {
            builder.AppendRow(i / 40.0, i < 20 ? "low" : "high");
        }

        await execution.PushAsync(input, builder.Build(), CancellationToken.None);
        await execution.CompleteAsync(input, CancellationToken.None);

        Assert.Empty(execution.RuntimeErrors);
        Assert.Equal(12, rows["folds"]); // 10 folds, Mean, Standard Deviation
        Assert.Equal(2, rows["sweep"]);
        Assert.Equal(["x"], features);
    }
}
