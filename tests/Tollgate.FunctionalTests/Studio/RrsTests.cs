using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Studio.WebServices;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>RRS over real HTTP against the tutorial's published web service (docs/studio-protocol.md §1, §0).</summary>
public sealed class RrsTests : PublishedTutorialTests
{
    [Fact]
    public async Task TutorialCall_ReturnsTheHashedFeatures_WithNamesAndTypes()
    {
        using var response = await Host.CallAsync(HttpMethod.Post, Execute(), Service.PrimaryKey, TutorialBody);

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.True(response.Headers.Contains("x-ms-request-id"));
        var value = JsonNode.Parse(text)!["Results"]!["output1"]!;
        Assert.Equal("table", (string?)value["type"]);
        Assert.Equal(["Col2", .. Enumerable.Range(0, 8).Select(i => $"Col2_HashingFeature.{i}")],
            value["value"]!["ColumnNames"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["String", .. Enumerable.Repeat("Int32", 8)], value["value"]!["ColumnTypes"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], value["value"]!["Values"]![0]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public async Task WithoutDetails_ColumnTypesAreOmitted_AndSwaggerFormatGivesRowObjects()
    {
        using (var response = await Host.CallAsync(HttpMethod.Post, Execute("?api-version=2.0"), Service.PrimaryKey, TutorialBody))
        {
            var value = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["Results"]!["output1"]!["value"]!;
            Assert.NotNull(value["ColumnNames"]);
            Assert.Null(value["ColumnTypes"]);
        }

        var swaggerBody = """{"Inputs":{"input1":[{"Col2":"This is a good day"},{"Col2":null}]},"GlobalParameters":null}""";
        using (var response = await Host.CallAsync(HttpMethod.Post, Execute("?api-version=2.0&format=swagger&details=true"), Service.PrimaryKey, swaggerBody))
        {
            var rows = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["Results"]!["output1"]!.AsArray();
            Assert.Equal("2", (string?)rows[0]!["Col2_HashingFeature.3"]);
            Assert.Null(rows[1]!["Col2"]);
            Assert.Equal("0", (string?)rows[1]!["Col2_HashingFeature.3"]);
        }
    }

    [Theory]
    [InlineData("Bearer", true)]
    [InlineData("bearer", false)]
    [InlineData("BEARER", true)]
    public async Task PrimaryAndSecondaryKeys_BothWork_SchemeCaseInsensitive(string scheme, bool primary)
    {
        var dashboard = await Host.OkAsync(HttpMethod.Get, $"/studio/services/{Service.ServiceId}");
        var key = (string)dashboard["defaultEndpoint"]![primary ? "primaryKey" : "secondaryKey"]!;
        Assert.Equal(88, key.Length);
        Assert.Equal(64, Convert.FromBase64String(key).Length);

        using var response = await Host.CallAsync(HttpMethod.Post, Execute(), key, TutorialBody, scheme);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task WrongOrMissingKey_Is401ScoreRequestUnauthorized()
    {
        using (var wrong = await Host.CallAsync(HttpMethod.Post, Execute(), "not-the-key", TutorialBody))
        {
            await StudioAssert.ErrorAsync(wrong, 401, "Unauthorized", "ScoreRequestUnauthorized");
        }

        using (var missing = await Host.CallAsync(HttpMethod.Post, Execute(), null, TutorialBody))
        {
            await StudioAssert.ErrorAsync(missing, 401, "Unauthorized", "ScoreRequestUnauthorized");
        }

        using (var basic = await Host.CallAsync(HttpMethod.Post, Execute(), Service.PrimaryKey, TutorialBody, "Basic"))
        {
            await StudioAssert.ErrorAsync(basic, 401, "Unauthorized", "ScoreRequestUnauthorized");
        }

        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("?api-version=1.0")]
    [InlineData("?api-version=2.0.1")]
    [InlineData("?details=true")]
    public async Task WrongOrMissingApiVersion_Is400BadVersionCall(string query)
    {
        using var response = await Host.CallAsync(HttpMethod.Post, Execute(query), Service.PrimaryKey, TutorialBody);

        var json = await StudioAssert.ErrorAsync(response, 400, "BadArgument", "BadVersionCall");
        Assert.StartsWith("Invalid version parameter was passed during the API call", (string?)json["error"]!["details"]![0]!["message"]);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("""{"Inputs":{"input1":""", "BadArgument", "RequestBodyInvalid")]
    [InlineData("""not json""", "BadArgument", "RequestBodyInvalid")]
    [InlineData("""[1,2]""", "BadArgument", "RequestBodyInvalid")]
    [InlineData("", "BadArgument", "RequestIsEmpty")]
    [InlineData("""{"GlobalParameters":{}}""", "BadArgument", "MissingRequestInput")]
    [InlineData("""{"Inputs":{}}""", "BadArgument", "MissingRequestInput")]
    [InlineData("""{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["a"]]},"input2":{"ColumnNames":["Col2"],"Values":[["a"]]}}}""", "BadArgument", "InvalidInputNames")]
    [InlineData("""{"Inputs":{"inputX":{"ColumnNames":["Col2"],"Values":[["a"]]}}}""", "BadArgument", "InvalidInputNames")]
    [InlineData("""{"Inputs":{"input1":{"ColumnNames":["Col1","Col2"],"Values":[["a"]]}}}""", "BadUserArgument", "InputParseError")]
    [InlineData("""{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["a","b"]]}}}""", "BadUserArgument", "InputParseError")]
    [InlineData("""{"Inputs":{"input1":{"ColumnNames":["Text"],"Values":[["a"]]}}}""", "BadUserArgument", "InputMismatchError")]
    [InlineData("""{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[[{"a":1}]]}}}""", "BadUserArgument", "InputParseError")]
    [InlineData("""{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["a"]]}},"GlobalParameters":{"Random seed":1}}""", "BadArgument", "UnexpectedParameter")]
    public async Task BadBodies_GetTheirDocumentedError_AndTheServiceKeepsServing(string body, string code, string detail)
    {
        using var response = await Host.CallAsync(HttpMethod.Post, Execute(), Service.PrimaryKey, body);

        await StudioAssert.ErrorAsync(response, 400, code, detail);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task ColumnsMatchByName_InAnyOrder_ExtraColumnsIgnored_NumbersAccepted()
    {
        var body = """{"Inputs":{"input1":{"ColumnNames":["Col1","Col2"],"Values":[[5,"This is a good day"]]}}}""";

        using var response = await Host.CallAsync(HttpMethod.Post, Execute(), Service.PrimaryKey, body);

        var values = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["Results"]!["output1"]!["value"]!["Values"]![0]!.AsArray();
        Assert.Equal(["This is a good day", "1", "1", "2", "2", "0", "2", "0", "1"], values.Select(n => (string)n!));
    }

    [Fact]
    public async Task TwentyMegabyteBody_Is413_AndTheServiceKeepsServing()
    {
        var big = new StringBuilder("""{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[""");
        while (big.Length < 20 * 1024 * 1024)
        {
            big.Append("""["This is a good day, this is a good day, this is a good day"],""");
        }

        big.Append("""["end"]]}}}""");

        using var response = await Host.CallAsync(HttpMethod.Post, Execute(), Service.PrimaryKey, big.ToString());

        await StudioAssert.ErrorAsync(response, 413, "MemoryQuotaViolation", "RequestBodyTooLarge");
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task UnknownWorkspaceOrService_Is404()
    {
        using (var response = await Host.CallAsync(HttpMethod.Post, $"/workspaces/{new string('0', 32)}/services/{Service.EndpointId}/execute?api-version=2.0", Service.PrimaryKey, TutorialBody))
        {
            await StudioAssert.ErrorAsync(response, 404, "NotFound", "WorkspaceNotFound");
        }

        using (var response = await Host.CallAsync(HttpMethod.Post, Host.ServicePath(new string('a', 32)) + "/execute?api-version=2.0", Service.PrimaryKey, TutorialBody))
        {
            await StudioAssert.ErrorAsync(response, 404, "NotFound", "WebServiceNotFound");
        }

        using (var response = await Host.CallAsync(HttpMethod.Post, Host.ServicePath(Service.EndpointId) + "/nothing", Service.PrimaryKey, TutorialBody))
        {
            await StudioAssert.ErrorAsync(response, 404, "NotFound");
        }
    }

    [Fact]
    public async Task SubscriptionsPath_IsTheSameService()
    {
        using var response = await Host.CallAsync(HttpMethod.Post, $"/subscriptions/{Host.WorkspaceId}/services/{Service.EndpointId}/execute?api-version=2.0", Service.PrimaryKey, TutorialBody);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AboveMaxConcurrentCalls_Is503RequestThrottled()
    {
        await Host.OkAsync(HttpMethod.Patch, $"/studio/services/{Service.ServiceId}", new JsonObject { ["MaxConcurrentCalls"] = 1 });
        // The first call holds the only slot: it waits inside the slot until the test lets it go.
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = 1;
        Hooks.WhileHoldingSlot = async (_, ct) =>
        {
            if (Interlocked.Exchange(ref first, 0) == 1)
            {
                holding.TrySetResult();
                await release.Task.WaitAsync(ct);
            }
        };
        var firstCall = Host.CallAsync(HttpMethod.Post, Execute(), Service.PrimaryKey, TutorialBody);
        await holding.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, (int?)(await Host.OkAsync(HttpMethod.Get, $"/studio/services/{Service.ServiceId}"))["defaultEndpoint"]!["callsInFlight"]);

        using var throttled = await Host.CallAsync(HttpMethod.Post, Execute(), Service.PrimaryKey, TutorialBody);
        var json = await StudioAssert.ErrorAsync(throttled, 503, "ServiceUnavailable", "RequestThrottled");
        Assert.Contains("The maximum concurrency for the endpoint is 1.", (string?)json["error"]!["details"]![0]!["message"]);
        release.SetResult();
        using var firstResponse = await firstCall;
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task GlobalParameters_ChangeTheHashingBitsize_AndBadValuesAreRefused()
    {
        var graph = StudioTutorialSetup.Experiment();
        graph["name"] = "With parameters";
        graph["webServiceParameters"] = new JsonArray(new JsonObject { ["name"] = "Hashing bits", ["module"] = "hashing", ["parameter"] = "Hashing bitsize" });
        var (endpoint, key, _) = await Host.PublishAsync(graph);
        var path = Host.ServicePath(endpoint) + "/execute?api-version=2.0&details=true";

        using (var response = await Host.CallAsync(HttpMethod.Post, path, key,
            """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{"Hashing bits":"4"}}"""))
        {
            var names = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["Results"]!["output1"]!["value"]!["ColumnNames"]!.AsArray();
            Assert.Equal(17, names.Count);
        }

        using (var response = await Host.CallAsync(HttpMethod.Post, path, key,
            """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["a"]]}},"GlobalParameters":{"Hashing bits":40}}"""))
        {
            var json = await StudioAssert.ErrorAsync(response, 400, "BadArgument", "BadParameterValue");
            Assert.Equal("Error 0007: Parameter \"Hashing bitsize\" should be less than or equal to 31.", (string?)json["error"]!["details"]![0]!["message"]);
        }
    }

    [Fact]
    public async Task Swagger_HasTheSpecsShape_WithoutAKey()
    {
        using var response = await Host.Client.GetAsync(Host.ServicePath(Service.EndpointId) + "/swagger.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var swagger = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("2.0", (string?)swagger["swagger"]);
        Assert.Equal($"/workspaces/{Host.WorkspaceId}/services/{Service.EndpointId}", (string?)swagger["basePath"]);
        Assert.NotNull(swagger["paths"]!["/execute?api-version=2.0&format=swagger"]!["post"]);
        Assert.Equal("submitjob", (string?)swagger["paths"]!["/jobs?api-version=2.0"]!["post"]!["operationId"]);
        Assert.NotNull(swagger["paths"]!["/jobs/{jobId}?api-version=2.0"]!["delete"]);
        Assert.Equal("Col2", (string?)swagger["definitions"]!["input1Item"]!["required"]![0]);
        Assert.Equal("integer", (string?)swagger["definitions"]!["output1Item"]!["properties"]!["Col2_HashingFeature.0"]!["type"]);
        Assert.NotNull(swagger["definitions"]!["ExecutionRequest"]!["example"]!["Inputs"]!["input1"]);
        Assert.Equal("Authorization", (string?)swagger["securityDefinitions"]!["api_key"]!["name"]);

        using var help = await Host.Client.GetAsync(new Uri(Service.HelpLocation).PathAndQuery + "/score");
        Assert.Equal(HttpStatusCode.OK, help.StatusCode);
        Assert.Contains("/execute?api-version=2.0&amp;details=true", await help.Content.ReadAsStringAsync());
    }
}
