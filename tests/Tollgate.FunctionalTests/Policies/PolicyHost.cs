using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// A Tollgate (management and gateway) on a fake clock with a recording backend and one API <c>echo</c>
/// (operations <c>get</c> GET /items/{id}, <c>post</c> POST /items, <c>any</c> GET /other) in product <c>gold</c>
/// (no policy), and a subscription key for it. Policies are set through the management API, as users do.
/// </summary>
internal sealed class PolicyHost : IAsyncDisposable
{
    public const string Service = "policies";

    private PolicyHost(TollgateHost host, RecordingBackend backend, FakeTimeProvider time)
    {
        Host = host;
        Backend = backend;
        Time = time;
    }

    public TollgateHost Host { get; }

    public RecordingBackend Backend { get; }

    public FakeTimeProvider Time { get; }

    public string Key { get; private set; } = "";

    public static string Svc => TollgateHost.ServicePath(Service);

    public static async Task<PolicyHost> StartAsync(IDictionary<string, string?>? settings = null, object[]? responses = null)
    {
        var backend = await RecordingBackend.StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var host = await TollgateHost.StartAsync(settings, time: time);
        var result = new PolicyHost(host, backend, time);
        await host.CreateServiceAsync(Service);
        await host.PutAsync($"{Svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = backend.Url, protocols = new[] { "http" } } });
        await host.PutAsync($"{Svc}/apis/echo/operations/get", new
        {
            properties = new
            {
                displayName = "Get item",
                method = "GET",
                urlTemplate = "/items/{id}",
                templateParameters = new[] { new { name = "id", type = "string", required = true } },
                responses = responses ?? [],
            },
        });
        await host.PutAsync($"{Svc}/apis/echo/operations/post", new { properties = new { displayName = "Post item", method = "POST", urlTemplate = "/items" } });
        await host.PutAsync($"{Svc}/apis/echo/operations/any", new { properties = new { displayName = "Other", method = "GET", urlTemplate = "/other" } });
        await host.PutAsync($"{Svc}/products/gold", new { properties = new { displayName = "Gold", subscriptionRequired = true, state = "published" } });
        await host.PutAsync($"{Svc}/products/gold/apis/echo", new { });
        result.Key = await host.CreateSubscriptionAsync(Service, "gold-sub", "/products/gold", "/users/1");
        return result;
    }

    /// <summary>Sets a policy document (scope "" = global, "products/x", "apis/echo", "apis/echo/operations/get").</summary>
    public Task SetPolicyAsync(string scope, string xml) =>
        Host.PutAsync($"{Svc}/{(scope.Length == 0 ? "" : scope + "/")}policies/policy", new { properties = new { format = "rawxml", value = xml } });

    /// <summary>An API policy with the given inbound/outbound/backend/on-error content (each with &lt;base /&gt; first).</summary>
    public Task SetApiPolicyAsync(string inbound = "", string outbound = "", string backend = "<base />", string onError = "") =>
        SetPolicyAsync("apis/echo", Document(inbound, outbound, backend, onError));

    /// <summary>Saves an API policy that must be refused: asserts a 400 and returns the error body.</summary>
    public async Task<string> RefusedAsync(string inbound = "", string outbound = "", string backend = "<base />")
    {
        using var response = await Host.SendAsync(HttpMethod.Put, $"{Svc}/apis/echo/policies/policy", new
        {
            properties = new { format = "rawxml", value = Document(inbound, outbound, backend) },
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        return text;
    }

    public static string Document(string inbound = "", string outbound = "", string backend = "<base />", string onError = "") =>
        $"<policies><inbound><base />{inbound}</inbound><backend>{backend}</backend><outbound><base />{outbound}</outbound><on-error><base />{onError}</on-error></policies>";

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, bool withKey = true, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (withKey)
        {
            request.Headers.TryAddWithoutValidation("Ocp-Apim-Subscription-Key", Key);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        configure?.Invoke(request);
        return await Host.Gateway.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path = "/echo/items/42", Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Get, path, configure: configure);

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Backend.DisposeAsync();
    }
}
