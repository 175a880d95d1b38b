using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Studio.WebServices;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>
/// Retraining as in Studio (classic), over a real Azurite: a training experiment published as a web service (Train
/// Model's output on a Web service output) whose BES job writes the model as an <c>.ilearner</c> blob; an endpoint
/// added to the predictive service; a PATCH of that endpoint's <c>Resources</c> with the blob's location; RRS on the
/// endpoint then scores with the new model while the default endpoint keeps the old one.
/// </summary>
public sealed class RetrainTests : IAsyncLifetime
{
    private const string Census = "Adult Census Income Binary Classification dataset";
    private const string ResourceName = "Income prediction [trained model]";

    /// <summary>A person the census model gives a high income (education, hours and marriage raise it).</summary>
    private const string Senior = """{"Inputs":{"input1":[{"age":52,"workclass":"Private","education-num":16,"marital-status":"Married-civ-spouse","sex":"Male","hours-per-week":60,"income":null}]}}""";

    private AzuriteServer _azurite = null!;
    private BlobContainerClient _container = null!;
    private StudioHost _host = null!;
    private readonly RequestResponseHooks _hooks = new();

    private readonly string _data = Directory.CreateTempSubdirectory("tollgate-retrain-").FullName;

    public async Task InitializeAsync()
    {
        (_azurite, _container) = await AzuriteContainer.StartAsync();
        _host = await StartHostAsync();
    }

    private Task<StudioHost> StartHostAsync() =>
        StudioHost.StartAsync(_data, new Dictionary<string, string?> { ["Tollgate:Studio:DefaultStorageConnectionString"] = _azurite.ConnectionString },
            configure: services => services.AddSingleton(_hooks));

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _azurite.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private static JsonObject End(string module, string port) => new() { ["module"] = module, ["port"] = port };

    private static JsonObject Link(string from, string fromPort, string to, string toPort) => new() { ["from"] = End(from, fromPort), ["to"] = End(to, toPort) };

    /// <summary>The census training experiment; <paramref name="asService"/> adds the web service input and outputs of a training web service.</summary>
    private static JsonObject TrainingExperiment(string name, bool asService)
    {
        var graph = new JsonObject
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
        if (asService)
        {
            graph["modules"]!.AsArray().Add(new JsonObject { ["id"] = "input", ["module"] = "Web service input", ["parameters"] = new JsonObject { ["Name"] = "input1" } });
            graph["modules"]!.AsArray().Add(new JsonObject { ["id"] = "model", ["module"] = "Web service output", ["parameters"] = new JsonObject { ["Name"] = "output1" } });
            graph["modules"]!.AsArray().Add(new JsonObject { ["id"] = "metrics", ["module"] = "Web service output", ["parameters"] = new JsonObject { ["Name"] = "output2" } });
            graph["connections"]!.AsArray().Add(Link("input", "Dataset", "train", "Dataset"));
            graph["connections"]!.AsArray().Add(Link("train", "Trained model", "model", "Dataset"));
            graph["connections"]!.AsArray().Add(Link("evaluate", "Evaluation results", "metrics", "Dataset"));
        }

        return graph;
    }

    /// <summary>Training rows whose label is the census's turned around: education, hours and marriage lower the income.</summary>
    private static string TurnedAroundCsv()
    {
        var csv = new StringBuilder("age,workclass,education-num,marital-status,sex,hours-per-week,income\n");
        for (var i = 0; i < 600; i++)
        {
            var education = 1 + (i % 16);
            var hours = 20 + ((i * 7) % 41);
            var married = i % 3 == 0;
            var high = education + (hours / 10) + (married ? 3 : 0) <= 12;
            csv.Append(CultureInfo.InvariantCulture,
                $"{20 + ((i * 3) % 50)},Private,{education},{(married ? "Married-civ-spouse" : "Never-married")},{(i % 2 == 0 ? "Male" : "Female")},{hours},{(high ? ">50K" : "<=50K")}\n");
        }

        return csv.ToString();
    }

    private sealed record Setup(string ServiceId, string DefaultEndpoint, string DefaultKey, string Endpoint, string Key, JsonNode ModelLocation);

