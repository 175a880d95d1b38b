using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Studio.Data;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Storage;
using Tollgate.Studio.WebServices;

namespace Tollgate.UnitTests.Studio.Experiments;

public sealed class ExperimentGraphTests
{
    private static readonly ModuleRegistry Registry = ModuleRegistry.CreateBuiltIn();

    private static readonly DatasetRecord Reviews = new("d1", "Book Reviews from Amazon", "csv", SampleDatasets.BookReviewsSchema, 5000, "/nowhere.csv", 0, DateTimeOffset.UnixEpoch);

    private static JsonObject Tutorial(int bits = 3) => JsonNode.Parse($$$"""
        {"name":"t","modules":[
          {"id":"data","module":"Saved dataset","parameters":{"Dataset":"Book Reviews from Amazon"}},
          {"id":"select","module":"select columns in dataset","parameters":{"Select columns":[{"rule":"names","names":["Col2"]}]}},
          {"id":"hash","module":"Feature Hashing","parameters":{"Target columns":"Col2","Hashing bitsize":{{{bits}}}}},
          {"id":"in","module":"Web service input"},{"id":"out","module":"Web service output"}],
         "connections":[{"from":"data","to":"select"},{"from":"select","to":"hash","toPort":"Dataset"},{"from":"in","to":"hash"},{"from":"hash","to":"out"}],
         "webServiceParameters":[{"name":"Bits","module":"hash","parameter":"hashing bitsize"}]}
        """)!.AsObject();

    private static ExperimentGraph Parse(JsonNode json)
    {
        var problems = new List<GraphProblem>();
        var graph = ExperimentGraph.Parse(json, Registry, problems);
        Assert.True(graph is not null, string.Join("; ", problems));
        return graph;
    }

    [Fact]
    public void Parse_Tutorial_NormalisesNamesAndNamesThePorts()
    {
        var graph = Parse(Tutorial());

        Assert.Equal("Select Columns in Dataset", graph.ById["select"].Definition.Name);
        Assert.Equal("input1", graph.PortNames["in"]);
        Assert.Equal("output1", graph.PortNames["out"]);
        Assert.Equal("Hashing bitsize", graph.WebServiceParameters[0].Parameter);
        Assert.IsType<ColumnSelection>(graph.ById["select"].Parameters["Select columns"]);
        Assert.Equal(graph.ToJson().ToJsonString(), Parse(graph.ToJson()).ToJson().ToJsonString());
    }

    [Fact]
    public void Parse_KeepsWhereTheCanvasPlacedAModule_AndRefusesABadPlace()
    {
        var json = Tutorial();
        json["modules"]![0]!["position"] = new JsonObject { ["x"] = 40, ["y"] = 120 };
        var graph = Parse(json);
        Assert.Equal(new ModulePosition(40, 120), graph.ById["data"].Position);
        Assert.Null(graph.ById["select"].Position);
        Assert.Equal("""{"x":40,"y":120}""", graph.ToJson()["modules"]![0]!["position"]!.ToJsonString());
        Assert.Null(graph.ToJson()["modules"]![1]!["position"]);

        foreach (var bad in new JsonNode[] { new JsonObject { ["x"] = -1, ["y"] = 0 }, new JsonObject { ["x"] = 1.5, ["y"] = 0 }, new JsonObject { ["x"] = 1 }, "top-left", new JsonObject { ["x"] = 0, ["y"] = 1_000_000 } })
        {
            json["modules"]![0]!["position"] = bad.DeepClone();
            var problems = new List<GraphProblem>();
            Assert.Null(ExperimentGraph.Parse(json, Registry, problems));
            Assert.Contains(problems, p => p.Target == "modules[0].position");
        }
    }

