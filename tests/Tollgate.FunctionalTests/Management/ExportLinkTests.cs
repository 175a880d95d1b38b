using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// APIM's export by link: the answer is <c>{id, format, value:{link}}</c>; the link downloads the document without
/// credentials for five minutes, and an altered or expired link is refused.
/// </summary>
public sealed class ExportLinkTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TollgateHost _host = null!;
    private string _svc = null!;

    public async Task InitializeAsync()
    {
        _host = await TollgateHost.StartAsync(time: _time);
        await _host.CreateServiceAsync("exports");
        _svc = TollgateHost.ServicePath("exports");
        await _host.PutAsync($"{_svc}/apis/scoring", new { properties = new { displayName = "Scoring", path = "scoring", serviceUrl = "http://127.0.0.1:9", protocols = new[] { "https" } } });
        await _host.PutAsync($"{_svc}/apis/scoring/operations/score", new { properties = new { displayName = "Score", method = "POST", urlTemplate = "/score/{model}", templateParameters = new[] { new { name = "model", type = "string", required = true } } } });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string> LinkAsync(string format)
    {
        var exported = await _host.OkAsync(HttpMethod.Get, $"{_svc}/apis/scoring?export=true&format={Uri.EscapeDataString(format)}");
        Assert.Equal($"{_svc}/apis/scoring", (string?)exported["id"]);
        return (string)exported["value"]!["link"]!;
    }

    [Theory]
    [InlineData("openapi-link", "openapi-link", "openapi: 3.0")]
    [InlineData("openapi+json-link", "openapi-link", "\"openapi\": \"3.0")]
    [InlineData("swagger-link", "swagger-link-json", "\"swagger\": \"2.0\"")]
    public async Task Link_DownloadsTheDocumentWithoutCredentials(string format, string resultFormat, string marker)
    {
        var exported = await _host.OkAsync(HttpMethod.Get, $"{_svc}/apis/scoring?export=true&format={Uri.EscapeDataString(format)}");
        Assert.Equal(resultFormat, (string?)exported["format"]);

        using var anonymous = new HttpClient();
        var document = await anonymous.GetStringAsync((string)exported["value"]!["link"]!);
        Assert.Contains(marker, document);
        Assert.Contains("/score/{model}", document);
    }

    [Fact]
    public async Task AlteredOrExpiredLink_IsRefused_AndUnknownFormatsAreNamed()
    {
        var link = await LinkAsync("openapi+json-link");
        using var anonymous = new HttpClient();

        using (var altered = await anonymous.GetAsync(link.Replace("/apis/scoring", "/apis/other", StringComparison.Ordinal)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, altered.StatusCode);
        }

        _time.Advance(TimeSpan.FromMinutes(6));
        using (var expired = await anonymous.GetAsync(link))
        {
            Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
            Assert.Contains("expired", (string?)JsonNode.Parse(await expired.Content.ReadAsStringAsync())!["error"]!["message"]);
        }

        using var unknown = await _host.SendAsync(HttpMethod.Get, $"{_svc}/apis/scoring?export=true&format=wadl-link");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("format", (string?)JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
    }
}