    /// <summary>
    /// The predictive service (trained on the census) with an endpoint "retrained" added, and the training web service's
    /// BES job run on the turned-around rows; returns the location of the model blob as the job's status gives it.
    /// </summary>
    private async Task<Setup> SetUpAsync()
    {
        var experiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", TrainingExperiment("Income prediction", asService: false));
        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");
        Assert.True((string?)run["status"] == "Finished", run.ToJsonString());
        var predictive = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/setUpWebService");
        var dashboard = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)predictive["id"]!}/publish", new JsonObject());
        var serviceId = (string)dashboard["id"]!;

        // An endpoint is added to the predictive service: its own keys and URL, the published model.
        using var put = await StudioHost.SendAsync(_host.Studio, HttpMethod.Put, $"/studio/services/{serviceId}/endpoints/retrained",
            """{"Description":"Retrained weekly","MaxConcurrentCalls":10}""");
        var text = await put.Content.ReadAsStringAsync();
        Assert.True(put.StatusCode == HttpStatusCode.Created, text);
        var endpoint = JsonNode.Parse(text)!;
        Assert.Equal("retrained", (string?)endpoint["Name"]);
        Assert.Equal(10, (int)endpoint["MaxConcurrentCalls"]!);
        Assert.Equal(ResourceName, (string?)endpoint["Resources"]![0]!["Name"]);
        Assert.Equal("TrainedModel", (string?)endpoint["Resources"]![0]!["Kind"]);
        Assert.EndsWith("/services/" + (string)endpoint["Id"]!, (string?)endpoint["ApiLocation"]);
        Assert.NotEqual((string?)dashboard["defaultEndpoint"]!["primaryKey"], (string?)endpoint["PrimaryKey"]);

        // The training web service: published from the training experiment with its model on output1.
        var training = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", TrainingExperiment("Income retraining", asService: true));
        var trainingService = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)training["id"]!}/publish", new JsonObject());
        var trainingEndpoint = (string)trainingService["defaultEndpoint"]!["id"]!;
        var trainingKey = (string)trainingService["defaultEndpoint"]!["primaryKey"]!;

        await _container.GetBlobClient("retrain/income.csv").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(TurnedAroundCsv())), overwrite: true);
        JsonObject Blob(string name) => new() { ["ConnectionString"] = _azurite.ConnectionString, ["RelativeLocation"] = "mycontainer/retrain/" + name };
        var status = await _host.RunBatchJobAsync(trainingEndpoint, trainingKey, new JsonObject { ["input1"] = Blob("income.csv") },
            new JsonObject { ["output1"] = Blob("model.ilearner"), ["output2"] = Blob("evaluation.csv") });
        Assert.True((string?)status["StatusCode"] == "Finished", status.ToJsonString());
        Assert.True((await _container.GetBlobClient("retrain/model.ilearner").GetPropertiesAsync()).Value.ContentLength > 0);
        var evaluation = (await _container.GetBlobClient("retrain/evaluation.csv").DownloadContentAsync()).Value.Content.ToString();
        Assert.Equal(2, evaluation.TrimEnd('\n').Split('\n').Length); // Evaluate Model's one row of metrics, on output2

        return new Setup(serviceId, (string)dashboard["defaultEndpoint"]!["id"]!, (string)dashboard["defaultEndpoint"]!["primaryKey"]!,
            (string)endpoint["Id"]!, (string)endpoint["PrimaryKey"]!, status["Results"]!["output1"]!);
    }

    private async Task<(string Label, double Probability)> ScoreAsync(string endpoint, string key)
    {
        using var response = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(endpoint) + "/execute?api-version=2.0&format=swagger", key, Senior);
        return await ReadScoreAsync(response);
    }

    private static async Task<(string Label, double Probability)> ReadScoreAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var row = JsonNode.Parse(text)!["Results"]!["output1"]![0]!;
        return ((string)row["Scored Labels"]!, double.Parse((string)row["Scored Probabilities"]!, CultureInfo.InvariantCulture));
    }

    private Task<HttpResponseMessage> PatchAsync(Setup setup, JsonNode body, string endpoint = "retrained") =>
        StudioHost.SendAsync(_host.Studio, HttpMethod.Patch, $"/studio/services/{setup.ServiceId}/endpoints/{endpoint}", body.ToJsonString());

    private static JsonObject Resources(string name, JsonNode location) =>
        new() { ["Resources"] = new JsonArray(new JsonObject { ["Name"] = name, ["Location"] = location.DeepClone() }) };

    /// <summary>A blob's location as Studio classic's PATCH takes it: BaseLocation, RelativeLocation, a read SAS.</summary>
    private JsonObject SasLocation(string blobName)
    {
        var uri = _container.GetBlobClient(blobName).GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));
        var path = uri.GetLeftPart(UriPartial.Path);
        var split = path.IndexOf("/" + _container.Name + "/", StringComparison.Ordinal);
        return new JsonObject { ["BaseLocation"] = path[..(split + 1)], ["RelativeLocation"] = path[(split + 1)..], ["SasBlobToken"] = uri.Query };
    }

    [Fact]
    public async Task TrainingServiceModel_PatchedIntoAnEndpoint_ScoresTheNextCall_CallsInFlightFinishOnTheOldModel()
    {
        var setup = await SetUpAsync();
        var published = await ScoreAsync(setup.DefaultEndpoint, setup.DefaultKey);
        Assert.Equal(">50K", published.Label);
        Assert.Equal(published, await ScoreAsync(setup.Endpoint, setup.Key));

        var endpoints = (await _host.OkAsync(HttpMethod.Get, $"/studio/services/{setup.ServiceId}/endpoints"))["value"]!.AsArray();
        Assert.Equal(["default", "retrained"], endpoints.Select(e => (string?)e!["Name"]));

        // A call on the endpoint is held inside its slot while the PATCH lands.
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = 1;
        _hooks.WhileHoldingSlot = async (endpointId, ct) =>
        {
            if (endpointId == setup.Endpoint && Interlocked.Exchange(ref first, 0) == 1)
            {
                holding.TrySetResult();
                await release.Task.WaitAsync(ct);
            }
        };
        var inFlight = _host.CallAsync(HttpMethod.Post, _host.ServicePath(setup.Endpoint) + "/execute?api-version=2.0&format=swagger", setup.Key, Senior);
        await holding.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The PATCH takes the location the BES job's status gave for output1, as Studio classic's retraining samples do.
        Assert.StartsWith("?", (string?)setup.ModelLocation["SasBlobToken"]);
        Assert.EndsWith("retrain/model.ilearner", (string?)setup.ModelLocation["RelativeLocation"]);
        using (var patch = await PatchAsync(setup, Resources(ResourceName, setup.ModelLocation)))
        {
            var text = await patch.Content.ReadAsStringAsync();
            Assert.True(patch.StatusCode == HttpStatusCode.OK, text);
            var resource = JsonNode.Parse(text)!["Resources"]![0]!;
            Assert.Equal(ResourceName, (string?)resource["Name"]);
            Assert.Equal("mycontainer/retrain/model.ilearner", (string?)resource["Location"]!["RelativeLocation"]);
            Assert.DoesNotContain("sig=", text, StringComparison.Ordinal); // the SAS is never echoed
        }

        // The next call scores with the retrained model: the turned-around rows make the same person a low income.
        var retrained = await ScoreAsync(setup.Endpoint, setup.Key);
        Assert.Equal("<=50K", retrained.Label);
        Assert.True(retrained.Probability < 0.5, retrained.ToString());

        // The call that was in flight finishes on the model it started with.
        release.TrySetResult();
        using (var held = await inFlight)
        {
            Assert.Equal(published, await ReadScoreAsync(held));
        }

        // The default endpoint keeps the published model; the retrained one survives a restart of the endpoint list.
        Assert.Equal(published, await ScoreAsync(setup.DefaultEndpoint, setup.DefaultKey));
        var listed = (await _host.OkAsync(HttpMethod.Get, $"/studio/workspaces/{_host.WorkspaceId}/webservices/{setup.ServiceId}/endpoints/retrained"))!;
        Assert.NotEqual((string?)listed["Resources"]![0]!["TrainedModelId"],
            (string?)(await _host.OkAsync(HttpMethod.Get, $"/studio/services/{setup.ServiceId}/endpoints/default"))["Resources"]![0]!["TrainedModelId"]);

        // The endpoint's API help page has the Update Resource page of Studio classic.
        using (var help = await _host.Client.GetAsync($"/studio/apihelp/workspaces/{_host.WorkspaceId}/webservices/{setup.ServiceId}/endpoints/{setup.Endpoint}/update"))
        {
            var page = await help.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, help.StatusCode);
            Assert.Contains("PATCH", page);
            Assert.Contains(ResourceName, page);
            Assert.Contains($"/webservices/{setup.ServiceId}/endpoints/retrained", page);
        }

        // The same PATCH on the default endpoint retrains it too.
        using (var patchDefault = await PatchAsync(setup, Resources(ResourceName, setup.ModelLocation), "default"))
        {
            Assert.Equal(HttpStatusCode.OK, patchDefault.StatusCode);
        }

        Assert.Equal(retrained, await ScoreAsync(setup.DefaultEndpoint, setup.DefaultKey));

        // After a restart the endpoints, their keys and their retrained models are still there.
        await _host.DisposeAsync();
        _host = await StartHostAsync();
        Assert.Equal(retrained, await ScoreAsync(setup.Endpoint, setup.Key));
        Assert.Equal(retrained, await ScoreAsync(setup.DefaultEndpoint, setup.DefaultKey));
    }

    [Fact]
    public async Task BadRetrainingPatches_GetStudioErrors_AndTheEndpointKeepsServingItsModel()
    {
        var setup = await SetUpAsync();
        var before = await ScoreAsync(setup.Endpoint, setup.Key);

        // An unknown resource name: the error names the service's resources.
        using (var unknown = await PatchAsync(setup, Resources("Census model", setup.ModelLocation)))
        {
            var error = await StudioAssert.ErrorAsync(unknown, 400, "BadArgument", "ResourceNotFound");
            Assert.Contains($"'{ResourceName}'", (string?)error["error"]!["details"]![0]!["message"]);
        }

        // A blob that does not exist.
        using (var missing = await PatchAsync(setup, Resources(ResourceName, SasLocation("retrain/nothing-here.ilearner"))))
        {
            await StudioAssert.ErrorAsync(missing, 400, "BadArgument", "BlobNotFound");
        }

        // A blob that is not a model (the training rows, under a model's name).
        await _container.GetBlobClient("retrain/rows.ilearner").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(TurnedAroundCsv())), overwrite: true);
        using (var notAModel = await PatchAsync(setup, Resources(ResourceName, SasLocation("retrain/rows.ilearner"))))
        {
            var error = await StudioAssert.ErrorAsync(notAModel, 400, "BadArgument", "InvalidBlob");
            Assert.Contains("not a trained model", (string?)error["error"]!["details"]![0]!["message"]);
        }

        // A blob of another type than a trained model.
        using (var csv = await PatchAsync(setup, Resources(ResourceName, SasLocation("retrain/income.csv"))))
        {
            await StudioAssert.ErrorAsync(csv, 400, "BadArgument", "InvalidBlobExtension");
        }

        // A model of another kind: a regression of age, trained by a training service of its own on the same rows.
        var regression = TrainingExperiment("Age retraining", asService: true);
        regression["modules"]![2] = new JsonObject { ["id"] = "learner", ["module"] = "Linear Regression" };
        regression["modules"]![3]!["parameters"]!["Label column"] = "age";
        var regressionExperiment = await _host.OkAsync(HttpMethod.Post, "/studio/experiments", regression);
        var regressionService = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)regressionExperiment["id"]!}/publish", new JsonObject());
        JsonObject Blob(string name) => new() { ["ConnectionString"] = _azurite.ConnectionString, ["RelativeLocation"] = "mycontainer/retrain/" + name };
        var status = await _host.RunBatchJobAsync((string)regressionService["defaultEndpoint"]!["id"]!, (string)regressionService["defaultEndpoint"]!["primaryKey"]!,
            new JsonObject { ["input1"] = Blob("income.csv") }, new JsonObject { ["output1"] = Blob("age.ilearner"), ["output2"] = Blob("age-evaluation.csv") });
        Assert.True((string?)status["StatusCode"] == "Finished", status.ToJsonString());
        using (var otherKind = await PatchAsync(setup, Resources(ResourceName, status["Results"]!["output1"]!)))
        {
            var error = await StudioAssert.ErrorAsync(otherKind, 400, "InvalidOperation", "IncompatibleModel");
            Assert.Contains("Regression", (string?)error["error"]!["details"]![0]!["message"]);
        }

        // No Resources at all, and an endpoint that does not exist.
        using (var empty = await PatchAsync(setup, new JsonObject { ["Resources"] = new JsonArray() }))
        {
            await StudioAssert.ErrorAsync(empty, 400, "BadArgument", "RequestBodyInvalid");
        }

        using (var noEndpoint = await PatchAsync(setup, Resources(ResourceName, setup.ModelLocation), "nightly"))
        {
            await StudioAssert.ErrorAsync(noEndpoint, 404, "NotFound", "EndpointNotFound");
        }

        // The endpoint still serves its model, and a good PATCH still works after the bad ones.
        Assert.Equal(before, await ScoreAsync(setup.Endpoint, setup.Key));
        using (var good = await PatchAsync(setup, Resources(ResourceName, setup.ModelLocation)))
        {
            Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        }

        Assert.Equal("<=50K", (await ScoreAsync(setup.Endpoint, setup.Key)).Label);
    }

    [Fact]
    public async Task Endpoints_AreAddedChangedAndDeleted_TheTrainingServiceRefusesRrs()
    {
        var setup = await SetUpAsync();

        // The name follows Studio classic's rule; the default endpoint cannot be deleted.
        using (var badName = await StudioHost.SendAsync(_host.Studio, HttpMethod.Put, $"/studio/services/{setup.ServiceId}/endpoints/Nightly_Run", "{}"))
        {
            await StudioAssert.ErrorAsync(badName, 400, "BadArgument", "InvalidEndpointName");
        }

        using (var deleteDefault = await StudioHost.SendAsync(_host.Studio, HttpMethod.Delete, $"/studio/services/{setup.ServiceId}/endpoints/default", null))
        {
            await StudioAssert.ErrorAsync(deleteDefault, 400, "InvalidOperation", "CannotDeleteDefaultEndpoint");
        }

        // PUT again changes the endpoint (200) and keeps its keys.
        var changed = await _host.OkAsync(HttpMethod.Put, $"/studio/services/{setup.ServiceId}/endpoints/retrained", new JsonObject { ["ThrottleLevel"] = "Low" });
        Assert.Equal(4, (int)changed["MaxConcurrentCalls"]!);
        Assert.Equal(setup.Key, (string?)changed["PrimaryKey"]);

        // The default endpoint's key does not open the added one.
        using (var wrongKey = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(setup.Endpoint) + "/execute?api-version=2.0&format=swagger", setup.DefaultKey, Senior))
        {
            await StudioAssert.ErrorAsync(wrongKey, 401, "Unauthorized");
        }

        // Deleted, the endpoint answers no more.
        await _host.OkAsync(HttpMethod.Delete, $"/studio/services/{setup.ServiceId}/endpoints/retrained");
        using (var gone = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(setup.Endpoint) + "/execute?api-version=2.0&format=swagger", setup.Key, Senior))
        {
            await StudioAssert.ErrorAsync(gone, 404, "NotFound");
        }

        // A training web service returns a model: RRS refuses it and names BES.
        var training = (await _host.OkAsync(HttpMethod.Get, "/studio/services"))["value"]!.AsArray().Single(s => (string?)s!["name"] == "Income retraining")!;
        var trainingService = await _host.OkAsync(HttpMethod.Get, $"/studio/services/{(string)training["id"]!}");
        using var rrs = await _host.CallAsync(HttpMethod.Post, _host.ServicePath((string)trainingService["defaultEndpoint"]!["id"]!) + "/execute?api-version=2.0",
            (string)trainingService["defaultEndpoint"]!["primaryKey"]!, """{"Inputs":{"input1":{"ColumnNames":["age"],"Values":[[30]]}}}""");
        var error = await StudioAssert.ErrorAsync(rrs, 400, "InvalidOperation", "ModelOutputRequiresBatch");
        Assert.Contains("BES", (string?)error["error"]!["details"]![0]!["message"]);

        // Its swagger document still describes it, and the training experiment still runs as an experiment.
        using (var swagger = await _host.Client.GetAsync(_host.ServicePath((string)trainingService["defaultEndpoint"]!["id"]!) + "/swagger.json"))
        {
            Assert.Equal(HttpStatusCode.OK, swagger.StatusCode);
        }

        var experiment = (await _host.OkAsync(HttpMethod.Get, "/studio/experiments"))["value"]!.AsArray().Single(e => (string?)e!["name"] == "Income retraining")!;
        var run = await _host.OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/run");
        Assert.True((string?)run["status"] == "Finished", run.ToJsonString());

        // A BES job naming a .csv for the model output is refused before it is stored.
        using var csvModel = await _host.CallAsync(HttpMethod.Post, _host.ServicePath((string)trainingService["defaultEndpoint"]!["id"]!) + "/jobs?api-version=2.0",
            (string)trainingService["defaultEndpoint"]!["primaryKey"]!, new JsonObject
            {
                ["Inputs"] = new JsonObject { ["input1"] = new JsonObject { ["ConnectionString"] = _azurite.ConnectionString, ["RelativeLocation"] = "mycontainer/retrain/income.csv" } },
                ["Outputs"] = new JsonObject { ["output1"] = new JsonObject { ["ConnectionString"] = _azurite.ConnectionString, ["RelativeLocation"] = "mycontainer/retrain/model.csv" } },
            }.ToJsonString());
        Assert.Contains(".ilearner", (string?)(await StudioAssert.ErrorAsync(csvModel, 400, "BadArgument", "InvalidBlobExtension"))["error"]!["details"]![0]!["message"]);
    }
}
