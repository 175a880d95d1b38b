using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>
/// Studio's learners in experiments over HTTP: the module catalogue, named and typed ports, a training experiment
/// (Split Data → Two-Class Logistic Regression + Train Model → Score Model → Evaluate Model) on the census sample, Set Up
/// Web Service, and the published predictive service through RRS and BES (a real Azurite).
/// </summary>
public sealed class StudioLearningTests : IAsyncLifetime
{
    private const string Census = "Adult Census Income Binary Classification dataset";
    private AzuriteServer _azurite = null!;
    private BlobContainerClient _container = null!;
    private StudioHost _host = null!;

    public async Task InitializeAsync()
    {
        (_azurite, _container) = await AzuriteContainer.StartAsync();
        _host = await StudioHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Studio:DefaultStorageConnectionString"] = _azurite.ConnectionString });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    private static JsonObject End(string module, string port) => new() { ["module"] = module, ["port"] = port };

    private static JsonObject Link(string from, string fromPort, string to, string toPort) => new() { ["from"] = End(from, fromPort), ["to"] = End(to, toPort) };

    /// <summary>The classic training experiment: 70 % to train, 30 % scored and evaluated.</summary>
    private static JsonObject TrainingExperiment(string name = "Income prediction") => new()
    {
        ["name"] = name,
        ["modules"] = new JsonArray(
            new JsonObject { ["id"] = "data", ["module"] = "Saved dataset", ["parameters"] = new JsonObject { ["Dataset"] = Census } },
            new JsonObject
            {
                ["id"] = "split", ["module"] = "Split Data",
                ["parameters"] = new JsonObject { ["Fraction of rows in the first output dataset"] = 0.7, ["Random seed"] = 42 },
            },
            new JsonObject { ["id"] = "learner", ["module"] = "Two-Class Logistic Regression", ["parameters"] = new JsonObject { ["Random number seed"] = 7 } },
            new JsonObject { ["id"] = "train", ["module"] = "Train Model", ["parameters"] = new JsonObject { ["Label column"] = "income" } },
            new JsonObject { ["id"] = "score", ["module"] = "Score Model" },
            new JsonObject { ["id"] = "evaluate", ["module"] = "Evaluate Model" }),
        ["connections"] = new JsonArray(
            new JsonObject { ["from"] = "data", ["to"] = "split" },
            Link("split", "Results dataset1", "train", "Dataset"),
            Link("learner", "Untrained model", "train", "Untrained model"),
            Link("train", "Trained model", "score", "Trained model"),
            Link("split", "Results dataset2", "score", "Dataset"),
            Link("score", "Scored dataset", "evaluate", "Scored dataset")),
    };

    private async Task<(string ExperimentId, JsonNode Run)> TrainAsync(string name = "Income prediction")
    {
        var experiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", TrainingExperiment(name));
        var id = (string)experiment["id"]!;
        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{id}/run");
        Assert.True((string?)run["status"] == "Finished", run.ToJsonString());
        return (id, run);
    }

    private static JsonNode Module(JsonNode run, string id) => run["modules"]!.AsArray().Single(m => (string?)m!["id"] == id)!;

    private static JsonNode Output(JsonNode run, string id, string port) => Module(run, id)["outputs"]!.AsArray().Single(o => (string?)o!["port"] == port)!;

    private async Task<(string Endpoint, string Key, JsonNode Predictive)> PublishPredictiveAsync()
    {
        var (experimentId, _) = await TrainAsync();
        var predictive = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{experimentId}/setUpWebService");
        var dashboard = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)predictive["id"]!}/publish", new JsonObject());
        return ((string)dashboard["defaultEndpoint"]!["id"]!, (string)dashboard["defaultEndpoint"]!["primaryKey"]!, predictive);
    }

    [Fact]
    public async Task ModuleCatalogue_ListsEveryModule_WithCategoryParametersAndTypedPorts()
    {
        var catalogue = await _host.OkAsync(HttpMethod.Get, "/studio/modules");
        var modules = catalogue["value"]!.AsArray().ToDictionary(m => (string)m!["name"]!, m => m!);
        Assert.Equal(["DataTable", "UntrainedModel", "TrainedModel", "ITransform"], catalogue["portTypes"]!.AsArray().Select(t => (string?)t!["name"]));

        static string[] Ports(JsonNode module, string direction) =>
            module[direction]!.AsArray().Select(p => $"{(string?)p!["name"]}:{(string?)p["type"]}").ToArray();

        Assert.Equal(["Untrained model:UntrainedModel", "Dataset:DataTable"], Ports(modules["Train Model"], "inputs"));
        Assert.Equal(["Trained model:TrainedModel"], Ports(modules["Train Model"], "outputs"));
        Assert.Equal(["Trained model:TrainedModel", "Dataset:DataTable"], Ports(modules["Score Model"], "inputs"));
        Assert.Equal(["Scored dataset:DataTable"], Ports(modules["Score Model"], "outputs"));
        Assert.Equal(["Scored dataset:DataTable", "Scored dataset to compare:DataTable"], Ports(modules["Evaluate Model"], "inputs"));
        Assert.Equal(["Evaluation results:DataTable"], Ports(modules["Evaluate Model"], "outputs"));
        Assert.Equal(["Results dataset1:DataTable", "Results dataset2:DataTable"], Ports(modules["Split Data"], "outputs"));
        Assert.Equal(["Untrained model:UntrainedModel", "Dataset:DataTable"], Ports(modules["Cross Validate Model"], "inputs"));
        Assert.Equal(["Scored results:DataTable", "Evaluation results by fold:DataTable"], Ports(modules["Cross Validate Model"], "outputs"));
        Assert.Equal(["Untrained model:UntrainedModel", "Training dataset:DataTable", "Optional validation dataset:DataTable"], Ports(modules["Tune Model Hyperparameters"], "inputs"));
        Assert.Equal(["Sweep results:DataTable", "Trained best model:TrainedModel"], Ports(modules["Tune Model Hyperparameters"], "outputs"));
        Assert.Equal(["Trained model:TrainedModel", "Test data:DataTable"], Ports(modules["Permutation Feature Importance"], "inputs"));
        Assert.Equal(["Feature importance:DataTable"], Ports(modules["Permutation Feature Importance"], "outputs"));
        Assert.Equal("Feature Selection", (string?)modules["Permutation Feature Importance"]["category"]);
        Assert.Equal(["Cleaned dataset:DataTable", "Cleaning transformation:ITransform"], Ports(modules["Clean Missing Data"], "outputs"));
        Assert.Empty(modules["Two-Class Logistic Regression"]["inputs"]!.AsArray());
        Assert.Equal("Machine Learning / Initialize Model / Classification", (string?)modules["Two-Class Logistic Regression"]["category"]);

        var tolerance = modules["Two-Class Logistic Regression"]["parameters"]!.AsArray().Single(p => (string?)p!["name"] == "Optimization tolerance")!;
        Assert.Equal(("Double", 1e-7, 0, true), ((string?)tolerance["type"], (double)tolerance["default"]!, (int)tolerance["min"]!, (bool)tolerance["minExclusive"]!));
        var fraction = modules["Split Data"]["parameters"]!.AsArray().Single(p => (string?)p!["name"] == "Fraction of rows in the first output dataset")!;
        Assert.Equal((0.5, 0, 1), ((double)fraction["default"]!, (int)fraction["min"]!, (int)fraction["max"]!));
        var target = modules["Feature Hashing"]["parameters"]!.AsArray().Single(p => (string?)p!["name"] == "Target columns")!;
        Assert.Equal("""[{"rule":"types","types":["String"]}]""", target["default"]!.ToJsonString());
        var mode = modules["Clean Missing Data"]["parameters"]!.AsArray().Single(p => (string?)p!["name"] == "Cleaning mode")!;
        Assert.Contains("Replace with median", mode["values"]!.AsArray().Select(v => (string?)v));

        var one = await _host.OkAsync(HttpMethod.Get, "/studio/modules/train%20model");
        Assert.Equal("Train Model", (string?)one["name"]);
        using var missing = await StudioHost.SendAsync(_host.Studio, HttpMethod.Get, "/studio/modules/Two-Class%20Neural%20Network", null);
        await StudioAssert.ErrorAsync(missing, 404, "NotFound");
    }

    [Fact]
    public async Task Connections_AreCheckedForPortNamesAndTypes_WithAnErrorNamingTheConnection()
    {
        async Task<JsonNode> RefusedAsync(JsonObject graph)
        {
            using var response = await StudioHost.SendAsync(_host.Studio, HttpMethod.Post, "/studio/experiments", graph.ToJsonString());
            return await StudioAssert.ErrorAsync(response, 400, "BadArgument", "InvalidExperimentGraph");
        }

        // The learner's untrained model cannot go where Score Model takes a trained one.
        var wrongType = TrainingExperiment();
        wrongType["connections"]!.AsArray()[3] = Link("learner", "Untrained model", "score", "Trained model");
        var error = await RefusedAsync(wrongType);
        var detail = error["error"]!["details"]![0]!;
        Assert.Equal("connections[3]", (string?)detail["target"]);
        Assert.Contains("'learner'.'Untrained model' → 'score'.'Trained model'", (string?)detail["message"]);
        Assert.Contains("UntrainedModel", (string?)detail["message"]);

        // The short form cannot choose between Train Model's two inputs.
        var ambiguous = TrainingExperiment();
        ambiguous["connections"]!.AsArray()[2] = new JsonObject { ["from"] = "learner", ["to"] = "train" };
        detail = (await RefusedAsync(ambiguous))["error"]!["details"]![0]!;
        Assert.Equal("connections[2].toPort", (string?)detail["target"]);
        Assert.Contains("has 2 input ports ('Untrained model', 'Dataset')", (string?)detail["message"]);

        // An unknown port is named with the module's ports.
        var unknown = TrainingExperiment();
        unknown["connections"]!.AsArray()[1] = Link("split", "Results dataset3", "train", "Dataset");
        detail = (await RefusedAsync(unknown))["error"]!["details"]![0]!;
        Assert.Equal("connections[1].from.port", (string?)detail["target"]);
        Assert.Contains("'Results dataset1', 'Results dataset2'", (string?)detail["message"]);

        // Two datasets into one port.
        var twice = TrainingExperiment();
        twice["connections"]!.AsArray().Add(Link("split", "Results dataset2", "train", "Dataset"));
        Assert.Contains("already has a connection", (string?)(await RefusedAsync(twice))["error"]!["details"]![0]!["message"]);

        // The older short form names a port with toPort/fromPort.
        var older = TrainingExperiment();
        older["connections"]!.AsArray()[2] = new JsonObject { ["from"] = "learner", ["to"] = "train", ["toPort"] = "untrained model" };
        var accepted = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", older);
        Assert.Equal("""{"from":{"module":"learner","port":"Untrained model"},"to":{"module":"train","port":"Untrained model"}}""",
            accepted["graph"]!["connections"]![2]!.ToJsonString());

        // A stored experiment reads back in the named form.
        var stored = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", TrainingExperiment());
        Assert.Equal("""{"from":{"module":"data","port":"Dataset"},"to":{"module":"split","port":"Dataset"}}""", stored["graph"]!["connections"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task TrainingExperiment_SplitsTrainsScoresAndEvaluates_AndVisualizesTheEvaluation()
    {
        var (experimentId, run) = await TrainAsync();

        Assert.All(run["modules"]!.AsArray(), m => Assert.Equal("Finished", (string?)m!["status"]));
        Assert.Equal(1400, (int)Output(run, "split", "Results dataset1")["rowCount"]!);
        Assert.Equal(600, (int)Output(run, "split", "Results dataset2")["rowCount"]!);
        Assert.Equal("Two-Class Logistic Regression", (string?)Output(run, "learner", "Untrained model")["learner"]);
        var trained = Output(run, "train", "Trained model");
        Assert.Equal("TrainedModel", (string?)trained["type"]);
        Assert.Equal("income", (string?)trained["label"]);
        Assert.Equal("Income prediction [trained model]", (string?)trained["trainedModel"]!["name"]);

        var scored = Output(run, "score", "Scored dataset");
        Assert.Equal(600, (int)scored["rowCount"]!);
        var names = scored["columns"]!.AsArray().Select(c => (string?)c!["name"]).ToArray();
        Assert.Equal(new string?[] { "age", "workclass", "education-num", "marital-status", "sex", "hours-per-week", "income", "Scored Labels", "Scored Probabilities" }, names);
        foreach (var row in scored["rows"]!.AsArray())
        {
            var probability = double.Parse((string)row![8]!, CultureInfo.InvariantCulture);
            Assert.InRange(probability, 0, 1);
            Assert.Equal(probability > 0.5 ? ">50K" : "<=50K", (string?)row[7]);
        }

        // Evaluate Model: one row of metrics, consistent with its own confusion matrix; Visualize adds the curves.
        var evaluation = Output(run, "evaluate", "Evaluation results");
        Assert.Equal(1, (int)evaluation["rowCount"]!);
        var metricNames = evaluation["columns"]!.AsArray().Select(c => (string)c!["name"]!).ToArray();
        var metricRow = evaluation["rows"]![0]!.AsArray().Select(v => (string?)v).ToArray();
        double Metric(string name) => double.Parse(metricRow[Array.IndexOf(metricNames, name)]!, CultureInfo.InvariantCulture);
        var (tp, fn, fp, tn) = (Metric("True Positive"), Metric("False Negative"), Metric("False Positive"), Metric("True Negative"));
        Assert.Equal(600, tp + fn + fp + tn);
        Assert.Equal((tp + tn) / 600, Metric("Accuracy"), 12);
        Assert.Equal(tp / (tp + fp), Metric("Precision"), 12);
        Assert.Equal(tp / (tp + fn), Metric("Recall"), 12);
        Assert.InRange(Metric("AUC"), 0.7, 0.99); // a real but imperfect signal
        Assert.Equal(">50K", metricRow[Array.IndexOf(metricNames, "Positive Label")]);

        var visualized = await _host.OkAsync(HttpMethod.Get, $"/studio/runs/{(string)run["id"]!}/modules/evaluate/outputs/Evaluation%20results");
        var view = visualized["visualization"]![0]!;
        Assert.Equal("TwoClass", (string?)view["kind"]);
        Assert.Equal(Metric("AUC"), (double)view["metrics"]!["AUC"]!, 12);
        var roc = view["rocCurve"]!.AsArray();
        Assert.InRange(roc.Count, 2, 101);
        Assert.All(roc, p => Assert.InRange((double)p!["truePositiveRate"]!, 0, 1));
        Assert.NotEmpty(view["precisionRecallCurve"]!.AsArray());

        // Trained with a seed: a second run gives the same model, saved as a new version of the same name.
        var again = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{experimentId}/run");
        Assert.Equal(evaluation["rows"]!.ToJsonString(), Output(again, "evaluate", "Evaluation results")["rows"]!.ToJsonString());
        var models = (await _host.OkAsync(HttpMethod.Get, "/studio/trainedmodels"))["value"]!.AsArray();
        Assert.Equal(2, models.Count(m => (string?)m!["name"] == "Income prediction [trained model]"));
        Assert.Equal((string?)again["id"], (string?)models[0]!["runId"]);
    }

    [Fact]
    public async Task CrossValidateTuneAndPermutationFeatureImportance_RunBesideTrainModel_AndTheTunedModelIsSavedUnderItsOwnName()
    {
        var graph = TrainingExperiment("Income tuning");
        graph["modules"]!.AsArray().Add(new JsonObject { ["id"] = "cv", ["module"] = "Cross Validate Model", ["parameters"] = new JsonObject { ["Label column"] = "income" } });
        graph["modules"]!.AsArray().Add(new JsonObject
        {
            ["id"] = "tune", ["module"] = "Tune Model Hyperparameters",
            ["parameters"] = new JsonObject { ["Label column"] = "income", ["Maximum number of runs on random sweep"] = 2, ["Metric for measuring performance for classification"] = "AUC" },
        });
        graph["modules"]!.AsArray().Add(new JsonObject { ["id"] = "pfi", ["module"] = "Permutation Feature Importance", ["parameters"] = new JsonObject { ["Random seed"] = 3 } });
        foreach (var link in new[]
        {
            Link("learner", "Untrained model", "cv", "Untrained model"), Link("split", "Results dataset1", "cv", "Dataset"),
            Link("learner", "Untrained model", "tune", "Untrained model"), Link("split", "Results dataset1", "tune", "Training dataset"),
            Link("split", "Results dataset2", "tune", "Optional validation dataset"),
            Link("tune", "Trained best model", "pfi", "Trained model"), Link("split", "Results dataset2", "pfi", "Test data"),
        })
        {
            graph["connections"]!.AsArray().Add(link);
        }

        var experiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", graph);
        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");

        Assert.True((string?)run["status"] == "Finished", run.ToJsonString());
        Assert.Equal(1400, (int)Output(run, "cv", "Scored results")["rowCount"]!);
        Assert.Equal("Fold Assignments", (string?)Output(run, "cv", "Scored results")["columns"]![0]!["name"]);
        Assert.Equal(12, (int)Output(run, "cv", "Evaluation results by fold")["rowCount"]!);
        Assert.Equal(2, (int)Output(run, "tune", "Sweep results")["rowCount"]!);
        Assert.Equal("Income tuning [trained model: tune]", (string?)Output(run, "tune", "Trained best model")["trainedModel"]!["name"]);
        Assert.Equal("Income tuning [trained model: train]", (string?)Output(run, "train", "Trained model")["trainedModel"]!["name"]);
        var importance = Output(run, "pfi", "Feature importance");
        Assert.Equal(6, (int)importance["rowCount"]!); // one row per feature column of the census sample
        Assert.Equal(["Feature", "Score"], importance["columns"]!.AsArray().Select(c => (string?)c!["name"]));
    }

    [Fact]
    public async Task ALearnerThatFails_ReportsItsModuleError_AndWhatFollowsDoesNotRun()
    {
        var graph = TrainingExperiment();
        graph["modules"]!.AsArray()[3]!["parameters"]!["Label column"] = "no such column";
        var experiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", graph);
        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");

        Assert.Equal("Failed", (string?)run["status"]);
        Assert.Equal("Failed", (string?)Module(run, "train")["status"]);
        Assert.StartsWith("Error 0001", (string?)Module(run, "train")["error"]!["message"]);
        Assert.Equal("NotRun", (string?)Module(run, "score")["status"]);
        Assert.Equal("NotRun", (string?)Module(run, "evaluate")["status"]);
        Assert.Equal("Finished", (string?)Module(run, "split")["status"]);

        // Without a trained model there is nothing to set up.
        using var setUp = await StudioHost.SendAsync(_host.Studio, HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/setUpWebService", null);
        var error = await StudioAssert.ErrorAsync(setUp, 400, "BadArgument", "InvalidExperimentGraph");
        Assert.Contains("run the experiment successfully first", (string?)error["error"]!["details"]![0]!["message"]);
    }

    [Fact]
    public async Task ALearnerOnAnEmptySplit_GetsError0003()
    {
        var graph = TrainingExperiment();
        graph["modules"]!.AsArray()[1]!["parameters"]!["Fraction of rows in the first output dataset"] = 0.0;
        var experiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", graph);
        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");

        Assert.Equal(0, (int)Output(run, "split", "Results dataset1")["rowCount"]!);
        Assert.Equal("Failed", (string?)Module(run, "train")["status"]);
        Assert.StartsWith("Error 0003", (string?)Module(run, "train")["error"]!["message"]);
        Assert.Equal("NotRun", (string?)Module(run, "evaluate")["status"]);
    }

    [Fact]
    public async Task SetUpWebService_PublishesTheTrainedModel_AndRrsReturnsTheClassicScoreColumns()
    {
        var (endpoint, key, predictive) = await PublishPredictiveAsync();

        Assert.Equal("Income prediction [Predictive Exp.]", (string?)predictive["name"]);
        var modules = predictive["graph"]!["modules"]!.AsArray().ToDictionary(m => (string)m!["id"]!, m => (string)m!["module"]!);
        Assert.Equal("Trained model", modules["train"]);
        Assert.DoesNotContain("learner", modules.Keys);
        Assert.DoesNotContain("evaluate", modules.Keys);
        Assert.Equal("Web service input", modules["webServiceInput"]);
        Assert.Equal("Web service output", modules["webServiceOutput"]);

        var body = """
            {"Inputs":{"input1":{"ColumnNames":["age","workclass","education-num","marital-status","sex","hours-per-week","income"],
              "Values":[[52,"Self-emp-not-inc",15,"Married-civ-spouse","Male",60,null],[19,"Private",7,"Never-married","Female",20,null]]}},
             "GlobalParameters":{}}
            """;
        using var response = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(endpoint) + "/execute?api-version=2.0&details=true", key, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var output = JsonNode.Parse(text)!["Results"]!["output1"]!["value"]!;
        Assert.Equal(["age", "workclass", "education-num", "marital-status", "sex", "hours-per-week", "income", "Scored Labels", "Scored Probabilities"],
            output["ColumnNames"]!.AsArray().Select(c => (string?)c));
        Assert.Equal("Double", (string?)output["ColumnTypes"]![8]);
        var rows = output["Values"]!.AsArray();
        var senior = double.Parse((string)rows[0]![8]!, CultureInfo.InvariantCulture);
        var junior = double.Parse((string)rows[1]![8]!, CultureInfo.InvariantCulture);
        Assert.True(senior > 0.5 && junior < 0.5, text); // the census's signal: education, hours and marriage raise income
        Assert.Equal([">50K", "<=50K"], rows.Select(r => (string?)r![7]));

        // The swagger document describes the score columns.
        using (var swagger = await _host.Client.GetAsync(_host.ServicePath(endpoint) + "/swagger.json"))
        {
            var document = JsonNode.Parse(await swagger.Content.ReadAsStringAsync())!;
            Assert.Equal("number", (string?)document["definitions"]!["output1Item"]!["properties"]!["Scored Probabilities"]!["type"]);
        }

        // A request without a feature column gets the protocol's error; the service goes on serving.
        using (var bad = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(endpoint) + "/execute?api-version=2.0", key,
            """{"Inputs":{"input1":{"ColumnNames":["age"],"Values":[[30]]}}}"""))
        {
            var error = await StudioAssert.ErrorAsync(bad, 400, "BadUserArgument", "InputMismatchError");
            Assert.Contains("'workclass'", (string?)error["error"]!["details"]![0]!["message"]);
        }

        using var again = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(endpoint) + "/execute?api-version=2.0", key, body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(senior.ToString("R", CultureInfo.InvariantCulture), (string?)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["Results"]!["output1"]!["value"]!["Values"]![0]![8]);
    }

    [Fact]
    public async Task RetrainingTheExperiment_DoesNotChangeAPublishedService()
    {
        var (endpoint, key, _) = await PublishPredictiveAsync();
        const string Body = """{"Inputs":{"input1":[{"age":40,"workclass":"Private","education-num":10,"marital-status":"Divorced","sex":"Male","hours-per-week":45,"income":null}]}}""";
        async Task<string> ScoreAsync()
        {
            using var response = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(endpoint) + "/execute?api-version=2.0&format=swagger", key, Body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            return (string)JsonNode.Parse(text)!["Results"]!["output1"]![0]!["Scored Probabilities"]!;
        }

        var before = await ScoreAsync();

        // The training experiment changes (another seed and fraction) and runs again: a new version of the model.
        var experiments = (await _host.OkAsync(HttpMethod.Get, "/studio/experiments"))["value"]!.AsArray();
        var training = experiments.Single(e => (string?)e!["name"] == "Income prediction")!;
        var changed = TrainingExperiment();
        changed["modules"]![1]!["parameters"]!["Fraction of rows in the first output dataset"] = 0.3;
        await _host.OkAsync(HttpMethod.Put, $"/studio/experiments/{(string)training["id"]!}", changed);
        await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)training["id"]!}/run");

        Assert.Equal(before, await ScoreAsync());
    }

    [Fact]
    public async Task PublishedPredictiveExperiment_ScoresABlobThroughBes_AsRrsDoes()
    {
        var (endpoint, key, _) = await PublishPredictiveAsync();
        var csv = new StringBuilder("age,workclass,education-num,marital-status,sex,hours-per-week,income\n");
        for (var i = 0; i < 500; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{20 + (i % 50)},Private,{1 + (i % 16)},{(i % 3 == 0 ? "Married-civ-spouse" : "Never-married")},Male,{20 + (i % 40)},\n");
        }

        await _container.GetBlobClient("census/input.csv").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(csv.ToString())), overwrite: true);
        var reference = new JsonObject { ["ConnectionString"] = _azurite.ConnectionString, ["RelativeLocation"] = "mycontainer/census/input.csv" };
        var output = new JsonObject { ["ConnectionString"] = _azurite.ConnectionString, ["RelativeLocation"] = "mycontainer/census/scored.csv" };
        var status = await _host.RunBatchJobAsync(endpoint, key, new JsonObject { ["input1"] = reference }, new JsonObject { ["output1"] = output });
        Assert.True((string?)status["StatusCode"] == "Finished", status.ToJsonString());
        var scored = (await _container.GetBlobClient("census/scored.csv").DownloadContentAsync()).Value.Content.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal("age,workclass,education-num,marital-status,sex,hours-per-week,income,Scored Labels,Scored Probabilities", scored[0]);
        Assert.Equal(501, scored.Length);

        // Row 17 through RRS gives the same scores.
        var fields = scored[17].Split(',');
        var rrsBody = new JsonObject
        {
            ["Inputs"] = new JsonObject
            {
                ["input1"] = new JsonObject
                {
                    ["ColumnNames"] = new JsonArray("age", "workclass", "education-num", "marital-status", "sex", "hours-per-week", "income"),
                    ["Values"] = new JsonArray(new JsonArray(fields[..6].Select(f => (JsonNode?)f).Append(null).ToArray())),
                },
            },
        };
        using var rrs = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(endpoint) + "/execute?api-version=2.0", key, rrsBody.ToJsonString());
        var values = JsonNode.Parse(await rrs.Content.ReadAsStringAsync())!["Results"]!["output1"]!["value"]!["Values"]![0]!;
        Assert.Equal(fields[7], (string?)values[7]);
        Assert.Equal(double.Parse(fields[8], CultureInfo.InvariantCulture), double.Parse((string)values[8]!, CultureInfo.InvariantCulture));
    }
}
