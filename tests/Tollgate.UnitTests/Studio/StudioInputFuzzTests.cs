using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Tollgate.Studio.Data;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Storage;
using Tollgate.Studio.WebServices;

namespace Tollgate.UnitTests.Studio;

/// <summary>
/// Property tests over what clients send Studio: the CSV/TSV reader (dataset uploads, BES inputs) and the RRS body
/// parser, on random bytes and on mutations of valid inputs. Whatever the input, the reader either reads it or throws
/// <see cref="DataFormatException"/>, and the parser either parses it or throws a 400 <see cref="StudioError"/>: never
/// another exception. Bounded for the unit suite; set <c>TOLLGATE_FUZZ_ITERATIONS</c> for longer runs.
/// </summary>
public sealed class StudioInputFuzzTests
{
    private static readonly long Iterations = Fuzz.FuzzIterations.Of(400);

    private static readonly DataSchema Typed = new(
        new ColumnSchema("S", ColumnType.String),
        new ColumnSchema("I", ColumnType.Int32),
        new ColumnSchema("D", ColumnType.Double),
        new ColumnSchema("B", ColumnType.Boolean),
        new ColumnSchema("T", ColumnType.DateTime));

    private const string ValidCsv = "S,I,D,B,T\nplain,1,0.5,true,2024-02-29 13:45:30\n\"comma, \"\"quote\"\"\nline\",-2147483648,-1.5e-300,False,\n,,,,\ncafé,7,1e10,TRUE,1999-12-31\n";

    /// <summary>Bytes that matter to CSV/TSV and UTF-8: delimiters, quotes, line ends, digits, signs, and broken sequences.</summary>
    private static readonly Gen<byte> CsvByte = Gen.Frequency(
        (6, Gen.OneOf("abc,\"\n\r\t019.-+eE TtFf:"u8.ToArray())),
        (1, Gen.Byte),
        (1, Gen.OneOf<byte>(0xC3, 0xA9, 0xFF, 0xE2, 0x80, 0x00, 0xEF, 0xBB, 0xBF)));

    private static readonly Gen<byte[]> RandomCsv = CsvByte.Array[0, 400];

