using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Tollgate.Demo;

/// <summary>
/// The demo's second Studio web service, a classifier of the book reviews sample, built through Studio's API as a
/// user would build it in Studio: the training experiment <c>Book review sentiment</c> (Feature Hashing of <c>Col2</c>,
/// Apply SQL Transformation labelling a review <c>positive</c> when its rating <c>Col1</c> is 4 or more, Split Data,
/// Two-Class Logistic Regression, Train Model, Score Model, Evaluate Model) runs once; Set Up Web Service makes its
/// predictive experiment, whose Web service input the user moves to the review text (so a call sends <c>Col2</c> only)
/// and whose output keeps the text and the scores; then it is published. Idempotent: an existing service of that name
/// is reused.
/// </summary>
public static class StudioClassifierSetup
{
    public const string ExperimentName = "Book review sentiment";

    /// <summary>The name of the published predictive experiment (Set Up Web Service's naming).</summary>
    public const string ServiceName = ExperimentName + " [Predictive Exp.]";

    /// <summary>2^6 hashed features of the review text.</summary>
    public const int HashingBitsize = 6;

    /// <summary>The RRS body of the demo's curl line: one review to classify.</summary>
    public const string SampleBody = """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This book is a wonderful story. I loved this book."]]}},"GlobalParameters":{}}""";

    private static JsonObject End(string module, string port) => new() { ["module"] = module, ["port"] = port };

    private static JsonObject Link(string from, string fromPort, string to, string toPort) => new() { ["from"] = End(from, fromPort), ["to"] = End(to, toPort) };

    private static JsonObject Names(params string[] names) => new() { ["rule"] = "names", ["names"] = new JsonArray(names.Select(n => (JsonNode)n).ToArray()) };

    /// <summary>The SQL that keeps the hashed features and adds the label: rating 4 or 5 is <c>positive</c>.</summary>
    public static string LabelScript()
    {
        var features = Enumerable.Range(0, 1 << HashingBitsize).Select(i => "\"Col2_HashingFeature." + i.ToString(CultureInfo.InvariantCulture) + "\"");
        return $"select {string.Join(", ", features)}, case when Col1 >= 4 then 'positive' else 'negative' end as Sentiment from t1;";
    }

    /// <summary>The training experiment.</summary>
    public static JsonObject Experiment() => new()
    {
        ["name"] = ExperimentName,
        ["description"] = "Book reviews classified as positive (rating 4 or 5) or negative from their hashed text.",
        ["modules"] = new JsonArray(
            new JsonObject { ["id"] = "reviews", ["module"] = "Saved dataset", ["parameters"] = new JsonObject { ["Dataset"] = "Book Reviews from Amazon" } },
            new JsonObject
            {
                ["id"] = "hashing", ["module"] = "Feature Hashing",
                ["parameters"] = new JsonObject { ["Target columns"] = "Col2", ["Hashing bitsize"] = HashingBitsize, ["N-grams"] = 2 },
            },
            new JsonObject { ["id"] = "label", ["module"] = "Apply SQL Transformation", ["parameters"] = new JsonObject { ["SQL Query Script"] = LabelScript() } },
            new JsonObject
            {
                ["id"] = "split", ["module"] = "Split Data",
                ["parameters"] = new JsonObject { ["Fraction of rows in the first output dataset"] = 0.7, ["Random seed"] = 42 },
            },
            new JsonObject { ["id"] = "learner", ["module"] = "Two-Class Logistic Regression", ["parameters"] = new JsonObject { ["Random number seed"] = 7 } },
            new JsonObject { ["id"] = "train", ["module"] = "Train Model", ["parameters"] = new JsonObject { ["Label column"] = "Sentiment" } },
            new JsonObject { ["id"] = "score", ["module"] = "Score Model" },
            new JsonObject { ["id"] = "evaluate", ["module"] = "Evaluate Model" }),
        ["connections"] = new JsonArray(
            Link("reviews", "Dataset", "hashing", "Dataset"),
            Link("hashing", "Transformed dataset", "label", "Table1"),
            Link("label", "Results dataset", "split", "Dataset"),
            Link("split", "Results dataset1", "train", "Dataset"),
            Link("learner", "Untrained model", "train", "Untrained model"),
            Link("train", "Trained model", "score", "Trained model"),
            Link("split", "Results dataset2", "score", "Dataset"),
            Link("score", "Scored dataset", "evaluate", "Scored dataset")),
    };

