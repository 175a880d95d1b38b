using Tollgate.Security;
using System.Net;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// Management leaks nothing: tokens cannot live forever, a backend URL's password is never shown, and the data
/// directory is readable by its owner only.
/// </summary>
public sealed class ManagementHardeningTests
{
    private const string Service = "mh";
    private static readonly string Svc = TollgateHost.ServicePath(Service);

    [Fact]
    public async Task SasToken_ExpiringFarAhead_IsRefusedNamingWhy_ValidOnesStillWork()
    {
        await using var host = await TollgateHost.StartAsync();
        await host.CreateServiceAsync(Service);
        var credentials = await host.Server.TenantAccess!.GetAsync();

        foreach (var expiry in new[] { new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.UtcNow.AddDays(31) })
        {
            using var forever = new HttpRequestMessage(HttpMethod.Get, $"{Svc}/apis?api-version=2022-08-01");
            forever.Headers.TryAddWithoutValidation("Authorization", SharedAccessSignature.Create(credentials.Id, credentials.PrimaryKey, expiry));
            using var client = new HttpClient { BaseAddress = host.Management.BaseAddress };
            using var refused = await client.SendAsync(forever);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            var message = (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["message"];
            Assert.Contains("at most 30 days", message, StringComparison.Ordinal);
        }

        using var ok = new HttpRequestMessage(HttpMethod.Get, $"{Svc}/apis?api-version=2022-08-01");
        ok.Headers.TryAddWithoutValidation("Authorization", SharedAccessSignature.Create(credentials.Id, credentials.PrimaryKey, DateTimeOffset.UtcNow.AddDays(29)));
        using var plain = new HttpClient { BaseAddress = host.Management.BaseAddress };
        using var accepted = await plain.SendAsync(ok);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => host.Server.TenantAccess.CreateTokenAsync(TimeSpan.FromDays(365)));
    }

    [Fact]
    public async Task ServiceUrlPassword_IsMaskedInEveryResponse_ForwardingStillUsesIt()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync();
        await host.CreateServiceAsync(Service);
        var url = backend.Url.Replace("http://", "http://ml-user:s3cret-pw@", StringComparison.Ordinal) + "/svc";
        var masked = backend.Url.Replace("http://", "http://ml-user:***@", StringComparison.Ordinal) + "/svc";

        var put = await host.PutAsync($"{Svc}/apis/ml", new { properties = new { displayName = "ML", path = "ml", serviceUrl = url, protocols = new[] { "http" } } });
        Assert.Equal(masked, (string?)put["properties"]!["serviceUrl"]);
        await host.PutAsync($"{Svc}/apis/ml/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/x" } });
        var key = await host.CreateSubscriptionAsync(Service, "s", "/apis/ml");

        var bodies = new List<string>();
        foreach (var path in new[] { $"{Svc}/apis/ml", $"{Svc}/apis", $"{Svc}/apis?$filter=contains(properties/serviceUrl,'s3cret')", $"{Svc}/products/starter/apis" })
        {
            using var response = await host.SendAsync(HttpMethod.Get, path);
            bodies.Add(await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var patched = await host.OkAsync(HttpMethod.Patch, $"{Svc}/apis/ml", new { properties = new { displayName = "ML 2" } });
        bodies.Add(patched.ToJsonString());
        Assert.All(bodies, b => Assert.DoesNotContain("s3cret-pw", b, StringComparison.Ordinal));
        Assert.Equal(masked, (string?)JsonNode.Parse(bodies[0])!["properties"]!["serviceUrl"]);
        // A filter sees what GET shows: it cannot probe the password.
        Assert.Empty(JsonNode.Parse(bodies[2])!["value"]!.AsArray());

        // What a GET showed, written back (a client's GET-modify-PUT), keeps the password.
        var roundTrip = (JsonObject)JsonNode.Parse(bodies[0])!;
        await host.PutAsync($"{Svc}/apis/ml", new { properties = new { displayName = "ML 3", path = "ml", serviceUrl = (string?)roundTrip["properties"]!["serviceUrl"], protocols = new[] { "http" } } });
        var api = host.Server.Gateway!.State.Snapshot.Apis.Single(a => a.Id == "ml");
        Assert.Equal(url, api.ServiceUrl);

        // The gateway forwards to the real URL.
        using var call = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/ml/x", key));
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.Equal("/svc/x", backend.Last.Path);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task DataDirectoryAndItsFiles_AreOwnerOnly()
    {
        var parent = Directory.CreateTempSubdirectory("tollgate-modes-").FullName;
        var data = Path.Combine(parent, "data");
        try
        {
            await using var backend = await RecordingBackend.StartAsync();
            await using (var host = await TollgateHost.StartAsync(dataDirectory: data, https: true))
            {
                await host.CreateServiceAsync(Service);
                await host.PutAsync($"{Svc}/apis/q", new { properties = new { displayName = "Q", path = "q", serviceUrl = backend.Url, protocols = new[] { "http" } } });
                await host.PutAsync($"{Svc}/apis/q/operations/get", new { properties = new { displayName = "Get", method = "GET", urlTemplate = "/x" } });
                await host.PutAsync($"{Svc}/products/starter/apis/q", new { });
                var key = await host.CreateSubscriptionAsync(Service, "s", "/products/starter");
                // The Starter product's quota counts the call; the counts reach the file within a second.
                using var call = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/q/x", key));
                Assert.Equal(HttpStatusCode.OK, call.StatusCode);
                var counters = Path.Combine(data, "quota-counters.json");
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (!File.Exists(counters) && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }

                Assert.Equal(PrivateFiles.DirectoryMode, File.GetUnixFileMode(data));
                var files = new[] { "tollgate.db", "secrets.key", "gateway-certificate.pfx", "quota-counters.json" }
                    .Concat(Directory.GetFiles(data, "tollgate.db-*").Select(Path.GetFileName)!).ToList();
                Assert.All(files, f => Assert.Equal((f, PrivateFiles.FileMode), (f, File.GetUnixFileMode(Path.Combine(data, f!)))));

                using var again = await host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/q/x", key));
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            }
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }
}