    /// <summary>A valid input with random byte edits (replace, insert, delete) at random places.</summary>
    private static Gen<byte[]> Mutated(byte[] valid) =>
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, valid.Length], CsvByte).Array[1, 8].Select(edits =>
        {
            var bytes = new List<byte>(valid);
            foreach (var (kind, at, value) in edits)
            {
                var position = Math.Min(at, bytes.Count);
                switch (kind)
                {
                    case 0 when position < bytes.Count:
                        bytes[position] = value;
                        break;
                    case 1:
                        bytes.Insert(position, value);
                        break;
                    case 2 when position < bytes.Count:
                        bytes.RemoveAt(position);
                        break;
                }
            }

            return bytes.ToArray();
        });

    private static void ReadAll(byte[] bytes, DelimitedTextOptions options)
    {
        try
        {
            Task.Run(async () =>
            {
                await using var reader = await DelimitedTextReader.OpenStreamAsync(new MemoryStream(bytes), options with { BatchSize = 3, InferenceRows = 4 });
                await foreach (var batch in reader.ReadBatchesAsync())
                {
                    for (var r = 0; r < batch.RowCount; r++)
                    {
                        foreach (var column in batch.Columns)
                        {
                            _ = column.GetText(r);
                        }
                    }
                }
            }).GetAwaiter().GetResult();
        }
        catch (DataFormatException ex)
        {
            Assert.False(string.IsNullOrEmpty(ex.Message));
            Assert.True(ex.RowNumber >= 1, ex.Message);
        }
    }

    private static string Show(byte[] bytes) => Convert.ToHexString(bytes);

    [Fact]
    public void CsvReader_RandomBytes_ReadsOrIsADataFormatError()
    {
        Gen.Select(RandomCsv, Gen.Bool).Sample(t =>
        {
            var options = t.Item2 ? DelimitedTextOptions.Csv : DelimitedTextOptions.Tsv;
            ReadAll(t.Item1, options);
            ReadAll(t.Item1, options with { Schema = Typed, IgnoreExtraColumns = true });
        }, iter: Iterations, threads: 1, print: t => Show(t.Item1));
    }

    [Fact]
    public void CsvReader_MutatedValidFile_ReadsOrIsADataFormatError()
    {
        var valid = Encoding.UTF8.GetBytes(ValidCsv);
        ReadAll(valid, DelimitedTextOptions.Csv with { Schema = Typed }); // the seed itself is valid
        Mutated(valid).Sample(bytes =>
        {
            ReadAll(bytes, DelimitedTextOptions.Csv);
            ReadAll(bytes, DelimitedTextOptions.Csv with { Schema = Typed });
        }, iter: Iterations, threads: 1, print: Show);
    }

    [Fact]
    public void CsvReader_MutatedValidTsv_ReadsOrIsADataFormatError()
    {
        var valid = Encoding.UTF8.GetBytes(ValidCsv.Replace("\"comma, \"\"quote\"\"\nline\"", "tabless", StringComparison.Ordinal).Replace(',', '\t'));
        ReadAll(valid, DelimitedTextOptions.Tsv with { Schema = Typed });
        Mutated(valid).Sample(bytes =>
        {
            ReadAll(bytes, DelimitedTextOptions.Tsv);
            ReadAll(bytes, DelimitedTextOptions.Tsv with { Schema = Typed, IgnoreExtraColumns = true });
        }, iter: Iterations, threads: 1, print: Show);
    }

    // --- the RRS body parser ---------------------------------------------------------------------------------------

    private static readonly Lazy<ScoringService> Service = new(() =>
    {
        var registry = ModuleRegistry.CreateBuiltIn();
        var reviews = new DatasetRecord("d1", "Book Reviews from Amazon", "csv", SampleDatasets.BookReviewsSchema, 5000, "/nowhere.csv", 0, DateTimeOffset.UnixEpoch);
        var datasets = new Dictionary<string, DatasetRecord> { [reviews.Name] = reviews };
        var json = JsonNode.Parse("""
            {"name":"t","modules":[
              {"id":"data","module":"Saved dataset","parameters":{"Dataset":"Book Reviews from Amazon"}},
              {"id":"hash","module":"Feature Hashing","parameters":{"Target columns":"Col2","Hashing bitsize":3}},
              {"id":"in","module":"Web service input"},{"id":"out","module":"Web service output"}],
             "connections":[{"from":"data","to":"hash","toPort":"Dataset"},{"from":"in","to":"hash"},{"from":"hash","to":"out"}],
             "webServiceParameters":[{"name":"Bits","module":"hash","parameter":"hashing bitsize"}]}
            """)!;
        var problems = new List<GraphProblem>();
        var graph = ExperimentGraph.Parse(json, registry, problems) ?? throw new InvalidOperationException(string.Join("; ", problems));
        var frozen = WebServiceCatalog.Freeze(graph, datasets);
        var record = new ServiceRecord("s", "e", "t", "", "x", frozen.ToJson().ToJsonString(), "k1", "k2", 20, DateTimeOffset.UnixEpoch);
        return new ScoringService(record, ExperimentGraph.Load(record.PlanJson, registry), datasets, new Dictionary<string, Tollgate.Studio.Learning.TrainedModel>(), registry);
    });

    private static void Parse(byte[] body)
    {
        try
        {
            var (inputs, globals) = RequestResponseService.Parse(body, Service.Value);
            Service.Value.Compile(globals);
            Assert.NotEmpty(inputs);
        }
        catch (StudioError error)
        {
            Assert.Equal(400, error.Status);
            Assert.NotEmpty(error.Details);
            Assert.All(error.Details, d => Assert.False(string.IsNullOrEmpty(d.Message)));
        }
    }

    private static readonly string[] Names = ["Inputs", "GlobalParameters", "input1", "ColumnNames", "Values", "Col1", "Col2", "Bits", "inputs", "x", ""];

    /// <summary>Random JSON values, biased to the names and shapes of an RRS request.</summary>
    private static readonly Gen<JsonNode?> Json = Gen.Recursive<JsonNode?>((depth, self) =>
    {
        var leaf = Gen.OneOf(
            Gen.Const(() => (JsonNode?)null),
            Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
            Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
            Gen.Double.Select(d => (JsonNode?)(double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(0.5))),
            Gen.String[Gen.Char, 0, 12].Select(s => (JsonNode?)JsonValue.Create(s)),
            Gen.OneOf(Names).Select(s => (JsonNode?)JsonValue.Create(s)),
            Gen.OneOf("4", "40", "-1", "1e3", "This is a good day").Select(s => (JsonNode?)JsonValue.Create(s)));
        if (depth >= 4)
        {
            return leaf;
        }

        var array = self.Array[0, 4].Select(items => (JsonNode?)new JsonArray(items.Select(i => i?.DeepClone()).ToArray()));
        var obj = Gen.Select(Gen.OneOf(Names), self).Array[0, 4].Select(props =>
        {
            var o = new JsonObject();
            foreach (var (name, value) in props)
            {
                o[name] = value?.DeepClone();
            }

            return (JsonNode?)o;
        });
        return Gen.Frequency((2, leaf), (1, array), (2, obj));
    });

    [Fact]
    public void RrsParser_RandomJson_ParsesOrIsA400StudioError()
    {
        Json.Sample(node =>
        {
            Parse(Encoding.UTF8.GetBytes(node?.ToJsonString() ?? "null"));
            Parse(Encoding.UTF8.GetBytes(new JsonObject { ["Inputs"] = new JsonObject { ["input1"] = node?.DeepClone() } }.ToJsonString()));
        }, iter: Iterations, threads: 1, print: n => n?.ToJsonString() ?? "null");
    }

    [Fact]
    public void RrsParser_MutatedValidBodies_ParseOrAreA400StudioError()
    {
        var table = Encoding.UTF8.GetBytes("""{"Inputs":{"input1":{"ColumnNames":["Col1","Col2"],"Values":[["5","This is a good day"],[null,"é"]]}},"GlobalParameters":{"Bits":"4"}}""");
        var rows = Encoding.UTF8.GetBytes("""{"Inputs":{"input1":[{"Col1":5,"Col2":"This is a good day"},{"Col2":null}]},"GlobalParameters":{}}""");
        Parse(table);
        Parse(rows);
        Gen.OneOf(Mutated(table), Mutated(rows), Gen.Byte.Array[0, 300]).Sample(Parse, iter: Iterations, threads: 1, print: Show);
    }

    [Fact]
    public void RrsParser_DeepNesting_IsA400_NotAStackOverflow()
    {
        var deep = Encoding.UTF8.GetBytes("""{"Inputs":{"input1":""" + new string('[', 100_000) + new string(']', 100_000) + "}}");

        var error = Assert.Throws<StudioError>(() => RequestResponseService.Parse(deep, Service.Value));

        Assert.Equal(400, error.Status);
    }
}
