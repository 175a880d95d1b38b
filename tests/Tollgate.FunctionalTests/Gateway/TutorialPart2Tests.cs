using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// docs/walkthrough.md Part 2 steps 1–3 through the management API over HTTP, then each of the five operations through
/// the gateway (HTTPS, as the tutorial sets it) to a real backend that records what arrives.
/// </summary>
public sealed class TutorialPart2Tests : IAsyncLifetime
{
    private const string Service = "demoazureml";
    private const string RrsBody = """{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["This is a good day"]]}},"GlobalParameters":{}}""";
    private TollgateHost _host = null!;
    private RecordingBackend _backend = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        _backend = await RecordingBackend.StartAsync();
        _host = await TollgateHost.StartAsync(https: true);
        var svc = TollgateHost.ServicePath(Service);

        // Step 1: the instance, with APIM's built-ins.
        using (var created = await _host.SendAsync(HttpMethod.Put, svc, new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // Step 2: Add API.
        using (var api = await _host.SendAsync(HttpMethod.Put, $"{svc}/apis/azureml-demo", new
        {
            properties = new { displayName = "AzureML Demo API", serviceUrl = _backend.Url, path = "azureml-demo", protocols = new[] { "https" } },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, api.StatusCode);
        }

        // Step 3: the five operations, each with a 200 response.
        foreach (var (id, method, template, name) in new[]
        {
            ("rrs-execute", "POST", "/workspaces/{workspace}/services/{service}/execute?api-version={apiversion}&details={details}", "RRS Execute"),
            ("bes-submit", "POST", "/workspaces/{workspace}/services/{service}/jobs?api-version={apiversion}", "BES Submit"),
            ("bes-start", "POST", "/workspaces/{workspace}/services/{service}/jobs/{jobid}/start?api-version={apiversion}", "BES Start"),
            ("bes-status", "GET", "/workspaces/{workspace}/services/{service}/jobs/{jobid}?api-version={apiversion}", "BES Status"),
            ("bes-delete", "DELETE", "/workspaces/{workspace}/services/{service}/jobs/{jobid}?api-version={apiversion}", "BES Delete"),
        })
        {
            var parameters = System.Text.RegularExpressions.Regex.Matches(template, "\\{([^}]+)\\}").Select(m => new { name = m.Groups[1].Value, type = "string", required = true });
            await _host.PutAsync($"{svc}/apis/azureml-demo/operations/{id}", new
            {
                properties = new { displayName = name, method, urlTemplate = template, templateParameters = parameters, responses = new[] { new { statusCode = 200, description = "OK" } } },
            });
        }

        await _host.PutAsync($"{svc}/products/starter/apis/azureml-demo", new { });
        await _host.PutAsync($"{svc}/users/alice", new { properties = new { email = "alice@example.com", firstName = "Alice", lastName = "Ng" } });
        _key = await _host.CreateSubscriptionAsync(Service, "alice-starter", "/products/starter", "/users/alice");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task RrsExecute_ValidKey_ReachesBackendExactly()
    {
        using var request = TollgateHost.GatewayRequest(HttpMethod.Post,
            "/azureml-demo/workspaces/ws1/services/svc1/execute?api-version=2.0&details=true", _key, RrsBody);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer ml-api-key-123");
        using var response = await _host.GatewayHttps!.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = _backend.Last;
        Assert.Equal("POST", seen.Method);
        Assert.Equal("/workspaces/ws1/services/svc1/execute", seen.Path);
        Assert.Equal("?api-version=2.0&details=true", seen.QueryString);
        Assert.Equal("Bearer ml-api-key-123", seen.Header("Authorization"));
        Assert.StartsWith("application/json", seen.Header("Content-Type"));
        Assert.Equal(RrsBody, seen.Body);
        Assert.Null(seen.Header("Ocp-Apim-Subscription-Key"));
        Assert.Equal("127.0.0.1", seen.Header("X-Forwarded-For"));
        Assert.Equal("https", seen.Header("X-Forwarded-Proto"));
        Assert.Equal(_host.GatewayHttps.BaseAddress!.Authority, seen.Header("X-Forwarded-Host"));
        Assert.Equal($"127.0.0.1:{_backend.Port}", seen.Header("Host"));
    }

    [Theory]
    [InlineData("POST", "/azureml-demo/workspaces/ws1/services/svc1/jobs?api-version=2.0", "/workspaces/ws1/services/svc1/jobs", """{"Inputs":{"input1":{"ConnectionString":"x","RelativeLocation":"c/in.csv"}}}""")]
    [InlineData("POST", "/azureml-demo/workspaces/ws1/services/svc1/jobs/job-42/start?api-version=2.0", "/workspaces/ws1/services/svc1/jobs/job-42/start", null)]
    [InlineData("GET", "/azureml-demo/workspaces/ws1/services/svc1/jobs/job-42?api-version=2.0", "/workspaces/ws1/services/svc1/jobs/job-42", null)]
    [InlineData("DELETE", "/azureml-demo/workspaces/ws1/services/svc1/jobs/job-42?api-version=2.0", "/workspaces/ws1/services/svc1/jobs/job-42", null)]
    public async Task BesOperations_ValidKey_ReachBackendExactly(string method, string url, string backendPath, string? body)
    {
        using var request = TollgateHost.GatewayRequest(new HttpMethod(method), url, _key, body);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer ml-api-key-123");
        using var response = await _host.GatewayHttps!.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = _backend.Last;
        Assert.Equal(method, seen.Method);
        Assert.Equal(backendPath, seen.Path);
        Assert.Equal("?api-version=2.0", seen.QueryString);
        Assert.Equal(body ?? "", seen.Body);
        Assert.Equal("Bearer ml-api-key-123", seen.Header("Authorization"));
        Assert.Null(seen.Header("Ocp-Apim-Subscription-Key"));
    }

    [Fact]
    public async Task KeyInQuery_IsAcceptedAndNotForwarded()
    {
        using var response = await _host.GatewayHttps!.GetAsync($"/azureml-demo/workspaces/w/services/s/jobs/j1?api-version=2.0&subscription-key={_key}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("?api-version=2.0", _backend.Last.QueryString);
    }

    [Fact]
    public async Task MissingKey_Is401WithApimBody()
    {
        using var response = await PostRrsAsync(key: null);

        await AssertErrorAsync(response, 401, "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.");
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("")]
    public async Task InvalidKey_Is401WithApimBody(string key)
    {
        var before = _backend.Requests.Count;
        using var response = await PostRrsAsync(key);

        await AssertErrorAsync(response, 401, "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.");
        Assert.Equal(before, _backend.Requests.Count);
    }

    [Fact]
    public async Task SuspendedSubscription_Is401Invalid_AndActiveAgainWorks()
    {
        var sub = $"{TollgateHost.ServicePath(Service)}/subscriptions/alice-starter";
        await _host.OkAsync(HttpMethod.Patch, sub, new { properties = new { state = "suspended" } });
        using (var response = await _host.GatewayHttps!.GetAsync($"/azureml-demo/workspaces/w/services/s/jobs/j1?api-version=2.0&subscription-key={_key}"))
        {
            await AssertErrorAsync(response, 401, "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.");
        }

        await _host.OkAsync(HttpMethod.Patch, sub, new { properties = new { state = "active" } });
        using var again = await _host.GatewayHttps!.GetAsync($"/azureml-demo/workspaces/w/services/s/jobs/j1?api-version=2.0&subscription-key={_key}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task HttpsOnlyApi_OverPlainHttp_IsNotFound()
    {
        using var response = await _host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/azureml-demo/workspaces/w/services/s/jobs/j1?api-version=2.0", _key));

        await AssertErrorAsync(response, 404, "Resource not found");
    }

    [Fact]
    public async Task MissingTemplateQueryParameter_IsOperationNotFound()
    {
        using var response = await PostRrsAsync(_key, "api-version=2.0");

        await AssertErrorAsync(response, 404, "Unable to match incoming request to an operation.");
    }

    [Fact]
    public async Task WrongMethod_IsOperationNotFound()
    {
        using var response = await _host.GatewayHttps!.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Put,
            "/azureml-demo/workspaces/ws1/services/svc1/jobs/j?api-version=2.0", _key, "{}"));

        await AssertErrorAsync(response, 404, "Unable to match incoming request to an operation.");
    }

    private Task<HttpResponseMessage> PostRrsAsync(string? key, string query = "api-version=2.0&details=true") =>
        _host.GatewayHttps!.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Post, $"/azureml-demo/workspaces/ws1/services/svc1/execute?{query}", key, RrsBody));

    internal static async Task AssertErrorAsync(HttpResponseMessage response, int status, string message)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(status, (int)body["statusCode"]!);
        Assert.Equal(message, (string?)body["message"]);
    }
}
