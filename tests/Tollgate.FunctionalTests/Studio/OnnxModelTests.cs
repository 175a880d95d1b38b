using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>
/// ONNX models over HTTP: ONNX's own node test models (Debian's libonnx-testdata, installed by scripts/test.sh) imported
/// as trained models and published behind Score Model score their bundled inputs to the bundled reference outputs
/// through RRS; an ML.NET model exported to ONNX and imported back scores as the ML.NET service does (within 1e-6);
/// files that are not models and models whose inputs match no column get Studio's module errors, and Studio goes on
/// serving.
/// </summary>
public sealed class OnnxModelTests : IAsyncLifetime
{
    private const string NodeModels = "/usr/share/libonnx-testdata/data/node";
    private const long MaxOnnxBytes = 1024 * 1024;
    private StudioHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await StudioHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Studio:MaxOnnxModelBytes"] = MaxOnnxBytes.ToString(CultureInfo.InvariantCulture) });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JsonObject End(string module, string port) => new() { ["module"] = module, ["port"] = port };

    private static JsonObject Link(string from, string fromPort, string to, string toPort) => new() { ["from"] = End(from, fromPort), ["to"] = End(to, toPort) };

    private async Task<HttpResponseMessage> UploadModelAsync(string name, byte[] bytes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/studio/trainedmodels?name={Uri.EscapeDataString(name)}&format=onnx")
        {
            Content = new ByteArrayContent(bytes),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await _host.Studio.SendAsync(request);
    }

    private async Task<JsonNode> ImportAsync(string name, byte[] bytes)
    {
        using var response = await UploadModelAsync(name, bytes);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!;
    }

    private async Task UploadDatasetAsync(string name, string csv)
    {
        using var response = await _host.Studio.PostAsync($"/studio/datasets?name={Uri.EscapeDataString(name)}&format=csv", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Saved dataset and a trained model into Score Model (score columns only), with a Web service input and output around it.</summary>
    private static JsonObject ScoringExperiment(string name, string dataset, string model) => new()
    {
        ["name"] = name,
        ["modules"] = new JsonArray(
            new JsonObject { ["id"] = "data", ["module"] = "Saved dataset", ["parameters"] = new JsonObject { ["Dataset"] = dataset } },
            new JsonObject { ["id"] = "model", ["module"] = "Trained model", ["parameters"] = new JsonObject { ["Trained model"] = model } },
            new JsonObject { ["id"] = "score", ["module"] = "Score Model", ["parameters"] = new JsonObject { ["Append score columns to output"] = false } },
            new JsonObject { ["id"] = "input", ["module"] = "Web service input" },
            new JsonObject { ["id"] = "output", ["module"] = "Web service output" }),
        ["connections"] = new JsonArray(
            Link("data", "Dataset", "score", "Dataset"),
            Link("model", "Trained model", "score", "Trained model"),
            Link("input", "Dataset", "score", "Dataset"),
            Link("score", "Scored dataset", "output", "Dataset")),
    };

    private static string CsvCell(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private async Task<JsonNode> ExecuteAsync(string endpoint, string key, IReadOnlyList<string> columns, IEnumerable<IEnumerable<JsonNode?>> rows)
    {
        var body = new JsonObject
        {
            ["Inputs"] = new JsonObject
            {
                ["input1"] = new JsonObject
                {
                    ["ColumnNames"] = new JsonArray(columns.Select(c => (JsonNode?)c).ToArray()),
                    ["Values"] = new JsonArray(rows.Select(r => (JsonNode?)new JsonArray(r.ToArray())).ToArray()),
                },
            },
            ["GlobalParameters"] = new JsonObject(),
        };
        using var response = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(endpoint) + "/execute?api-version=2.0&details=true", key, body.ToJsonString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["Results"]!["output1"]!["value"]!;
    }

    [Theory]
    [InlineData("test_add")]
    [InlineData("test_relu")]
    [InlineData("test_sigmoid")]
    [InlineData("test_matmul_2d")]
    [InlineData("test_abs")]
    public async Task NodeTestModel_ScoresItsBundledInputs_ToTheReferenceOutputs_ThroughRrs(string test)
    {
        var directory = Path.Combine(NodeModels, test);
        Assert.True(File.Exists(Path.Combine(directory, "model.onnx")), $"{directory} is missing: scripts/test.sh installs libonnx-testdata");
        var imported = await ImportAsync(test, await File.ReadAllBytesAsync(Path.Combine(directory, "model.onnx")));
        Assert.Equal("Onnx", (string?)imported["kind"]);
        Assert.Equal("ONNX model", (string?)imported["learner"]);

        // The bundled inputs, in the model's input order; each becomes a column of the input's name holding a JSON array.
        var inputNames = imported["inputs"]!.AsArray().Select(i => (string)i!["name"]!).ToArray();
        var inputs = inputNames.Select((_, k) => TensorProto.Read(Path.Combine(directory, "test_data_set_0", $"input_{k}.pb"))).ToArray();
        var outputNames = imported["outputs"]!.AsArray().Select(o => (string)o!["name"]!).ToArray();
        var references = outputNames.Select((_, k) => TensorProto.Read(Path.Combine(directory, "test_data_set_0", $"output_{k}.pb"))).ToArray();
        Assert.All(imported["inputs"]!.AsArray(), i => Assert.Equal("float", (string?)i!["type"]));

        var dataset = $"{test} inputs";
        await UploadDatasetAsync(dataset, string.Join(",", inputNames) + "\n" + string.Join(",", inputs.Select(t => CsvCell(t.ToJson()))) + "\n");
        var (endpoint, key, _) = await _host.PublishAsync(ScoringExperiment(test, dataset, (string)imported["id"]!));

        // Row 1: the inputs as nested arrays in strings; row 2: the same values flat, in row-major order (the shapes are
        // fixed); row 3: the nested arrays as JSON arrays (a String column keeps an array's JSON text).
        var output = await ExecuteAsync(endpoint, key, inputNames, [
            inputs.Select(t => (JsonNode?)t.ToJson()),
            inputs.Select(t => (JsonNode?)new JsonArray(t.Values.Select(v => (JsonNode?)v).ToArray()).ToJsonString()),
            inputs.Select(t => JsonNode.Parse(t.ToJson())),
        ]);
        Assert.Equal(3, output["Values"]!.AsArray().Count);
        Assert.Equal(outputNames, output["ColumnNames"]!.AsArray().Select(c => (string?)c));
        Assert.All(output["ColumnTypes"]!.AsArray(), t => Assert.Equal("String", (string?)t));
        foreach (var row in output["Values"]!.AsArray())
        {
            for (var k = 0; k < outputNames.Length; k++)
            {
                var cell = JsonNode.Parse((string)row![k]!)!;
                Assert.Equal(references[k].Dims, Shape(cell));
                var actual = Flatten(cell).ToArray();
                var expected = references[k].Values;
                Assert.Equal(expected.Length, actual.Length);
                for (var i = 0; i < expected.Length; i++)
                {
                    Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6 + 1e-5 * Math.Abs(expected[i]), $"{test} {outputNames[k]}[{i}]: {actual[i]:R}, reference {expected[i]:R}");
                }
            }
        }
    }

    private static long[] Shape(JsonNode node) => node is JsonArray array ? [array.Count, .. (array.Count > 0 ? Shape(array[0]!) : [])] : [];

    private static IEnumerable<double> Flatten(JsonNode node) => node is JsonArray array ? array.SelectMany(n => Flatten(n!)) : [(double)node];

    [Fact]
    public async Task AFileThatIsNotAModel_GetsError0082_NothingIsSaved_AndStudioGoesOnServing()
    {
        // A service scoring an ONNX model, published first.
        var add = await ImportAsync("add", await File.ReadAllBytesAsync(Path.Combine(NodeModels, "test_add", "model.onnx")));
        var x = TensorProto.Read(Path.Combine(NodeModels, "test_add", "test_data_set_0", "input_0.pb")).ToJson();
        await UploadDatasetAsync("add inputs", $"x,y\n{CsvCell(x)},{CsvCell(x)}\n");
        var (endpoint, key, _) = await _host.PublishAsync(ScoringExperiment("add", "add inputs", "add"));

        byte[][] notModels = [Encoding.UTF8.GetBytes("this is not a model"), [0x08, 0x07, 0x12, 0x04, 0x74, 0x65], []];
        foreach (var bytes in notModels)
        {
            using var response = await UploadModelAsync("not a model", bytes);
            var error = await StudioAssert.ErrorAsync(response, 400, "ModuleExecutionError", "ModuleExecutionError");
            var detail = error["error"]!["details"]![0]!;
            Assert.StartsWith("Error 0082: Model could not be deserialized", (string?)detail["message"]);
            Assert.Equal("Import ONNX model", (string?)detail["target"]);
            Assert.DoesNotContain(_host.DataDirectory, (string?)detail["message"]); // where Studio keeps its files is not the client's business
        }

        // Larger than Tollgate:Studio:MaxOnnxModelBytes: 413, as an RRS body over its limit.
        using (var large = await UploadModelAsync("too large", new byte[MaxOnnxBytes + 1]))
        {
            var error = await StudioAssert.ErrorAsync(large, 413, "MemoryQuotaViolation", "RequestBodyTooLarge");
            Assert.Contains("MaxOnnxModelBytes", (string?)error["error"]!["details"]![0]!["message"]);
        }

        var models = (await _host.OkAsync(HttpMethod.Get, "/studio/trainedmodels"))["value"]!.AsArray();
        Assert.Equal(["add"], models.Select(m => (string?)m!["name"]));
        var stored = Directory.GetFiles(Path.Combine(_host.DataDirectory, "studio", "models"), "*", SearchOption.AllDirectories);
        Assert.Equal([Path.Combine(_host.DataDirectory, "studio", "models", (string)add["id"]!, "model.onnx")], stored);
        using (var missing = await StudioHost.SendAsync(_host.Studio, HttpMethod.Get, "/studio/trainedmodels/not%20a%20model", null))
        {
            await StudioAssert.ErrorAsync(missing, 404, "NotFound");
        }

        var output = await ExecuteAsync(endpoint, key, ["x", "y"], [[x, x]]);
        Assert.Equal(["sum"], output["ColumnNames"]!.AsArray().Select(c => (string?)c));
    }

    [Fact]
    public async Task AModelWhoseInputsMatchNoColumn_GetsError0001NamingThem_InTheRunAndOnPublish_AndStudioGoesOnServing()
    {
        await ImportAsync("matmul", await File.ReadAllBytesAsync(Path.Combine(NodeModels, "test_matmul_2d", "model.onnx")));
        await UploadDatasetAsync("other columns", "p,q\n1,2\n");
        var experiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", ScoringExperiment("mismatch", "other columns", "matmul"));

        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");
        Assert.Equal("Failed", (string?)run["status"]);
        var score = run["modules"]!.AsArray().Single(m => (string?)m!["id"] == "score")!;
        Assert.Equal("Failed", (string?)score["status"]);
        var message = (string)score["error"]!["message"]!;
        Assert.StartsWith("Error 0001: Cannot find one or more specified columns of the dataset: a, b", message);
        Assert.Contains("float[3,4], float[4,3]", message);

        using (var publish = await StudioHost.SendAsync(_host.Studio, HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/publish", "{}"))
        {
            var error = await StudioAssert.ErrorAsync(publish, 400, "ModuleExecutionError");
            Assert.Contains("Error 0001", error.ToJsonString());
        }

        // One input matches, the other does not: only the missing one is named.
        await UploadDatasetAsync("half", "a,q\n\"[1,2,3,4,5,6,7,8,9,10,11,12]\",2\n");
        var half = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", ScoringExperiment("half", "half", "matmul"));
        run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)half["id"]!}/run");
        Assert.StartsWith("Error 0001: Cannot find one or more specified columns of the dataset: b (",
            (string?)run["modules"]!.AsArray().Single(m => (string?)m!["id"] == "score")!["error"]!["message"]);

        // Studio goes on: the same model with matching columns publishes and scores.
        var identity = "[[1,0,0],[0,1,0],[0,0,1],[0,0,0]]";
        await UploadDatasetAsync("matching", $"a,b\n\"[1,2,3,4,5,6,7,8,9,10,11,12]\",{CsvCell(identity)}\n");
        var (endpoint, key, _) = await _host.PublishAsync(ScoringExperiment("matching", "matching", "matmul"));
        var output = await ExecuteAsync(endpoint, key, ["a", "b"], [["[1,2,3,4,5,6,7,8,9,10,11,12]", identity]]);
        Assert.Equal("[[1,2,3],[5,6,7],[9,10,11]]", (string?)output["Values"]![0]![0]);

        // A cell of the wrong shape is the module's error through RRS, and the next call scores.
        using (var bad = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(endpoint) + "/execute?api-version=2.0", key,
            """{"Inputs":{"input1":{"ColumnNames":["a","b"],"Values":[["[1,2,3]","[[1,0,0],[0,1,0],[0,0,1],[0,0,0]]"]]}}}"""))
        {
            var error = await StudioAssert.ErrorAsync(bad, 400, "ModuleExecutionError", "ModuleExecutionError");
            Assert.StartsWith("Error 0018", (string?)error["error"]!["details"]![0]!["message"]);
            Assert.Contains("float[3,4]", (string?)error["error"]!["details"]![0]!["message"]);
        }

        output = await ExecuteAsync(endpoint, key, ["a", "b"], [["[1,2,3,4,5,6,7,8,9,10,11,12]", identity]]);
        Assert.Equal("[[1,2,3],[5,6,7],[9,10,11]]", (string?)output["Values"]![0]![0]);
    }

    [Fact]
    public async Task AnOnnxService_ScoresABlobThroughBes_AsRrsDoes()
    {
        var (azurite, container) = await AzuriteContainer.StartAsync();
        await using var _ = azurite;
        await using var host = await StudioHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Studio:DefaultStorageConnectionString"] = azurite.ConnectionString });
        var directory = Path.Combine(NodeModels, "test_add");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/studio/trainedmodels?name=add") { Content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(directory, "model.onnx"))) })
        using (var imported = await host.Studio.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        }

        var x = TensorProto.Read(Path.Combine(directory, "test_data_set_0", "input_0.pb"));
        var y = TensorProto.Read(Path.Combine(directory, "test_data_set_0", "input_1.pb"));
        var sum = TensorProto.Read(Path.Combine(directory, "test_data_set_0", "output_0.pb"));
        var zeros = new JsonArray(Enumerable.Repeat(0, 60).Select(v => (JsonNode?)v).ToArray()).ToJsonString();
        var csv = $"x,y\n{CsvCell(x.ToJson())},{CsvCell(y.ToJson())}\n{CsvCell(zeros)},{CsvCell(y.ToJson())}\n";
        using (var upload = await host.Studio.PostAsync("/studio/datasets?name=add%20inputs&format=csv", new StringContent(csv, Encoding.UTF8, "text/csv")))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        }

        var (endpoint, key, _) = await host.PublishAsync(ScoringExperiment("add", "add inputs", "add"));
        await container.GetBlobClient("onnx/input.csv").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(csv)), overwrite: true);
        var blob = (string name) => new JsonObject { ["ConnectionString"] = azurite.ConnectionString, ["RelativeLocation"] = "mycontainer/onnx/" + name };
        var status = await host.RunBatchJobAsync(endpoint, key, new JsonObject { ["input1"] = blob("input.csv") }, new JsonObject { ["output1"] = blob("scored.csv") });
        Assert.True((string?)status["StatusCode"] == "Finished", status.ToJsonString());
        var lines = (await container.GetBlobClient("onnx/scored.csv").DownloadContentAsync()).Value.Content.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("sum", lines[0]);
        var first = Flatten(JsonNode.Parse(UnquoteCsv(lines[1]))!).ToArray();
        Assert.Equal(sum.Values.Length, first.Length);
        Assert.All(first.Zip(sum.Values), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-6 + 1e-5 * Math.Abs(p.Second), $"{p.First:R} vs {p.Second:R}"));
        var second = Flatten(JsonNode.Parse(UnquoteCsv(lines[2]))!).ToArray();
        Assert.Equal(y.Values.Select(v => (float)v), second.Select(v => (float)v)); // 0 + y is y (floats written shortest, exact as floats)
    }

    private static string UnquoteCsv(string cell) =>
        cell.StartsWith('"') && cell.EndsWith('"') ? cell[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : cell;

    [Fact]
    public async Task AnMlNetModel_ExportedToOnnx_AndImportedBack_ScoresThroughRrsAsTheMlNetService()
    {
        const string Census = "Adult Census Income Binary Classification dataset";
        var training = new JsonObject
        {
            ["name"] = "Income",
            ["modules"] = new JsonArray(
                new JsonObject { ["id"] = "data", ["module"] = "Saved dataset", ["parameters"] = new JsonObject { ["Dataset"] = Census } },
                new JsonObject { ["id"] = "learner", ["module"] = "Two-Class Logistic Regression", ["parameters"] = new JsonObject { ["Random number seed"] = 7 } },
                new JsonObject { ["id"] = "train", ["module"] = "Train Model", ["parameters"] = new JsonObject { ["Label column"] = "income" } },
                new JsonObject { ["id"] = "score", ["module"] = "Score Model" }),
            ["connections"] = new JsonArray(
                Link("data", "Dataset", "train", "Dataset"),
                Link("learner", "Untrained model", "train", "Untrained model"),
                Link("train", "Trained model", "score", "Trained model"),
                Link("data", "Dataset", "score", "Dataset")),
        };
        var experiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", training);
        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");
        Assert.Equal("Finished", (string?)run["status"]);
        var modelId = (string)run["modules"]!.AsArray().Single(m => (string?)m!["id"] == "train")!["outputs"]![0]!["trainedModel"]!["id"]!;

        // The trained model lists the slots of the feature vector its ONNX export takes.
        var trained = await _host.OkAsync(HttpMethod.Get, $"/studio/trainedmodels/{modelId}");
        var slots = trained["featureSlots"]!.AsArray().Select(s => (string)s!).ToArray();
        Assert.Contains("age", slots);
        Assert.Contains("workclass=Private", slots);
        Assert.DoesNotContain(slots, s => s.StartsWith("income", StringComparison.Ordinal));

        using var download = await _host.Studio.GetAsync($"/studio/trainedmodels/{modelId}/onnx");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Income__trained_model_.onnx", download.Content.Headers.ContentDisposition?.FileNameStar ?? download.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var onnx = await download.Content.ReadAsByteArrayAsync();

        var imported = await ImportAsync("Income (ONNX)", onnx);
        var input = imported["inputs"]!.AsArray().Single()!;
        Assert.Equal("Features", (string?)input["name"]);
        Assert.Equal($"[null,{slots.Length}]", input["shape"]!.ToJsonString());
        var probability = imported["outputs"]!.AsArray().Select(o => (string)o!["name"]!).Single(n => n.StartsWith("Probability", StringComparison.Ordinal));

        // The ML.NET predictive service and a service of the imported ONNX model, fed the same rows as feature vectors.
        var predictive = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/setUpWebService");
        var dashboard = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)predictive["id"]!}/publish", new JsonObject());
        var (mlEndpoint, mlKey) = ((string)dashboard["defaultEndpoint"]!["id"]!, (string)dashboard["defaultEndpoint"]!["primaryKey"]!);

        string[] columns = ["age", "workclass", "education-num", "marital-status", "sex", "hours-per-week", "income"];
        var random = new Random(11);
        string[] workclasses = ["Private", "Self-emp-not-inc", "Local-gov", "State-gov"], marital = ["Married-civ-spouse", "Never-married", "Divorced"];
        var rows = Enumerable.Range(0, 40).Select(_ => new object?[]
        {
            random.Next(18, 80), workclasses[random.Next(workclasses.Length)], random.Next(1, 17), marital[random.Next(marital.Length)],
            random.Next(2) == 0 ? "Male" : "Female", random.Next(10, 70), null,
        }).ToArray();

        string Features(object?[] row) => new JsonArray(slots.Select(slot =>
        {
            var equals = slot.IndexOf('=', StringComparison.Ordinal);
            var column = Array.IndexOf(columns, equals < 0 ? slot : slot[..equals]);
            return (JsonNode?)(equals < 0 ? Convert.ToDouble(row[column], CultureInfo.InvariantCulture) : Equals(row[column], slot[(equals + 1)..]) ? 1 : 0);
        }).ToArray()).ToJsonString();

        await UploadDatasetAsync("income features", "Features\n" + CsvCell(Features(rows[0])) + "\n");
        var (onnxEndpoint, onnxKey, _) = await _host.PublishAsync(ScoringExperiment("Income (ONNX)", "income features", "Income (ONNX)"));

        var mlNet = await ExecuteAsync(mlEndpoint, mlKey, columns, rows.Select(r => r.Select(v => v switch { null => null, int i => (JsonNode?)i, _ => (JsonNode?)(string)v })));
        var viaOnnx = await ExecuteAsync(onnxEndpoint, onnxKey, ["Features"], rows.Select(r => new JsonNode?[] { Features(r) }));
        var expectedColumn = mlNet["ColumnNames"]!.AsArray().Select(c => (string?)c).ToList().IndexOf("Scored Probabilities");
        var actualColumn = viaOnnx["ColumnNames"]!.AsArray().Select(c => (string?)c).ToList().IndexOf(probability);
        Assert.Equal("Double", (string?)viaOnnx["ColumnTypes"]![actualColumn]);
        for (var r = 0; r < rows.Length; r++)
        {
            var expected = double.Parse((string)mlNet["Values"]![r]![expectedColumn]!, CultureInfo.InvariantCulture);
            var actual = double.Parse((string)viaOnnx["Values"]![r]![actualColumn]!, CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(expected - actual) <= 1e-6, $"row {r}: ML.NET {expected:R}, ONNX {actual:R}");
        }

        // An imported model downloads as the very file it was imported from.
        var again = await _host.Studio.GetByteArrayAsync($"/studio/trainedmodels/{(string)imported["id"]!}/onnx");
        Assert.Equal(onnx, again);
    }
}

