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

    [Theory]
    [InlineData("openapi", null, "application/yaml", "openapi: 3.0")]
    [InlineData("openapi%2Bjson", null, "application/json", "\"openapi\": \"3.0")]
    [InlineData("swagger-json", null, "application/json", "\"swagger\": \"2.0\"")]
    [InlineData(null, "application/vnd.oai.openapi", "application/yaml", "openapi: 3.0")]
    [InlineData(null, "application/vnd.swagger.doc+json", "application/json", "\"swagger\": \"2.0\"")]
    [InlineData(null, null, "application/json", "\"openapi\": \"3.0")]
    public async Task Document_IsTheFormatAsked_ByNameOrAcceptHeader(string? format, string? accept, string contentType, string marker)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_svc}/apis/scoring?export=true{(format is null ? "" : "&format=" + format)}&api-version=2022-08-01");
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await _host.Management.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(marker, text);
        Assert.Contains("/score/{model}", text);
    }

    [Fact]
    public async Task Document_InAFormatTollgateDoesNotExport_IsA400NamingFormat()
    {
        foreach (var format in new[] { "wadl-xml", "wsdl", "nonsense" })
        {
            using var refused = await _host.SendAsync(HttpMethod.Get, $"{_svc}/apis/scoring?export=true&format={format}");
            var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("format", (string?)error["details"]![0]!["target"]);
            Assert.Contains("no WADL or WSDL", (string?)error["details"]![0]!["message"]);
        }
    }
}
