using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Tollgate.Hosting;

namespace Tollgate.FunctionalTests.Infrastructure;

/// <summary>
/// A real Tollgate process-in-a-test: management and gateway on free loopback ports, a fresh data directory,
/// HTTP clients authenticated the way users are (SharedAccessSignature for management).
/// </summary>
public sealed class TollgateHost : IAsyncDisposable
{
    private readonly bool _ownsDataDirectory;

    private TollgateHost(TollgateServer server, string dataDirectory, bool ownsDataDirectory, string token)
    {
        Server = server;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        Token = token;
        var settings = server.Settings;
        Management = new HttpClient { BaseAddress = new Uri(settings.Management.Url) };
        Management.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token);
        Gateway = new HttpClient { BaseAddress = new Uri(settings.Gateway.HttpUrl!) };
        if (!string.IsNullOrEmpty(settings.Gateway.HttpsUrl))
        {
            GatewayHttps = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
            {
                BaseAddress = new Uri(settings.Gateway.HttpsUrl),
            };
        }
    }

    public TollgateServer Server { get; }

    public string DataDirectory { get; }

    public string Token { get; }

    /// <summary>Management API client (SharedAccessSignature set).</summary>
    public HttpClient Management { get; }

    /// <summary>Gateway over plain HTTP.</summary>
    public HttpClient Gateway { get; }

    /// <summary>Gateway over HTTPS (self-signed certificate accepted).</summary>
    public HttpClient? GatewayHttps { get; }

    public static async Task<TollgateHost> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null, bool https = false, TimeProvider? time = null)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("tollgate-test-").FullName;
        var values = new Dictionary<string, string?>
        {
            ["Tollgate:DataDirectory"] = dataDirectory,
            // Port 0: Kestrel binds a free port itself (no race with other tests); the server reports the real one.
            ["Tollgate:Gateway:HttpUrl"] = "http://127.0.0.1:0",
            ["Tollgate:Gateway:HttpsUrl"] = https ? "https://127.0.0.1:0" : "",
            ["Tollgate:Management:Url"] = "http://127.0.0.1:0",
            ["Tollgate:Studio:Url"] = "http://127.0.0.1:0",
            ["Tollgate:Portal:Url"] = "http://127.0.0.1:0",
            // The portal only where a test asks for it (the browser tests): the API tests need no pages.
            ["Tollgate:Roles"] = "gateway,management,studio",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            values[k] = v;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var server = await TollgateServer.StartAsync(configuration, time);
        var token = await server.TenantAccess!.CreateTokenAsync(TimeSpan.FromHours(2));
        return new TollgateHost(server, dataDirectory, owns, token);
    }

    public static string ServicePath(string service) =>
        $"/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/{service}";

    /// <summary>Sends to the management API, adding api-version.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? ifMatch = null)
    {
        var url = path + (path.Contains('?') ? "&" : "?") + "api-version=2022-08-01";
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body is string s ? s : System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await Management.SendAsync(request);
    }

    /// <summary>Sends and requires a 2xx, returning the JSON body.</summary>
    public async Task<JsonObject> OkAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? [] : (JsonObject)JsonNode.Parse(text)!;
    }

    public Task<JsonObject> PutAsync(string path, object body) => OkAsync(HttpMethod.Put, path, body);

    /// <summary>Creates an instance with the built-ins.</summary>
    public Task<JsonObject> CreateServiceAsync(string service) =>
        PutAsync(ServicePath(service), new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } });

    /// <summary>Creates an active subscription and returns its primary key.</summary>
    public async Task<string> CreateSubscriptionAsync(string service, string id, string scope, string? ownerId = null, string state = "active")
    {
        await PutAsync($"{ServicePath(service)}/subscriptions/{id}", new { properties = new { scope, ownerId, displayName = id, state } });
        var secrets = await OkAsync(HttpMethod.Post, $"{ServicePath(service)}/subscriptions/{id}/listSecrets");
        return (string)secrets["primaryKey"]!;
    }

    public static HttpRequestMessage GatewayRequest(HttpMethod method, string path, string? key = null, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Ocp-Apim-Subscription-Key", key);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Management.Dispose();
        Gateway.Dispose();
        GatewayHttps?.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
        if (_ownsDataDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a file still held open is cleaned with the temp directory.
            }
        }
    }
}