/// <summary>
/// Reads ONNX's TensorProto (the <c>.pb</c> files of ONNX's test data): dims (1), data_type (2), float_data (4), int32_data
/// (5), int64_data (7), name (8), raw_data (9), double_data (10); the values as doubles.
/// </summary>
internal sealed record TensorProto(string Name, int DataType, long[] Dims, double[] Values)
{
    public static TensorProto Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var position = 0;
        ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = bytes[position++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }

        var dims = new List<long>();
        var values = new List<double>();
        var name = "";
        var type = 0;
        byte[]? raw = null;
        while (position < bytes.Length)
        {
            var key = Varint();
            var (field, wire) = ((int)(key >> 3), (int)(key & 7));
            if (wire == 2)
            {
                var length = (int)Varint();
                var payload = bytes.AsSpan(position, length);
                position += length;
                switch (field)
                {
                    case 1 or 5 or 7:
                        // Packed repeated varints.
                        var packed = payload.ToArray();
                        var p = 0;
                        while (p < packed.Length)
                        {
                            ulong v = 0;
                            for (var shift = 0; ; shift += 7)
                            {
                                var b = packed[p++];
                                v |= (ulong)(b & 0x7f) << shift;
                                if (b < 0x80)
                                {
                                    break;
                                }
                            }

                            if (field == 1)
                            {
                                dims.Add((long)v);
                            }
                            else
                            {
                                values.Add(field == 5 ? (int)v : (long)v);
                            }
                        }

                        break;
                    case 4:
                        for (var i = 0; i < payload.Length; i += 4)
                        {
                            values.Add(BitConverter.ToSingle(payload[i..(i + 4)]));
                        }

                        break;
                    case 10:
                        for (var i = 0; i < payload.Length; i += 8)
                        {
                            values.Add(BitConverter.ToDouble(payload[i..(i + 8)]));
                        }

                        break;
                    case 8:
                        name = Encoding.UTF8.GetString(payload);
                        break;
                    case 9:
                        raw = payload.ToArray();
                        break;
                }
            }
            else if (wire == 0)
            {
                var v = Varint();
                switch (field)
                {
                    case 1:
                        dims.Add((long)v);
                        break;
                    case 2:
                        type = (int)v;
                        break;
                    case 5:
                        values.Add((int)v);
                        break;
                    case 7:
                        values.Add((long)v);
                        break;
                }
            }
            else if (wire == 5)
            {
                if (field == 4)
                {
                    values.Add(BitConverter.ToSingle(bytes, position));
                }

                position += 4;
            }
            else if (wire == 1)
            {
                if (field == 10)
                {
                    values.Add(BitConverter.ToDouble(bytes, position));
                }

                position += 8;
            }
            else
            {
                throw new InvalidDataException($"{path}: wire type {wire} at byte {position}");
            }
        }

