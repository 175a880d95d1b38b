using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// The management API as Azure SDKs reach it: over HTTPS, with the SharedAccessSignature as a bearer token, under a
/// GUID subscription id, with APIM's defaults where APIM always has a resource. The JavaScript SDK test runs
/// Microsoft's own <c>@azure/arm-apimanagement</c> from npm (<c>tests/sdk/js</c>, installed by scripts/test.sh).
/// </summary>
public sealed class AzureSdkTests : IAsyncLifetime
{
    private TollgateHost _host = null!;
    private RecordingBackend _backend = null!;

    public async Task InitializeAsync()
    {
        _backend = await RecordingBackend.StartAsync();
        _host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Management:HttpsUrl"] = "https://127.0.0.1:0" });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private string HttpsUrl => _host.Server.Settings.Management.HttpsUrl!;

    private X509Certificate2 Certificate() =>
        X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(_host.DataDirectory, "gateway-certificate.pfx"), null);

    /// <summary>A client that trusts exactly the management API's certificate, as NODE_EXTRA_CA_CERTS does for node.</summary>
    private HttpClient HttpsClient(string? authorization)
    {
        var expected = Certificate().GetCertHashString();
        var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == expected },
        })
        { BaseAddress = new Uri(HttpsUrl) };
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        return client;
    }

    [Fact]
    public async Task BearerToken_OverHttps_OpensTheManagementApi_AndABadOneIsA401()
    {
        Assert.StartsWith("https://127.0.0.1:", HttpsUrl);
        await _host.CreateServiceAsync("bearer");

        using (var client = HttpsClient("Bearer " + _host.Token))
        using (var response = await client.GetAsync("/subscriptions/sub1/providers/Microsoft.ApiManagement/service?api-version=2024-05-01"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["value"]!.AsArray(), s => (string?)s!["name"] == "bearer");
        }

        using (var client = HttpsClient("Bearer " + _host.Token.Replace("sn=", "sn=AAAA", StringComparison.Ordinal)))
        using (var response = await client.GetAsync("/subscriptions/sub1/providers/Microsoft.ApiManagement/service?api-version=2024-05-01"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Unauthorized", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]);
        }
    }

    [Fact]
    public async Task CheckNameAvailability_SaysValid_Taken_OrInvalid()
    {
        await _host.CreateServiceAsync("taken");

        async Task<JsonNode> CheckAsync(string name)
        {
            using var response = await _host.Management.PostAsync("/subscriptions/another/providers/Microsoft.ApiManagement/checkNameAvailability?api-version=2022-08-01",
                new StringContent(new JsonObject { ["name"] = name, ["type"] = "Microsoft.ApiManagement/service" }.ToJsonString(), MediaTypeHeaderValue.Parse("application/json")));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }

        var free = await CheckAsync("free-name");
        Assert.Equal((true, "Valid"), ((bool)free["nameAvailable"]!, (string?)free["reason"]));
        // Names are host names: taken in any subscription is taken.
        var taken = await CheckAsync("taken");
        Assert.Equal((false, "AlreadyExists"), ((bool)taken["nameAvailable"]!, (string?)taken["reason"]));
        var invalid = await CheckAsync("-not_a_host");
        Assert.Equal((false, "Invalid"), ((bool)invalid["nameAvailable"]!, (string?)invalid["reason"]));

        using var missing = await _host.Management.PostAsync("/subscriptions/another/providers/Microsoft.ApiManagement/checkNameAvailability?api-version=2022-08-01",
            new StringContent("{}", MediaTypeHeaderValue.Parse("application/json")));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("name", (string?)JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
    }

    [Fact]
    public async Task GlobalPolicy_IsAPIMsDefault_UntilSet_AndPolicyGetsCarryETagsThatGuardWrites()
    {
        await _host.CreateServiceAsync("policies");
        var path = TollgateHost.ServicePath("policies") + "/policies/policy";

        string etag;
        using (var response = await _host.SendAsync(HttpMethod.Get, path))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("<forward-request />", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["properties"]!["value"]);
            etag = response.Headers.ETag!.Tag;
        }

        var list = await _host.OkAsync(HttpMethod.Get, TollgateHost.ServicePath("policies") + "/policies");
        Assert.Single(list["value"]!.AsArray());

        const string Document = "<policies><inbound><set-header name=\"X-Global\" exists-action=\"override\"><value>1</value></set-header></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>";
        using (var put = await _host.SendAsync(HttpMethod.Put, path, new { properties = new { format = "xml", value = Document } }, ifMatch: etag))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.NotNull(put.Headers.ETag);
        }

        string current;
        using (var response = await _host.SendAsync(HttpMethod.Get, path))
        {
            current = response.Headers.ETag!.Tag;
            Assert.NotEqual(etag, current);
            Assert.Contains("X-Global", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["properties"]!["value"]);
        }

        // A writer holding the old ETag loses; nothing is changed.
        using (var stale = await _host.SendAsync(HttpMethod.Put, path, new { properties = new { format = "xml", value = Document.Replace("<value>1</value>", "<value>2</value>", StringComparison.Ordinal) } }, ifMatch: etag))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        }

        using (var response = await _host.SendAsync(HttpMethod.Get, path))
        {
            Assert.Equal(current, response.Headers.ETag!.Tag);
        }
    }

    [Fact]
    public async Task AzureSdkForJavaScript_ManagesAnInstance_WithOnlyAnEndpointAndACredential()
    {
        var directory = SdkDirectory();
        var pem = Path.Combine(_host.DataDirectory, "management-certificate.pem");
        using (var certificate = Certificate())
        {
            await File.WriteAllTextAsync(pem, certificate.ExportCertificatePem());
        }

        async Task RunAsync(string phase, string? clientId = null, string? clientSecret = null)
        {
            var info = new ProcessStartInfo("node", ["walkthrough.mjs", phase])
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            info.Environment["TOLLGATE_MANAGEMENT_URL"] = HttpsUrl.TrimEnd('/');
            info.Environment["TOLLGATE_TOKEN"] = _host.Token;
            info.Environment["TOLLGATE_GATEWAY_URL"] = _host.Server.Settings.Gateway.HttpUrl!.TrimEnd('/');
            info.Environment["TOLLGATE_BACKEND_URL"] = _backend.Url;
            info.Environment["NODE_EXTRA_CA_CERTS"] = pem;
            info.Environment["TOLLGATE_CLIENT_ID"] = clientId ?? "";
            info.Environment["TOLLGATE_CLIENT_SECRET"] = clientSecret ?? "";
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

            var output = await stdout;
            Assert.True(process.ExitCode == 0, $"node walkthrough.mjs {phase} exited {process.ExitCode}:\n{output}\n{await stderr}");
            Assert.EndsWith("done", output.TrimEnd());
            Assert.DoesNotContain("FAILED", output);
        }

        await RunAsync("manage");
        // The request log is written in batches: wait until the SDK's one gateway call is stored, then read the reports.
        var writer = (Tollgate.Management.Analytics.AnalyticsWriter)_host.Server.Services!.GetService(typeof(Tollgate.Management.Analytics.AnalyticsWriter))!;
        await writer.WaitForWrittenAsync(1, TimeSpan.FromSeconds(30));
        await RunAsync("report");

        // A pipeline's identity: a service principal, its secret traded for a bearer token by the SDK's credential.
        using var put = await _host.SendAsync(HttpMethod.Put, "/tollgate/servicePrincipals/sdk-pipeline", new { properties = new { displayName = "SDK pipeline" } });
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        var secret = (string)JsonNode.Parse(await put.Content.ReadAsStringAsync())!["properties"]!["clientSecret"]!;
        await RunAsync("principal", "sdk-pipeline", secret);

        // The SDK's call through the gateway reached the backend.
        Assert.Contains(_backend.Requests, r => r.Path.EndsWith("/items/42", StringComparison.Ordinal));
    }

    private static string SdkDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "sdk", "js");
            if (File.Exists(Path.Combine(candidate, "walkthrough.mjs")))
            {
                return File.Exists(Path.Combine(candidate, "node_modules", "@azure", "arm-apimanagement", "package.json"))
                    ? candidate
                    : throw new InvalidOperationException($"{candidate}/node_modules is missing: run scripts/test.sh (it runs npm ci there).");
            }
        }

        throw new InvalidOperationException("tests/sdk/js not found above the test binaries.");
    }
}
