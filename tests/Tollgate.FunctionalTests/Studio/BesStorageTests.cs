using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>
/// BES and the storage a client names (real Azurite): only allow-listed hosts are contacted, a storage that refuses or
/// never answers is one generic error that tells nothing of the port, the submit does not hang on it, and an input blob
/// that is not UTF-8 fails its job with a clear error. The service keeps serving after each.
/// </summary>
public sealed class BesStorageTests : IAsyncLifetime
{
    private AzuriteServer _azurite = null!;
    private BlobContainerClient _container = null!;

    public async Task InitializeAsync() => (_azurite, _container) = await AzuriteContainer.StartAsync();

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    private Task<StudioHost> StartHostAsync(string? allowedHosts = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tollgate:Studio:DefaultStorageConnectionString"] = _azurite.ConnectionString,
            ["Tollgate:Studio:StorageConnectTimeout"] = "00:00:01",
        };
        if (allowedHosts is not null)
        {
            settings["Tollgate:Studio:AllowedStorageHosts"] = allowedHosts;
        }

        return StudioHost.StartAsync(settings: settings);
    }

    private static string Reference(string connectionString, string relative) =>
        new JsonObject { ["ConnectionString"] = connectionString, ["RelativeLocation"] = relative }.ToJsonString();

    private static string AccountAt(int port, string host = "127.0.0.1") =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteServer.AccountKey};BlobEndpoint=http://{host}:{port}/devstoreaccount1;";

    private static Task<HttpResponseMessage> SubmitAsync(StudioHost host, StudioTutorialSetup.Published service, string inputConnectionString) =>
        host.CallAsync(HttpMethod.Post, host.ServicePath(service.EndpointId) + "/jobs?api-version=2.0", service.PrimaryKey,
            "{\"Inputs\":{\"input1\":" + Reference(inputConnectionString, "mycontainer/in.csv") + "}}");

    private async Task AssertBesStillServesAsync(StudioHost host, StudioTutorialSetup.Published service)
    {
        await _container.GetBlobClient("in.csv").UploadAsync(new BinaryData("Col2\nThis is a good day\n"u8.ToArray()), overwrite: true);
        using var response = await SubmitAsync(host, service, _azurite.ConnectionString);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RefusedAndSilentPorts_GetTheSameGenericError_ThatNamesNoPort()
    {
        // 127.0.0.1 on any port is allowed here, as an operator with a local emulator might: the error still tells nothing.
        await using var host = await StartHostAsync(allowedHosts: "127.0.0.1");
        var service = await host.PublishTutorialAsync();
        var refusedPort = FreePort.Next(); // nothing listens there
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts connections, never answers
        silent.Start();
        var silentPort = ((IPEndPoint)silent.LocalEndpoint).Port;
        var accepted = new List<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await silent.AcceptTcpClientAsync());
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        });

        try
        {
            var messages = new List<string>();
            foreach (var port in new[] { refusedPort, silentPort })
            {
                using var response = await SubmitAsync(host, service, AccountAt(port));
                var json = await StudioAssert.ErrorAsync(response, 400, "BadArgument", "InvalidBlob");
                var message = (string)json["error"]!["details"]![0]!["message"]!;
                Assert.DoesNotContain(port.ToString(System.Globalization.CultureInfo.InvariantCulture), message);
                Assert.DoesNotContain("refused", message, StringComparison.OrdinalIgnoreCase);
                messages.Add(message);
            }

            Assert.Equal(messages[0], messages[1]);
        }
        finally
        {
            silent.Stop();
            await accepting;
            accepted.ForEach(c => c.Dispose());
        }

        await AssertBesStillServesAsync(host, service);
    }

    [Fact]
    public async Task HostNotAllowListed_IsRefusedWithoutAConnection_TheDefaultStorageIsAllowed()
    {
        // By default: Azure's blob hosts and the default storage (this Azurite) only.
        await using var host = await StartHostAsync();
        var service = await host.PublishTutorialAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        foreach (var connectionString in new[] { AccountAt(port), AccountAt(_azurite.Port, "localhost"), AccountAt(80, "storage.internal.example") })
        {
            using var response = await SubmitAsync(host, service, connectionString);
            await StudioAssert.ErrorAsync(response, 400, "BadArgument", "StorageHostNotAllowed");
        }

        // An output on a host that is not allowed is refused at submit too.
        using (var output = await host.CallAsync(HttpMethod.Post, host.ServicePath(service.EndpointId) + "/jobs?api-version=2.0", service.PrimaryKey,
            "{\"Inputs\":{\"input1\":" + Reference(_azurite.ConnectionString, "mycontainer/in.csv") + "},\"Outputs\":{\"output1\":" + Reference(AccountAt(port), "c/out.csv") + "}}"))
        {
            await StudioAssert.ErrorAsync(output, 400, "BadArgument", "StorageHostNotAllowed");
        }

        Assert.False(listener.Pending(), "Studio connected to a host that is not allow-listed");
        await AssertBesStillServesAsync(host, service);
    }

    [Fact]
    public async Task InputBlobThatIsNotUtf8_FailsTheJobWithAClearError()
    {
        await using var host = await StartHostAsync();
        var service = await host.PublishTutorialAsync();
        byte[] content = [.. "Col2\nThis is fine\nbro"u8.ToArray(), 0xC3, 0x28, 0xFF, .. "ken\n"u8.ToArray()];
        await _container.GetBlobClient("latin.csv").UploadAsync(new BinaryData(content), overwrite: true);
        string job;
        using (var submitted = await host.CallAsync(HttpMethod.Post, host.ServicePath(service.EndpointId) + "/jobs?api-version=2.0", service.PrimaryKey,
            "{\"Inputs\":{\"input1\":" + Reference(_azurite.ConnectionString, "mycontainer/latin.csv") + "},\"Outputs\":{\"output1\":" + Reference(_azurite.ConnectionString, "mycontainer/latin-out.csv") + "}}"))
        {
            var text = await submitted.Content.ReadAsStringAsync();
            Assert.True(submitted.StatusCode == HttpStatusCode.OK, text);
            job = text.Trim('"');
        }

        using (var start = await host.CallAsync(HttpMethod.Post, host.ServicePath(service.EndpointId) + $"/jobs/{job}/start?api-version=2.0", service.PrimaryKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, start.StatusCode);
        }

        JsonNode status;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await host.CallAsync(HttpMethod.Get, host.ServicePath(service.EndpointId) + $"/jobs/{job}?api-version=2.0", service.PrimaryKey);
            status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if ((string?)status["StatusCode"] is "Finished" or "Failed")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, status.ToJsonString());
            await Task.Delay(50);
        }

        Assert.Equal("Failed", (string?)status["StatusCode"]);
        Assert.Contains("InputParseError", (string?)status["Details"]);
        Assert.Contains("not valid UTF-8", (string?)status["Details"]);
        Assert.False(await _container.GetBlobClient("latin-out.csv").ExistsAsync());
        await AssertBesStillServesAsync(host, service);
    }
}