        if (raw is not null)
        {
            // Little-endian, as ONNX stores raw_data: FLOAT = 1, INT32 = 6, INT64 = 7, DOUBLE = 11.
            values = type switch
            {
                1 => Enumerable.Range(0, raw.Length / 4).Select(i => (double)BitConverter.ToSingle(raw, i * 4)).ToList(),
                6 => Enumerable.Range(0, raw.Length / 4).Select(i => (double)BitConverter.ToInt32(raw, i * 4)).ToList(),
                7 => Enumerable.Range(0, raw.Length / 8).Select(i => (double)BitConverter.ToInt64(raw, i * 8)).ToList(),
                11 => Enumerable.Range(0, raw.Length / 8).Select(i => BitConverter.ToDouble(raw, i * 8)).ToList(),
                _ => throw new InvalidDataException($"{path}: raw data of type {type}"),
            };
        }

        return new TensorProto(name, type, dims.ToArray(), values.ToArray());
    }

    /// <summary>The values as a JSON array nested as <see cref="Dims"/> (floats in their shortest round-trip form).</summary>
    public string ToJson()
    {
        var index = 0;
        JsonNode Build(int depth) => depth == Dims.Length
            ? JsonValue.Create(Values[index++])
            : new JsonArray(Enumerable.Range(0, (int)Dims[depth]).Select(_ => (JsonNode?)Build(depth + 1)).ToArray());
        return Build(0).ToJsonString();
    }
}
