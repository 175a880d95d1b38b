using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Demo;
using Tollgate.Hosting;
using Tollgate.Studio.Api;

namespace Tollgate.FunctionalTests.Infrastructure;

/// <summary>
/// The <c>tollgate</c> server with only the Studio role (<c>--roles studio</c>) on a free loopback port and a data
/// directory of its own; <see cref="Studio"/> carries the workspace token, <see cref="Client"/> carries nothing.
/// </summary>
public sealed class StudioHost : IAsyncDisposable
{
    private readonly bool _ownsData;

    private StudioHost(TollgateServer server, string dataDirectory, bool ownsData)
    {
        Server = server;
        DataDirectory = dataDirectory;
        _ownsData = ownsData;
        Url = server.Settings.Studio.Url.TrimEnd('/');
        var workspace = server.StudioServices!.GetRequiredService<StudioWorkspace>().Current;
        WorkspaceId = workspace.Id;
        Studio = new HttpClient { BaseAddress = new Uri(Url) };
        Studio.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", workspace.AuthorizationToken);
        Client = new HttpClient { BaseAddress = new Uri(Url) };
        Metrics = new HttpClient { BaseAddress = new Uri(server.Settings.Metrics.Url!) };
    }

    /// <summary>The dedicated metrics listener (<c>Tollgate:Metrics:Url</c>): Studio's own port serves no /metrics.</summary>
    public HttpClient Metrics { get; }

    public TollgateServer Server { get; }

    public string DataDirectory { get; }

    public string Url { get; }

    public string WorkspaceId { get; }

    /// <summary>Studio's own API, with the workspace token.</summary>
    public HttpClient Studio { get; }

    /// <summary>A plain client for RRS/BES (tests set the Bearer key per request).</summary>
    public HttpClient Client { get; }

    public static async Task<StudioHost> StartAsync(string? dataDirectory = null, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("tollgate-studio-").FullName;
        var values = new Dictionary<string, string?>
        {
            ["Tollgate:DataDirectory"] = dataDirectory,
            ["Tollgate:Roles"] = "studio",
            ["Tollgate:Studio:Url"] = "http://127.0.0.1:0",
            ["Tollgate:Metrics:Url"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            values[k] = v;
        }

        var server = await TollgateServer.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), configureStudio: configure);
        return new StudioHost(server, dataDirectory, owns);
    }

    /// <summary>The tutorial's experiment, created, run and published; returns the dashboard's values.</summary>
    public Task<StudioTutorialSetup.Published> PublishTutorialAsync() =>
        StudioTutorialSetup.RunAsync(Studio, Url, Studio.DefaultRequestHeaders.Authorization!.Parameter!, CancellationToken.None);

    /// <summary>Creates an experiment from <paramref name="graph"/>, publishes it and returns (endpoint id, primary key).</summary>
    public async Task<(string Endpoint, string Key, JsonNode Dashboard)> PublishAsync(JsonObject graph, int? maxConcurrentCalls = null)
    {
        var experiment = await OkAsync(HttpMethod.Post, "/studio/experiments", graph);
        var dashboard = await OkAsync(HttpMethod.Post, $"/studio/experiments/{(string)experiment["id"]!}/publish",
            maxConcurrentCalls is null ? new JsonObject() : new JsonObject { ["maxConcurrentCalls"] = maxConcurrentCalls });
        return ((string)dashboard["defaultEndpoint"]!["id"]!, (string)dashboard["defaultEndpoint"]!["primaryKey"]!, dashboard);
    }

    /// <summary>Sends to Studio's API and requires a 2xx.</summary>
    public async Task<JsonNode> OkAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var response = await SendAsync(Studio, method, path, body?.ToJsonString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    public string ServicePath(string endpoint) => $"/workspaces/{WorkspaceId}/services/{endpoint}";

    /// <summary>An RRS/BES call with <c>Authorization: Bearer {key}</c>.</summary>
    public Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, string? key, string? body = null, string scheme = "Bearer") =>
        SendAsync(Client, method, path, body, key is null ? null : $"{scheme} {key}");

    /// <summary>
    /// Submits and starts a BES job of an endpoint with these inputs and outputs, then polls its status as a BES client
    /// does until it ends (Finished, Failed or Cancelled) or a minute has passed; returns the last status.
    /// </summary>
    public async Task<JsonNode> RunBatchJobAsync(string endpoint, string key, JsonObject inputs, JsonObject outputs)
    {
        var path = ServicePath(endpoint);
        string job;
        using (var submit = await CallAsync(HttpMethod.Post, path + "/jobs?api-version=2.0", key,
            new JsonObject { ["Inputs"] = inputs, ["Outputs"] = outputs }.ToJsonString()))
        {
            var text = await submit.Content.ReadAsStringAsync();
            Assert.True(submit.StatusCode == System.Net.HttpStatusCode.OK, text);
            job = text.Trim('"');
        }

        using (var start = await CallAsync(HttpMethod.Post, path + $"/jobs/{job}/start?api-version=2.0", key))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, start.StatusCode);
        }

        // The job runs in the background: its status is polled.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await CallAsync(HttpMethod.Get, path + $"/jobs/{job}?api-version=2.0", key);
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if ((string?)status["StatusCode"] is "Finished" or "Failed" or "Cancelled")
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, status.ToJsonString());
            await Task.Delay(50);
        }
    }

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? body, string? authorization = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Studio.Dispose();
        Client.Dispose();
        Metrics.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
        if (_ownsData)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }
}

/// <summary>Asserts on Studio's error envelope.</summary>
public static class StudioAssert
{
    public static async Task<JsonNode> ErrorAsync(HttpResponseMessage response, int status, string code, string? detailCode = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        var json = JsonNode.Parse(text)!;
        Assert.Equal(code, (string?)json["error"]!["code"]);
        Assert.False(string.IsNullOrEmpty((string?)json["error"]!["message"]));
        if (detailCode is not null)
        {
            Assert.Equal(detailCode, (string?)json["error"]!["details"]![0]!["code"]);
            Assert.False(string.IsNullOrEmpty((string?)json["error"]!["details"]![0]!["message"]));
        }

        return json;
    }
}
