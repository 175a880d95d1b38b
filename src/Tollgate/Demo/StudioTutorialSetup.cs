using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Tollgate.Demo;

/// <summary>
/// docs/walkthrough.md Part 1 through Studio's API, as a user would do it in Studio: the experiment
/// <c>SimpleFeatureHashingExperiment</c> (book reviews sample → Select Columns <c>Col2</c> → Feature Hashing, bitsize 3,
/// with Web service input and output around Feature Hashing), run once, then published. Idempotent: an existing
/// experiment and web service of that name are reused.
/// </summary>
public static class StudioTutorialSetup
{
    public const string ExperimentName = "SimpleFeatureHashingExperiment";

    /// <summary>What the tutorial's user writes down from the dashboard.</summary>
    public sealed record Published(string WorkspaceId, string ServiceId, string EndpointId, string PrimaryKey, string ApiLocation, string HelpLocation);

    /// <summary>The experiment of Part 1, steps 1–6.</summary>
    public static JsonObject Experiment() => new()
    {
        ["name"] = ExperimentName,
        ["description"] = "Book reviews hashed into 2^3 Vowpal Wabbit features (docs/walkthrough.md Part 1).",
        ["modules"] = new JsonArray(
            new JsonObject { ["id"] = "reviews", ["module"] = "Saved dataset", ["parameters"] = new JsonObject { ["Dataset"] = "Book Reviews from Amazon" } },
            new JsonObject { ["id"] = "select", ["module"] = "Select Columns in Dataset", ["parameters"] = new JsonObject { ["Select columns"] = "Col2" } },
            new JsonObject
            {
                ["id"] = "hashing", ["module"] = "Feature Hashing",
                ["parameters"] = new JsonObject { ["Target columns"] = "Col2", ["Hashing bitsize"] = 3, ["N-grams"] = 2 },
            },
            new JsonObject { ["id"] = "input", ["module"] = "Web service input" },
            new JsonObject { ["id"] = "output", ["module"] = "Web service output" }),
        ["connections"] = new JsonArray(
            new JsonObject { ["from"] = "reviews", ["to"] = "select" },
            new JsonObject { ["from"] = "select", ["to"] = "hashing" },
            new JsonObject { ["from"] = "input", ["to"] = "hashing" },
            new JsonObject { ["from"] = "hashing", ["to"] = "output" }),
    };

    public static async Task<Published> RunAsync(HttpClient http, string studioUrl, string workspaceToken, CancellationToken ct)
    {
        var studio = new DemoStudioClient(http, studioUrl, workspaceToken);
        Task<JsonNode> Send(HttpMethod method, string path, JsonNode? body = null) => studio.SendAsync(method, path, body, ct);

        var workspace = await Send(HttpMethod.Get, "/studio/workspace");
        var services = (await Send(HttpMethod.Get, "/studio/services"))["value"]!.AsArray();
        var service = services.FirstOrDefault(s => (string?)s!["name"] == ExperimentName);
        if (service is null)
        {
            var experiments = (await Send(HttpMethod.Get, "/studio/experiments"))["value"]!.AsArray();
            var experimentId = (string?)experiments.FirstOrDefault(e => (string?)e!["name"] == ExperimentName)?["id"]
                ?? (string)(await Send(HttpMethod.Post, "/studio/experiments", Experiment()))["id"]!;
            var run = await Send(HttpMethod.Post, $"/studio/experiments/{experimentId}/run");
            if ((string?)run["status"] != "Finished")
            {
                throw new InvalidOperationException("The tutorial experiment did not run: " + run.ToJsonString());
            }

            service = await Send(HttpMethod.Post, $"/studio/experiments/{experimentId}/publish", new JsonObject());
        }

        var dashboard = await Send(HttpMethod.Get, $"/studio/services/{(string)service!["id"]!}");
        var endpoint = dashboard["defaultEndpoint"]!;
        return new Published((string)workspace["id"]!, (string)dashboard["id"]!, (string)endpoint["id"]!, (string)endpoint["primaryKey"]!,
            (string)endpoint["apiLocation"]!, (string)endpoint["helpLocation"]!);
    }
}
