using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Cluster;

/// <summary>
/// The topology of scripts/cluster.sh on loopback, from the same pieces: one PostgreSQL, one Redis, management nodes
/// (<c>--roles management</c>) on that PostgreSQL, gateways (<c>--roles gateway</c>) long-polling management through
/// nginx with their counters in Redis, and nginx (<c>deploy/nginx/loopback.conf.template</c>) balancing the gateways
/// and the management nodes. Studio and Azurite are left out: no test here needs them. One instance, <see cref="Service"/>,
/// with an API <c>echo</c> in front of a <see cref="RecordingBackend"/> and a subscription whose key is <see cref="Key"/>.
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    public const string Service = "cluster";
    public static readonly string Svc = TollgateHost.ServicePath(Service);
    public static readonly string NginxTemplate = Path.Combine(AppContext.BaseDirectory, "deploy", "nginx", "loopback.conf.template");

    private readonly List<IAsyncDisposable> _owned = [];

    private LoopbackCluster()
    {
    }

    public PostgresServer Postgres { get; private set; } = null!;

    public RedisServer Redis { get; private set; } = null!;

    public RecordingBackend Backend { get; private set; } = null!;

    public NginxServer Nginx { get; private set; } = null!;

    public IReadOnlyList<TollgateProcess> Management { get; private set; } = [];

    public IReadOnlyList<TollgateProcess> Gateways { get; private set; } = [];

    /// <summary>A SharedAccessSignature of the administrator key (<c>tollgate token</c>), valid on every management node.</summary>
    public string Token { get; private set; } = "";

    /// <summary>The primary key of subscription <c>s1</c>, scoped to the API <c>echo</c>.</summary>
    public string Key { get; private set; } = "";

    public static async Task<LoopbackCluster> StartAsync(int managementNodes = 2, int gateways = 3)
    {
        var cluster = new LoopbackCluster();
        try
        {
            await cluster.StartPiecesAsync(managementNodes, gateways);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client of one management node (or of nginx's management listener), signed with <see cref="Token"/>.</summary>
    public HttpClient ManagementClient(string baseUrl)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", Token);
        return client;
    }

    /// <summary>Sends to the management API (adding api-version) and requires a 2xx.</summary>
    public static async Task<JsonObject> OkAsync(HttpClient management, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path + (path.Contains('?') ? "&" : "?") + "api-version=2022-08-01");
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        using var response = await management.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? [] : (JsonObject)JsonNode.Parse(text)!;
    }

    /// <summary>Polls one URL of a gateway with short waits until it answers <paramref name="expected"/> (30 s at most).</summary>
    public static async Task WaitForStatusAsync(HttpClient gateway, string path, string? key, HttpStatusCode expected)
    {
        var deadline = Stopwatch.StartNew();
        var last = (HttpStatusCode)0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                using var response = await gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, path, key));
                last = response.StatusCode;
                if (last == expected)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // A gateway being restarted.
            }

            await Task.Delay(10);
        }

        Assert.Fail($"{gateway.BaseAddress}{path.TrimStart('/')} answered {(int)last}, not {(int)expected}, for 30 s");
    }

    /// <summary>Successful calls in the reports of the instance (byApi, the last and next hour).</summary>
    public async Task<int> ReportedSuccessAsync(HttpClient management)
    {
        var range = $"timestamp ge datetime'{DateTimeOffset.UtcNow.AddHours(-1):yyyy-MM-ddTHH:mm:ss}' and timestamp le datetime'{DateTimeOffset.UtcNow.AddHours(1):yyyy-MM-ddTHH:mm:ss}'";
        var report = await OkAsync(management, HttpMethod.Get, $"{Svc}/reports/byApi?$filter={Uri.EscapeDataString(range)}");
        return report["value"]!.AsArray().Sum(r => (int)r!["callCountSuccess"]!);
    }

    /// <summary>Environment of every gateway of this cluster: long-polls management through nginx, counters in Redis.</summary>
    public Dictionary<string, string> GatewayEnvironment(int port) => new()
    {
        ["Tollgate__Gateway__HttpUrl"] = $"http://127.0.0.1:{port}",
        ["Tollgate__Gateway__HttpsUrl"] = "",
        ["Tollgate__Gateway__ManagementUrl"] = Nginx.ManagementUrl,
        ["Tollgate__Gateway__ManagementToken"] = Token,
        ["Tollgate__Gateway__Counters__Provider"] = "redis",
        ["Tollgate__Gateway__Counters__RedisConfiguration"] = Redis.Configuration,
        ["Logging__LogLevel__Default"] = "Warning",
    };

    public async ValueTask DisposeAsync()
    {
        // Gateways first (they post their last records to management), then management, then the engines.
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try
            {
                await _owned[i].DisposeAsync();
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException)
            {
                // Best effort: the rest still stops.
            }
        }
    }

    private T Own<T>(T item)
        where T : IAsyncDisposable
    {
        _owned.Add(item);
        return item;
    }

    private async Task StartPiecesAsync(int managementNodes, int gatewayCount)
    {
        var postgres = PostgresServer.StartAsync();
        var redis = RedisServer.StartAsync();
        var backend = RecordingBackend.StartAsync();
        Postgres = Own(await postgres);
        Redis = Own(await redis);
        Backend = Own(await backend);

        var connectionString = await CreateDatabaseAsync();
        var management = new Dictionary<string, string>
        {
            ["Tollgate__Store__Provider"] = "postgres",
            ["Tollgate__Store__ConnectionString"] = connectionString,
            ["Tollgate__Secrets__Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Tollgate__Management__HttpsUrl"] = "",
            ["Tollgate__Gateway__HttpUrl"] = "",
            ["Tollgate__Gateway__HttpsUrl"] = "",
            ["Logging__LogLevel__Default"] = "Warning",
        };

        // The first node creates the schema; the others start on it.
        var nodes = new List<TollgateProcess>();
        for (var i = 0; i < managementNodes; i++)
        {
            var port = FreePort.Next();
            var node = Own(TollgateProcess.Start($"management{i + 1}", "management", $"http://127.0.0.1:{port}",
                new Dictionary<string, string>(management) { ["Tollgate__Management__Url"] = $"http://127.0.0.1:{port}" }));
            nodes.Add(node);
            if (i == 0)
            {
                await node.WaitReadyAsync();
            }
        }

        await Task.WhenAll(nodes.Skip(1).Select(n => n.WaitReadyAsync()));
        Management = nodes;
        Token = await TollgateProcess.RunCommandAsync(management, "token", "--data-dir", nodes[0].DataDirectory, "--lifetime", "1.00:00:00");

        var gatewayPorts = Enumerable.Range(0, gatewayCount).Select(_ => FreePort.Next()).ToList();
        Nginx = Own(await NginxServer.StartAsync(NginxTemplate, gatewayPorts, nodes.Select(n => n.Port).ToList(), []));

        using var api = ManagementClient(Management[0].Url);
        await OkAsync(api, HttpMethod.Put, Svc, new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } });
        await OkAsync(api, HttpMethod.Put, $"{Svc}/apis/echo", new { properties = new { displayName = "Echo", path = "echo", serviceUrl = Backend.Url, protocols = new[] { "http" } } });
        await OkAsync(api, HttpMethod.Put, $"{Svc}/apis/echo/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/hello" } });
        await OkAsync(api, HttpMethod.Put, $"{Svc}/subscriptions/s1", new { properties = new { scope = "/apis/echo", displayName = "s1", state = "active" } });
        Key = (string)(await OkAsync(api, HttpMethod.Post, $"{Svc}/subscriptions/s1/listSecrets"))["primaryKey"]!;

        Gateways = gatewayPorts.Select((port, i) => Own(TollgateProcess.Start($"gateway{i + 1}", "gateway", $"http://127.0.0.1:{port}", GatewayEnvironment(port)))).ToList();
        await Task.WhenAll(Gateways.Select(g => g.WaitReadyAsync()));
        await Task.WhenAll(Gateways.Select(async g =>
        {
            using var client = new HttpClient { BaseAddress = new Uri(g.Url) };
            await WaitForStatusAsync(client, "/echo/hello", Key, HttpStatusCode.OK);
        }));
        Backend.Requests.Clear();
    }

    private async Task<string> CreateDatabaseAsync()
    {
        var name = "cluster_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new Npgsql.NpgsqlConnection(Postgres.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return $"Host=127.0.0.1;Port={Postgres.Port};Username=postgres;Database={name}";
    }
}
