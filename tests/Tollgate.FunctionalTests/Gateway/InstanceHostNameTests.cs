using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Analytics;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// Every API Management instance is served by the same gateway listeners, chosen by the request's host name:
/// <c>{name}.localhost</c>, the instance's custom host names, and the bare host for the default instance.
/// </summary>
public sealed class InstanceHostNameTests
{
    private const string Key = "shared-key-value-in-both-instances";

    /// <summary>Two instances with the same API path, subscription id and key value, different backends and Starter limits.</summary>
    private static async Task SetUpAsync(TollgateHost host, string service, string backendUrl, int starterCalls)
    {
        var svc = TollgateHost.ServicePath(service);
        await host.CreateServiceAsync(service);
        await host.PutAsync($"{svc}/apis/ml", new { properties = new { displayName = "ML", path = "score", serviceUrl = backendUrl, protocols = new[] { "http", "https" } } });
        await host.PutAsync($"{svc}/apis/ml/operations/predict", new { properties = new { displayName = "Predict", method = "GET", urlTemplate = "/predict" } });
        await host.PutAsync($"{svc}/products/starter/apis/ml", new { });
        await host.PutAsync($"{svc}/products/starter/policies/policy", new
        {
            properties = new { format = "rawxml", value = $"<policies><inbound><base /><rate-limit calls=\"{starterCalls}\" renewal-period=\"60\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });
        await host.PutAsync($"{svc}/subscriptions/s1", new { properties = new { scope = "/products/starter", displayName = "s1", state = "active", primaryKey = Key, secondaryKey = Key + "-2" } });
    }

    private static HttpRequestMessage Call(string url, string? key = Key) => TollgateHost.GatewayRequest(HttpMethod.Get, url, key);

    [Fact]
    public async Task TwoInstances_SamePathAndKey_AreServedByHostName_AndCountedApart()
    {
        await using var backendA = await RecordingBackend.StartAsync();
        await using var backendB = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync(https: true);
        await SetUpAsync(host, "alpha", backendA.Url, starterCalls: 2);
        await SetUpAsync(host, "beta", backendB.Url, starterCalls: 3);

        // The gatewayUrl GET shows is called as printed. Browsers and curl resolve *.localhost to loopback themselves;
        // .NET asks the system resolver, which may not (glibc without nss-myhostname): the client connects to
        // 127.0.0.1 the way they do, and sends the URL's host name (Host header and SNI) unchanged.
        var beta = await host.OkAsync(HttpMethod.Get, TollgateHost.ServicePath("beta"));
        var betaUrl = (string)beta["properties"]!["gatewayUrl"]!;
        var httpsPort = new Uri(host.Server.Settings.Gateway.HttpsUrl!).Port;
        Assert.Equal($"https://beta.localhost:{httpsPort}", betaUrl);
        Assert.Equal($"http://beta.portal.localhost:{new Uri(host.Server.Settings.Portal.Url).Port}", (string?)beta["properties"]!["developerPortalUrl"]);
        using var resolving = HostNameClient.Create();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await resolving.SendAsync(Call(betaUrl + "/score/predict"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // Beta's Starter allows 3 calls a minute: the fourth is refused, while alpha's counter for the same
        // subscription id and key value has not moved.
        using (var limited = await resolving.SendAsync(Call(betaUrl + "/score/predict")))
        {
            Assert.Equal((HttpStatusCode)429, limited.StatusCode);
        }

        Assert.Equal(3, backendB.Requests.Count);
        Assert.Empty(backendA.Requests);

        // Alpha by Host header on the plain listener, then on the bare host (alpha is the default instance: it was
        // created first): two calls pass, the third meets alpha's own limit of 2.
        var http = host.Server.Settings.Gateway.HttpUrl!;
        using (var byHost = Call(http + "/score/predict"))
        {
            byHost.Headers.Host = "alpha.localhost";
            using var response = await host.Gateway.SendAsync(byHost);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var bare = await host.Gateway.SendAsync(Call("/score/predict")))
        {
            Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        }

        using (var third = await host.Gateway.SendAsync(Call("/score/predict")))
        {
            Assert.Equal((HttpStatusCode)429, third.StatusCode);
        }

        Assert.Equal(2, backendA.Requests.Count);
        Assert.Equal(3, backendB.Requests.Count);

        // A host name of no instance: APIM's 404, never another instance's API.
        using (var unknown = Call(http + "/score/predict"))
        {
            unknown.Headers.Host = "gamma.localhost";
            using var response = await host.Gateway.SendAsync(unknown);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("""{"statusCode":404,"message":"Resource not found"}""", await response.Content.ReadAsStringAsync());
        }

        // Each instance's reports count its own calls only.
        var writer = (AnalyticsWriter)host.Server.Services!.GetService(typeof(AnalyticsWriter))!;
        await writer.WaitForWrittenAsync(7, TimeSpan.FromSeconds(30));
        var range = $"$filter=timestamp ge datetime'{DateTimeOffset.UtcNow.AddHours(-1):yyyy-MM-ddTHH:mm:ss}' and timestamp le datetime'{DateTimeOffset.UtcNow.AddMinutes(1):yyyy-MM-ddTHH:mm:ss}'";
        foreach (var (service, success, blocked) in new[] { ("alpha", 2, 1), ("beta", 3, 1) })
        {
            var byApi = await host.OkAsync(HttpMethod.Get, $"{TollgateHost.ServicePath(service)}/reports/byApi?{range}");
            var row = byApi["value"]!.AsArray().Single()!;
            Assert.Equal(success, (int)row["callCountSuccess"]!);
            Assert.Equal(blocked, (int)row["callCountBlocked"]!);
        }

        // Deleting beta stops serving it; alpha keeps serving (its all-APIs subscription has no limit).
        var all = await host.CreateSubscriptionAsync("alpha", "all", "/apis");
        await host.OkAsync(HttpMethod.Delete, TollgateHost.ServicePath("beta"));
        using (var gone = await resolving.SendAsync(Call(betaUrl + "/score/predict")))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            Assert.Equal("""{"statusCode":404,"message":"Resource not found"}""", await gone.Content.ReadAsStringAsync());
        }

        var alphaUrl = (string)(await host.OkAsync(HttpMethod.Get, TollgateHost.ServicePath("alpha")))["properties"]!["gatewayUrl"]!;
        using (var still = await resolving.SendAsync(Call(alphaUrl + "/score/predict", all)))
        {
            Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        }

        Assert.Equal(3, backendA.Requests.Count);
    }

    [Fact]
    public async Task CustomHostName_WithCertificate_IsServedOverHttpsWithIt_WithoutOne_OverHttpOnly()
    {
        await using var backend = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync(https: true);
        await SetUpAsync(host, "alpha", backend.Url, starterCalls: 100);
        var svc = TollgateHost.ServicePath("alpha");
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=api.contoso.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("api.contoso.test");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var pfx = Convert.ToBase64String(certificate.Export(X509ContentType.Pfx, "pfx-password"));

        var service = await host.PutAsync(svc, new
        {
            location = "local",
            properties = new
            {
                publisherName = "Contoso ML",
                publisherEmail = "admin@contoso.example",
                hostnameConfigurations = new object[]
                {
                    new { type = "Proxy", hostName = "api.contoso.test", encodedCertificate = pfx, certificatePassword = "pfx-password" },
                    new { type = "Proxy", hostName = "plain.contoso.test" },
                },
            },
        });
        var httpPort = new Uri(host.Server.Settings.Gateway.HttpUrl!).Port;
        var httpsPort = new Uri(host.Server.Settings.Gateway.HttpsUrl!).Port;
        var configs = service["properties"]!["hostnameConfigurations"]!.AsArray();
        Assert.DoesNotContain("pfx-password", service.ToJsonString());
        Assert.DoesNotContain("encodedCertificate", service.ToJsonString());
        Assert.Equal("Custom", (string?)configs[0]!["certificateSource"]);
        Assert.Equal(certificate.Thumbprint, (string?)configs[0]!["certificate"]!["thumbprint"]);
        Assert.Equal([$"https://api.contoso.test:{httpsPort}", $"http://api.contoso.test:{httpPort}"], configs[0]!["urls"]!.AsArray().Select(u => (string)u!));
        Assert.Equal("None", (string?)configs[1]!["certificateSource"]);
        Assert.Equal([$"http://plain.contoso.test:{httpPort}"], configs[1]!["urls"]!.AsArray().Select(u => (string)u!));

        // SNI picks the host name's own certificate.
        X509Certificate2? presented = null;
        using var client = HostNameClient.Create(c => presented = c);
        using (var response = await client.SendAsync(Call($"https://api.contoso.test:{httpsPort}/score/predict")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(certificate.Thumbprint, presented!.Thumbprint);
        }

        // Without a certificate: HTTP serves, HTTPS does not.
        using (var response = await client.SendAsync(Call($"http://plain.contoso.test:{httpPort}/score/predict")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await client.SendAsync(Call($"https://plain.contoso.test:{httpsPort}/score/predict")))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        // A GET-modify-PUT round trip keeps the stored certificate.
        var round = (JsonObject)service.DeepClone();
        round["properties"]!["publisherName"] = "Contoso ML Ltd";
        var again = await host.PutAsync(svc, round);
        Assert.Equal(certificate.Thumbprint, (string?)again["properties"]!["hostnameConfigurations"]![0]!["certificate"]!["thumbprint"]);

        // Another instance cannot claim the host name; a certificate that does not cover the host name is refused.
        await host.CreateServiceAsync("beta");
        using var taken = await host.SendAsync(HttpMethod.Patch, TollgateHost.ServicePath("beta"), new { properties = new { hostnameConfigurations = new[] { new { type = "Proxy", hostName = "api.contoso.test" } } } });
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        Assert.Contains("hostnameConfigurations[0].hostName", await taken.Content.ReadAsStringAsync());
        using var wrong = await host.SendAsync(HttpMethod.Patch, TollgateHost.ServicePath("beta"), new
        {
            properties = new { hostnameConfigurations = new[] { new { type = "Proxy", hostName = "other.contoso.test", encodedCertificate = pfx, certificatePassword = "pfx-password" } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("does not cover host name 'other.contoso.test'", await wrong.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GatewayServingAList_AnswersNotFoundForOtherInstances()
    {
        await using var backendA = await RecordingBackend.StartAsync();
        await using var backendB = await RecordingBackend.StartAsync();
        await using var host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Gateway:Services"] = "beta" });
        await SetUpAsync(host, "alpha", backendA.Url, starterCalls: 5);
        await SetUpAsync(host, "beta", backendB.Url, starterCalls: 5);

        using (var alpha = Call("/score/predict"))
        {
            alpha.Headers.Host = "alpha.localhost";
            using var response = await host.Gateway.SendAsync(alpha);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        // The bare host is the first instance served: beta.
        using (var bare = await host.Gateway.SendAsync(Call("/score/predict")))
        {
            Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        }

        Assert.Empty(backendA.Requests);
        Assert.Single(backendB.Requests);
    }
}
