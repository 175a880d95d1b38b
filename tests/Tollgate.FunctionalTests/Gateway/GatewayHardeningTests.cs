using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Gateway;

/// <summary>
/// Hardening of what the gateway forwards and exposes: no subscription key reaches a backend, encoded path characters
/// reach it as received, the public listeners serve no metrics, a client that gives up mid-body is not a backend failure.
/// </summary>
public sealed class GatewayHardeningTests() : GatewayServiceTests("hard")
{
    private async Task ApiAsync(string id, string path, string method, params string[] templates)
    {
        await Host.PutAsync($"{Svc}/apis/{id}", new { properties = new { displayName = id, path, serviceUrl = Backend.Url + "/" + id, protocols = new[] { "http" } } });
        var i = 0;
        foreach (var template in templates)
        {
            var parameters = System.Text.RegularExpressions.Regex.Matches(template, "\\{\\*?([^}]+)\\}").Select(m => new { name = m.Groups[1].Value, type = "string", required = true });
            await Host.PutAsync($"{Svc}/apis/{id}/operations/op{i++}", new { properties = new { displayName = template, method, urlTemplate = template, templateParameters = parameters } });
        }
    }

    private async Task StillServesAsync()
    {
        using var response = await Host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/status-0123456789abcdef"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("subscription-key")]
    [InlineData("Subscription-Key")]
    [InlineData("SUBSCRIPTION%2DKEY")]
    [InlineData("subscription%2dkey")]
    public async Task KeyInHeaderAndQuery_NeitherReachesTheBackend(string queryName)
    {
        await ApiAsync("k", "k", "GET", "/x");

        // The header decides (its key is valid); the query's key is another, still a secret that must not travel.
        const string other = "0123456789abcdef0123456789abcdef";
        using var response = await Host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, $"/k/x?a=1%2B1&{queryName}={other}&b=x+y", Key));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Backend.Last;
        Assert.DoesNotContain(other, received.RawTarget, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Key, received.RawTarget, StringComparison.OrdinalIgnoreCase);
        Assert.Null(received.Header("Ocp-Apim-Subscription-Key"));
        // The other parameters travel exactly as the client encoded them.
        Assert.Equal("/k/x?a=1%2B1&b=x+y", received.RawTarget);
        await StillServesAsync();
    }

    [Fact]
    public async Task KeyOnlyInQuery_IsRemoved_OtherParametersKeepTheirEncoding()
    {
        await ApiAsync("q", "q", "GET", "/x");

        using var response = await Host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, $"/q/x?p=%2F%20&subscription-key={Key}&subscription-key=again"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/q/x?p=%2F%20", Backend.Last.RawTarget);
    }

    [Theory]
    [InlineData("/e/files/a%2Fb", "/e/files/a%2Fb")]
    [InlineData("/e/files/a%2fb%20c", "/e/files/a%2fb%20c")]
    [InlineData("/e/files/100%25", "/e/files/100%25")]
    [InlineData("/e/files/a%252Fb", "/e/files/a%252Fb")]
    [InlineData("/e/deep/x%2Fy/z", "/e/deep/x%2Fy/z")]
    public async Task EncodedPathCharacters_ReachTheBackendAsReceived(string requested, string expected)
    {
        await ApiAsync("e", "e", "GET", "/files/{name}", "/deep/*");

        using var response = await Host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, requested, Key));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, Backend.Last.RawTarget);
        await StillServesAsync();
    }

    [Fact]
    public async Task RewriteUri_TemplateParameterWithAnEncodedSlash_IsNotEncodedTwice()
    {
        await ApiAsync("r", "r", "GET", "/files/{name}");
        await Host.PutAsync($"{Svc}/apis/r/operations/op0/policies/policy", new
        {
            properties = new
            {
                format = "rawxml",
                value = "<policies><inbound><base/><rewrite-uri template=\"/store/{name}/raw\" /></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>",
            },
        });

        using var response = await Host.Gateway.SendAsync(TollgateHost.GatewayRequest(HttpMethod.Get, "/r/files/a%2Fb%20c", Key));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/r/store/a%2Fb%20c/raw", Backend.Last.RawTarget);
        await StillServesAsync();
    }

    [Fact]
    public async Task Metrics_AreNotServedOnTheGatewaysPublicListeners()
    {
        await using var host = await TollgateHost.StartAsync(https: true);
        foreach (var client in new[] { host.Gateway, host.GatewayHttps! })
        {
            using var response = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("Resource not found", (string?)body["message"]);
        }

        // Health stays public (load balancers probe it); metrics are on the management listener.
        using var live = await host.Gateway.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var metrics = await host.Management.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task ClientThatStopsMidBody_IsAClientFailure_NotA502()
    {
        await ApiAsync("b", "b", "POST", "/upload");
        var gateway = new Uri(Host.Server.Settings.Gateway.HttpUrl!);

        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(IPAddress.Loopback, gateway.Port);
            var stream = socket.GetStream();
            var head = $"POST /b/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nOcp-Apim-Subscription-Key: {Key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"partial\":";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.FlushAsync();
            // The backend has the request (headers and the start of the body) when the client goes away.
            Assert.True(await Backend.WaitForRequestsAsync(0, TimeSpan.FromSeconds(1)));
            socket.Client.Shutdown(SocketShutdown.Send);
            var reply = new StringBuilder();
            var buffer = new byte[4096];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer)) > 0)
                {
                    reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
            {
                // The gateway aborts a connection whose client stopped sending: when the abort finds bytes of the
                // request still unread, the kernel resets the connection instead of closing it. Either way no answer.
            }

            Assert.DoesNotContain(" 502 ", reply.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("backend could not be reached", reply.ToString(), StringComparison.Ordinal);
        }

        // The request log calls it a client failure, not a backend one.
        var records = await WaitForRecordAsync("b");
        Assert.NotEqual(502, (int)records["responseCode"]!);
        await StillServesAsync();
    }

    private async Task<JsonObject> WaitForRecordAsync(string apiId)
    {
        // The request log is written every 250 ms off the request path: poll the report until the record is there.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var from = DateTime.UtcNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:ssZ");
            var to = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ");
            var report = await Host.OkAsync(HttpMethod.Get, $"{Svc}/reports/byRequest?$filter=timestamp ge datetime'{from}' and timestamp le datetime'{to}' and apiId eq '{apiId}'");
            if (report["value"] is JsonArray { Count: > 0 } rows)
            {
                return (JsonObject)rows[0]!;
            }

            Assert.True(DateTime.UtcNow < deadline, "the request record never arrived");
            await Task.Delay(100);
        }
    }
}
