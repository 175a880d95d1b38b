using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// Service principals: created by the administrator with a secret shown once, traded at the OAuth 2.0
/// client-credentials endpoint for an hour-long bearer token that opens the management API; a rotated secret, a
/// revoked principal or an expired token is refused.
/// </summary>
public sealed class ServicePrincipalTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TollgateHost _host = null!;

    public async Task InitializeAsync() => _host = await TollgateHost.StartAsync(time: _time);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<HttpResponseMessage> TokenAsync(string clientId, string secret, string grant = "client_credentials")
    {
        using var anonymous = new HttpClient { BaseAddress = _host.Management.BaseAddress };
        return await anonymous.PostAsync("/oauth2/v2.0/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = grant,
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = "https://127.0.0.1/.default",
        }));
    }

    private async Task<HttpStatusCode> ListServicesAsync(string bearer)
    {
        using var client = new HttpClient { BaseAddress = _host.Management.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await client.GetAsync("/subscriptions/sub1/providers/Microsoft.ApiManagement/service?api-version=2022-08-01");
        return response.StatusCode;
    }

    private async Task<string> CreateAsync(string clientId)
    {
        using var put = await _host.SendAsync(HttpMethod.Put, $"/tollgate/servicePrincipals/{clientId}", new { properties = new { displayName = "CI pipeline" } });
        Assert.True(put.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        return (string)JsonNode.Parse(await put.Content.ReadAsStringAsync())!["properties"]!["clientSecret"]!;
    }

    private async Task<string> AccessTokenAsync(string clientId, string secret)
    {
        using var response = await TokenAsync(clientId, secret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Bearer", (string?)body["token_type"]);
        Assert.Equal(3600, (int)body["expires_in"]!);
        return (string)body["access_token"]!;
    }

    [Fact]
    public async Task Principal_GetsATokenThatOpensTheManagementApi_UntilRevoked()
    {
        var secret = await CreateAsync("ci");
        Assert.True(secret.Length >= 40);

        // The secret is shown once: never on GET.
        var got = await _host.OkAsync(HttpMethod.Get, "/tollgate/servicePrincipals/ci");
        Assert.Equal("CI pipeline", (string?)got["properties"]!["displayName"]);
        Assert.Null(got["properties"]!["clientSecret"]);
        Assert.DoesNotContain(secret, (await _host.OkAsync(HttpMethod.Get, "/tollgate/servicePrincipals")).ToJsonString());

        var token = await AccessTokenAsync("ci", secret);
        Assert.Equal(HttpStatusCode.OK, await ListServicesAsync(token));

        using (var delete = await _host.SendAsync(HttpMethod.Delete, "/tollgate/servicePrincipals/ci"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        // Revoked: the token already issued is refused at once, and no new one is issued.
        Assert.Equal(HttpStatusCode.Unauthorized, await ListServicesAsync(token));
        using var again = await TokenAsync("ci", secret);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Equal("invalid_client", (string?)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["error"]);
    }

    [Fact]
    public async Task RotatedSecret_ExpiredOrAlteredToken_AndBadGrants_AreRefused()
    {
        var first = await CreateAsync("deploy");
        var second = await CreateAsync("deploy");
        Assert.NotEqual(first, second);

        using (var old = await TokenAsync("deploy", first))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        using (var grant = await TokenAsync("deploy", second, grant: "password"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, grant.StatusCode);
            Assert.Equal("unsupported_grant_type", (string?)JsonNode.Parse(await grant.Content.ReadAsStringAsync())!["error"]);
        }

        var token = await AccessTokenAsync("deploy", second);
        var altered = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        Assert.Equal(HttpStatusCode.Unauthorized, await ListServicesAsync(altered));
        Assert.Equal(HttpStatusCode.OK, await ListServicesAsync(token));

        _time.Advance(TimeSpan.FromMinutes(62));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListServicesAsync(token));
    }

    [Fact]
    public async Task PrincipalsNeedTheAdministrator_AndBadIdsAreNamed()
    {
        using var anonymous = new HttpClient { BaseAddress = _host.Management.BaseAddress };
        using (var response = await anonymous.GetAsync("/tollgate/servicePrincipals"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var bad = await _host.SendAsync(HttpMethod.Put, "/tollgate/servicePrincipals/has%20space", new { properties = new { displayName = "x" } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("clientId", (string?)JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"]!["details"]![0]!["target"]);
        Assert.Empty((await _host.OkAsync(HttpMethod.Get, "/tollgate/servicePrincipals"))["value"]!.AsArray());
    }
}
