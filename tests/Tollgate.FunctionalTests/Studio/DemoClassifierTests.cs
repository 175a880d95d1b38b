using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>
/// The demo's second web service, set up through Studio's API as <c>tollgate demo</c> does it: the book reviews
/// classifier (Feature Hashing of <c>Col2</c>, a two-class model on rating 4 or more, Set Up Web Service, published).
/// </summary>
public sealed class DemoClassifierTests : IAsyncLifetime
{
    private StudioHost _host = null!;

    public async Task InitializeAsync() => _host = await StudioHost.StartAsync();

    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [Fact]
    public async Task BookReviewClassifier_IsTrainedSetUpAndPublished_AndClassifiesReviewsThroughRrs()
    {
        var token = _host.Studio.DefaultRequestHeaders.Authorization!.Parameter!;
        var published = await StudioClassifierSetup.RunAsync(_host.Studio, _host.Url, token, CancellationToken.None);

        // The training run evaluated the model: better than chance on the held-out reviews.
        var experiments = (await _host.OkAsync(HttpMethod.Get, "/studio/experiments"))["value"]!.AsArray();
        var training = experiments.Single(e => (string?)e!["name"] == StudioClassifierSetup.ExperimentName)!;
        var runs = (await _host.OkAsync(HttpMethod.Get, $"/studio/experiments/{(string)training["id"]!}/runs"))["value"]!.AsArray();
        var run = await _host.OkAsync(HttpMethod.Get, $"/studio/runs/{(string)runs[0]!["id"]!}");
        var evaluation = run["modules"]!.AsArray().Single(m => (string?)m!["id"] == "evaluate")!["outputs"]![0]!;
        var columns = evaluation["columns"]!.AsArray().Select(c => (string?)c!["name"]).ToList();
        var accuracy = double.Parse((string)evaluation["rows"]![0]![columns.IndexOf("Accuracy")]!, CultureInfo.InvariantCulture);
        Assert.True(accuracy > 0.7, evaluation.ToJsonString());

        // The call the demo prints, and a negative review: the text and its scores come back.
        async Task<JsonNode> ClassifyAsync(string body)
        {
            using var response = await _host.CallAsync(HttpMethod.Post, _host.ServicePath(published.EndpointId) + "/execute?api-version=2.0&details=true", published.PrimaryKey, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            return JsonNode.Parse(text)!["Results"]!["output1"]!["value"]!;
        }

        var positive = await ClassifyAsync(StudioClassifierSetup.SampleBody);
        Assert.Equal(["Col2", "Scored Labels", "Scored Probabilities"], positive["ColumnNames"]!.AsArray().Select(c => (string?)c));
        Assert.Equal("positive", (string?)positive["Values"]![0]![1]);
        var negative = await ClassifyAsync("""{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This book was a waste of time. Would not recommend."]]}}}""");
        Assert.Equal("negative", (string?)negative["Values"]![0]![1]);

        // Running the setup again reuses the service.
        var again = await StudioClassifierSetup.RunAsync(_host.Studio, _host.Url, token, CancellationToken.None);
        Assert.Equal(published.EndpointId, again.EndpointId);
    }
}
