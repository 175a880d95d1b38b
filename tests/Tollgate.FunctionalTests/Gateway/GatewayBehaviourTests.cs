using System.Net;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>Config changes on the next request, key scopes, open products, template matching and backend failures.</summary>
public sealed class GatewayBehaviourTests : IAsyncLifetime
{
    private const string Service = "gw";
    private static readonly string Svc = TollgateHost.ServicePath(Service);
    private TollgateHost _host = null!;
    private RecordingBackend _backend = null!;

    public async Task InitializeAsync()
    {
        _backend = await RecordingBackend.StartAsync();
        _host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Gateway:BackendTimeout"] = "00:00:01" });
        await _host.CreateServiceAsync(Service);
        await CreateApiAsync("echo", "echo", _backend.Url);
        await CreateOperationAsync("echo", "get-item", "GET", "/items/{id}", "id");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private Task CreateApiAsync(string id, string path, string serviceUrl, bool subscriptionRequired = true, object? keyNames = null) =>
        _host.PutAsync($"{Svc}/apis/{id}", new
        {
            properties = new { displayName = id, path, serviceUrl, protocols = new[] { "http", "https" }, subscriptionRequired, subscriptionKeyParameterNames = keyNames },
        });

    private Task CreateOperationAsync(string api, string id, string method, string template, params string[] parameters) =>
        _host.PutAsync($"{Svc}/apis/{api}/operations/{id}", new
        {
            properties = new { displayName = id, method, urlTemplate = template, templateParameters = parameters.Select(p => new { name = p, type = "string", required = true }) },
        });

    private async Task<HttpStatusCode> CallAsync(HttpMethod method, string path, string? key)
    {
        using var response = await _host.Gateway.SendAsync(TollgateHost.GatewayRequest(method, path, key));
        return response.StatusCode;
    }

    [Fact]
    public async Task NewOperation_IsRoutedOnTheNextRequest()
    {
        var key = await _host.CreateSubscriptionAsync(Service, "s-new-op", "/apis/echo");
        Assert.Equal(HttpStatusCode.NotFound, await CallAsync(HttpMethod.Post, "/echo/orders", key));

        await CreateOperationAsync("echo", "create-order", "POST", "/orders");

        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Post, "/echo/orders", key));
        Assert.Equal("/orders", _backend.Last.Path);
    }

    [Fact]
    public async Task DeletedApi_IsNotFoundOnTheNextRequest()
    {
        await CreateApiAsync("temp", "temp", _backend.Url);
        await CreateOperationAsync("temp", "op", "GET", "/x");
        var key = await _host.CreateSubscriptionAsync(Service, "s-temp", "/apis");
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/temp/x", key));

        using (var deleted = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/apis/temp"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        using var response = await _host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/temp/x", key));
        await TutorialPart2Tests.AssertErrorAsync(response, 404, "Resource not found");
        using var operations = await _host.SendAsync(HttpMethod.Get, $"{Svc}/apis/temp/operations");
        Assert.Equal(HttpStatusCode.NotFound, operations.StatusCode);
    }

    [Fact]
    public async Task RegeneratedKey_OldKeyIsInvalid_NewKeyWorks()
    {
        var old = await _host.CreateSubscriptionAsync(Service, "s-regen", "/apis/echo");
        await _host.OkAsync(HttpMethod.Post, $"{Svc}/subscriptions/s-regen/regeneratePrimaryKey");
        var secrets = await _host.OkAsync(HttpMethod.Post, $"{Svc}/subscriptions/s-regen/listSecrets");

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(HttpMethod.Get, "/echo/items/1", old));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/echo/items/1", (string)secrets["primaryKey"]!));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/echo/items/1", (string)secrets["secondaryKey"]!));
    }

    [Theory]
    [InlineData("/apis/echo", HttpStatusCode.OK)]
    [InlineData("/apis", HttpStatusCode.OK)]
    [InlineData("/", HttpStatusCode.OK)]
    [InlineData("/apis/other", HttpStatusCode.Unauthorized)]
    [InlineData("/products/unlimited", HttpStatusCode.Unauthorized)]
    public async Task SubscriptionScope_DecidesAccess(string scope, HttpStatusCode expected)
    {
        await CreateApiAsync("other", "other", _backend.Url);
        var id = "scope-" + Math.Abs(scope.GetHashCode());
        var key = await _host.CreateSubscriptionAsync(Service, id, scope);

        Assert.Equal(expected, await CallAsync(HttpMethod.Get, "/echo/items/7", key));
    }

    [Fact]
    public async Task ProductScope_AllowsOnlyApisOfTheProduct()
    {
        var key = await _host.CreateSubscriptionAsync(Service, "s-unlimited", "/products/unlimited");
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(HttpMethod.Get, "/echo/items/7", key));

        await _host.PutAsync($"{Svc}/products/unlimited/apis/echo", new { });

        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/echo/items/7", key));
    }

    [Theory]
    [InlineData("submitted")]
    [InlineData("cancelled")]
    [InlineData("rejected")]
    [InlineData("expired")]
    public async Task InactiveSubscription_IsInvalid(string state)
    {
        var key = await _host.CreateSubscriptionAsync(Service, "s-" + state, "/apis/echo", state: state);

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(HttpMethod.Get, "/echo/items/1", key));
    }

    [Fact]
    public async Task BlockedUser_KeyIsInvalid()
    {
        await _host.PutAsync($"{Svc}/users/bob", new { properties = new { email = "bob@example.com", firstName = "Bob", lastName = "B" } });
        var key = await _host.CreateSubscriptionAsync(Service, "s-bob", "/apis/echo", "/users/bob");
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/echo/items/1", key));

        await _host.OkAsync(HttpMethod.Patch, $"{Svc}/users/bob", new { properties = new { state = "blocked" } });

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(HttpMethod.Get, "/echo/items/1", key));
    }

    [Fact]
    public async Task OpenProduct_AllowsCallsWithoutKey()
    {
        await CreateApiAsync("public", "public", _backend.Url);
        await CreateOperationAsync("public", "op", "GET", "/hello");
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(HttpMethod.Get, "/public/hello", null));

        await _host.PutAsync($"{Svc}/products/open", new { properties = new { displayName = "Open", subscriptionRequired = false, state = "published" } });
        await _host.PutAsync($"{Svc}/products/open/apis/public", new { });

        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/public/hello", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(HttpMethod.Get, "/public/hello", "not-a-key"));
    }

    [Fact]
    public async Task ApiWithoutSubscriptionRequired_AllowsCallsWithoutKey()
    {
        await CreateApiAsync("free", "free", _backend.Url, subscriptionRequired: false);
        await CreateOperationAsync("free", "op", "GET", "/hello");

        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/free/hello", null));
    }

    [Fact]
    public async Task CustomKeyNames_AreUsedAndNotForwarded()
    {
        await CreateApiAsync("custom", "custom", _backend.Url, keyNames: new { header = "X-Api-Key", query = "apikey" });
        await CreateOperationAsync("custom", "op", "GET", "/hello");
        var key = await _host.CreateSubscriptionAsync(Service, "s-custom", "/apis/custom");

        using var header = new HttpRequestMessage(HttpMethod.Get, "/custom/hello");
        header.Headers.TryAddWithoutValidation("X-Api-Key", key);
        using (var response = await _host.Gateway.SendAsync(header))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Null(_backend.Last.Header("X-Api-Key"));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, $"/custom/hello?apikey={key}&x=1", null));
        Assert.Equal("?x=1", _backend.Last.QueryString);
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(HttpMethod.Get, "/custom/hello", key));
    }

    [Fact]
    public async Task Templates_WildcardsAndQueryParametersMatch()
    {
        await CreateOperationAsync("echo", "files", "GET", "/files/*");
        await CreateOperationAsync("echo", "named-rest", "GET", "/docs/{*rest}", "rest");
        await CreateOperationAsync("echo", "search", "GET", "/search?q={q}", "q");
        await CreateOperationAsync("echo", "literal-query", "GET", "/mode?kind=fast");
        var key = await _host.CreateSubscriptionAsync(Service, "s-templates", "/apis/echo");

        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/echo/files/a/b/c.txt", key));
        Assert.Equal("/files/a/b/c.txt", _backend.Last.Path);
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/echo/docs/x/y", key));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/echo/search?q=cats&page=2", key));
        Assert.Equal("?q=cats&page=2", _backend.Last.QueryString);
        Assert.Equal(HttpStatusCode.NotFound, await CallAsync(HttpMethod.Get, "/echo/search", key));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/echo/mode?kind=fast", key));
        Assert.Equal(HttpStatusCode.NotFound, await CallAsync(HttpMethod.Get, "/echo/mode?kind=slow", key));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/ECHO/Items/42", key));
    }

    [Fact]
    public async Task StatusEndpoint_AnswersWithoutKey()
    {
        using var response = await _host.Gateway.GetAsync("/status-0123456789abcdef");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task BackendDown_Is502WithBody()
    {
        await CreateApiAsync("down", "down", $"http://127.0.0.1:{FreePort.Next()}");
        await CreateOperationAsync("down", "op", "GET", "/x");
        var key = await _host.CreateSubscriptionAsync(Service, "s-down", "/apis/down");

        using var response = await _host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/down/x", key));

        await TutorialPart2Tests.AssertErrorAsync(response, 502, "The backend could not be reached or sent an invalid response.");
    }

    [Fact]
    public async Task BackendSlow_Is504WithBody()
    {
        var key = await _host.CreateSubscriptionAsync(Service, "s-slow", "/apis/echo");
        _backend.Hold = true;

        using var response = await _host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/echo/items/slow", key));

        await TutorialPart2Tests.AssertErrorAsync(response, 504, "The backend did not respond in time.");
        _backend.Hold = false;
        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Get, "/echo/items/after", key));
    }

    [Fact]
    public async Task BackendErrorStatus_IsPassedThrough()
    {
        var key = await _host.CreateSubscriptionAsync(Service, "s-500", "/apis/echo");
        _backend.StatusCode = 500;
        try
        {
            Assert.Equal(HttpStatusCode.InternalServerError, await CallAsync(HttpMethod.Get, "/echo/items/1", key));
        }
        finally
        {
            _backend.StatusCode = 200;
        }
    }

    [Fact]
    public async Task ApiPathWithSegments_AndServiceUrlWithBasePath_Forward()
    {
        await CreateApiAsync("nested", "ml/sentiment", _backend.Url + "/v1");
        await CreateOperationAsync("nested", "score", "POST", "/models/{modelId}/score", "modelId");
        var key = await _host.CreateSubscriptionAsync(Service, "s-nested", "/apis/nested");

        Assert.Equal(HttpStatusCode.OK, await CallAsync(HttpMethod.Post, "/ml/sentiment/models/m1/score?x=1", key));
        Assert.Equal("/v1/models/m1/score", _backend.Last.Path);
        Assert.Equal("?x=1", _backend.Last.QueryString);
    }
}