    /// <summary>
    /// The predictive experiment as the user leaves it after Set Up Web Service: the trained model it placed, Feature
    /// Hashing fed by the Web service input (the review text, <c>Col2</c>; the sample's <c>Col2</c> gives its columns),
    /// Score Model, and Select Columns keeping the text and the scores for the Web service output.
    /// </summary>
    public static JsonObject Predictive(JsonNode setUp)
    {
        var model = setUp["graph"]!["modules"]!.AsArray().Single(m => (string?)m!["id"] == "train")!;
        return new JsonObject
        {
            ["name"] = ServiceName,
            ["modules"] = new JsonArray(
                new JsonObject { ["id"] = "reviews", ["module"] = "Saved dataset", ["parameters"] = new JsonObject { ["Dataset"] = "Book Reviews from Amazon" } },
                new JsonObject { ["id"] = "text", ["module"] = "Select Columns in Dataset", ["parameters"] = new JsonObject { ["Select columns"] = new JsonArray(Names("Col2")) } },
                new JsonObject
                {
                    ["id"] = "hashing", ["module"] = "Feature Hashing",
                    ["parameters"] = new JsonObject { ["Target columns"] = "Col2", ["Hashing bitsize"] = HashingBitsize, ["N-grams"] = 2 },
                },
                model.DeepClone(),
                new JsonObject { ["id"] = "score", ["module"] = "Score Model" },
                new JsonObject
                {
                    ["id"] = "result", ["module"] = "Select Columns in Dataset",
                    ["parameters"] = new JsonObject { ["Select columns"] = new JsonArray(Names("Col2", "Scored Labels", "Scored Probabilities")) },
                },
                new JsonObject { ["id"] = "input", ["module"] = "Web service input" },
                new JsonObject { ["id"] = "output", ["module"] = "Web service output" }),
            ["connections"] = new JsonArray(
                Link("reviews", "Dataset", "text", "Dataset"),
                Link("text", "Results dataset", "hashing", "Dataset"),
                Link("input", "Dataset", "hashing", "Dataset"),
                Link("hashing", "Transformed dataset", "score", "Dataset"),
                Link("train", "Trained model", "score", "Trained model"),
                Link("score", "Scored dataset", "result", "Dataset"),
                Link("result", "Results dataset", "output", "Dataset")),
        };
    }

    public static async Task<StudioTutorialSetup.Published> RunAsync(HttpClient http, string studioUrl, string workspaceToken, CancellationToken ct)
    {
        var studio = new DemoStudioClient(http, studioUrl, workspaceToken);
        Task<JsonNode> Send(HttpMethod method, string path, JsonNode? body = null) => studio.SendAsync(method, path, body, ct);

        var workspace = await Send(HttpMethod.Get, "/studio/workspace");
        var services = (await Send(HttpMethod.Get, "/studio/services"))["value"]!.AsArray();
        var service = services.FirstOrDefault(s => (string?)s!["name"] == ServiceName);
        if (service is null)
        {
            var experiments = (await Send(HttpMethod.Get, "/studio/experiments"))["value"]!.AsArray();
            var experimentId = (string?)experiments.FirstOrDefault(e => (string?)e!["name"] == ExperimentName)?["id"]
                ?? (string)(await Send(HttpMethod.Post, "/studio/experiments", Experiment()))["id"]!;
            var run = await Send(HttpMethod.Post, $"/studio/experiments/{experimentId}/run");
            if ((string?)run["status"] != "Finished")
            {
                throw new InvalidOperationException("The book review sentiment experiment did not run: " + run.ToJsonString());
            }

            var setUp = await Send(HttpMethod.Post, $"/studio/experiments/{experimentId}/setUpWebService");
            var predictiveId = (string)setUp["id"]!;
            await Send(HttpMethod.Put, $"/studio/experiments/{predictiveId}", Predictive(setUp));
            service = await Send(HttpMethod.Post, $"/studio/experiments/{predictiveId}/publish", new JsonObject());
        }

        var dashboard = await Send(HttpMethod.Get, $"/studio/services/{(string)service!["id"]!}");
        var endpoint = dashboard["defaultEndpoint"]!;
        return new StudioTutorialSetup.Published((string)workspace["id"]!, (string)dashboard["id"]!, (string)endpoint["id"]!, (string)endpoint["primaryKey"]!,
            (string)endpoint["apiLocation"]!, (string)endpoint["helpLocation"]!);
    }
}