    [Fact]
    public void Parse_TwoDataConnectionsIntoOnePort_OrTwoInputsNamedAlike_AreProblems()
    {
        var json = Tutorial();
        json["connections"]!.AsArray().Add(new JsonObject { ["from"] = "data", ["to"] = "hash" });
        var problems = new List<GraphProblem>();

        Assert.Null(ExperimentGraph.Parse(json, Registry, problems));
        Assert.Contains(problems, p => p.Target == "connections[4]" && p.Message.Contains("already has a connection", StringComparison.Ordinal));

        json = Tutorial();
        json["modules"]!.AsArray().Add(new JsonObject { ["id"] = "in2", ["module"] = "Web service input", ["parameters"] = new JsonObject { ["Name"] = "input1" } });
        problems.Clear();
        Assert.Null(ExperimentGraph.Parse(json, Registry, problems));
        Assert.Contains(problems, p => p.Message.Contains("Two web service inputs are named 'input1'", StringComparison.Ordinal));
    }

    [Fact]
    public void Compile_ExperimentMode_PropagatesSchemas_AndLeavesWebServiceInputOut()
    {
        var compiled = CompiledGraph.Compile(Parse(Tutorial()), GraphMode.Experiment, new Dictionary<string, DatasetRecord> { [Reviews.Name] = Reviews });

        Assert.False(compiled.ById["in"].Active);
        Assert.Same(compiled.ById["select"], compiled.ById["hash"].Input);
        Assert.Equal(9, compiled.ById["out"].OutputSchema!.Count);
        Assert.Empty(compiled.Errors);
    }

    [Fact]
    public void Freeze_KeepsWhatFeedsTheOutputs_WithTheInputsColumns()
    {
        var datasets = new Dictionary<string, DatasetRecord> { [Reviews.Name] = Reviews };

        var frozen = WebServiceCatalog.Freeze(Parse(Tutorial()), datasets);

        Assert.Equal(["hash", "in", "out"], frozen.Modules.Select(m => m.Id).Order());
        Assert.Equal("Col2:String", frozen.InputSchemas["input1"].ToString());
        var scoring = CompiledGraph.Compile(Parse(frozen.ToJson()), GraphMode.Scoring, datasets);
        Assert.Equal(["input1"], scoring.Inputs.Select(i => i.PortName));
        Assert.Equal(9, scoring.Outputs.Single().OutputSchema!.Count);
    }

    [Fact]
    public void Compile_BadParameter_IsTheModulesError_AndBlocksWhatFollows()
    {
        var compiled = CompiledGraph.Compile(Parse(Tutorial(bits: 0)), GraphMode.Experiment, new Dictionary<string, DatasetRecord> { [Reviews.Name] = Reviews });

        Assert.Equal("Error 0004: Parameter \"Hashing bitsize\" should be greater than 0.", compiled.ById["hash"].Error!.FullMessage);
        Assert.True(compiled.ById["out"].Blocked);
    }

    [Fact]
    public void Compile_MissingDataset_IsError0003()
    {
        var compiled = CompiledGraph.Compile(Parse(Tutorial()), GraphMode.Experiment, new Dictionary<string, DatasetRecord>());

        Assert.Equal("0003", compiled.ById["data"].Error!.Code);
    }

    [Fact]
    public async Task CsvBatchWriter_QuotesWhatNeedsIt_AndReadsBack()
    {
        var schema = new DataSchema(new ColumnSchema("text", ColumnType.String), new ColumnSchema("n", ColumnType.Int32), new ColumnSchema("x", ColumnType.Double));
        var builder = new DataBatchBuilder(schema);
        builder.AppendRow("plain", 1, 0.5);
        builder.AppendRow("comma, \"quote\"\nline", null, null);
        builder.AppendRow(null, -7, 1e300);
        using var stream = new MemoryStream();
        var writer = new CsvBatchWriter(stream, schema);

        await writer.WriteAsync(builder.Build(), CancellationToken.None);
        await writer.CompleteAsync(CancellationToken.None);

        var text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Equal("text,n,x\nplain,1,0.5\n\"comma, \"\"quote\"\"\nline\",,\n,-7,1E+300\n", text);
        await using var reader = await DelimitedTextReader.OpenAsync(new StringReader(text), DelimitedTextOptions.Csv with { Schema = schema });
        var batches = new List<DataBatch>();
        await foreach (var b in reader.ReadBatchesAsync())
        {
            batches.Add(b);
        }

        Assert.Equal("comma, \"quote\"\nline", ((StringColumn)batches[0][0])[1]);
        Assert.Equal(-7, ((ValueColumn<int>)batches[0][1])[2]);
    }
}
