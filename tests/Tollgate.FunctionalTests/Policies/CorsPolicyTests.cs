using System.Net;

namespace Tollgate.FunctionalTests.Policies;

/// <summary><c>cors</c> through the real gateway: preflight answered without an OPTIONS operation, headers on calls.</summary>
public sealed class CorsPolicyTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private const string Origin = "https://app.contoso.example";

    private const string Cors = """
        <cors allow-credentials="true">
          <allowed-origins><origin>https://app.contoso.example</origin></allowed-origins>
          <allowed-methods preflight-result-max-age="300"><method>GET</method><method>POST</method></allowed-methods>
          <allowed-headers><header>content-type</header><header>x-custom</header></allowed-headers>
          <expose-headers><header>x-request-id</header></expose-headers>
        </cors>
        """;

    private PolicyHost H => fixture.Host;

    [Fact]
    public async Task Preflight_WithoutOptionsOperationOrKey_IsAnsweredByTheGateway()
    {
        await H.SetApiPolicyAsync(inbound: Cors);
        var before = H.Backend.Requests.Count;

        using var response = await H.SendAsync(HttpMethod.Options, "/echo/items/42", withKey: false, configure: r =>
        {
            r.Headers.Add("Origin", Origin);
            r.Headers.Add("Access-Control-Request-Method", "GET");
            r.Headers.Add("Access-Control-Request-Headers", "X-Custom");
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        Assert.Equal("GET,POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal("X-Custom", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Equal("300", response.Headers.GetValues("Access-Control-Max-Age").Single());
        Assert.Equal(before, H.Backend.Requests.Count);
    }

    [Fact]
    public async Task Preflight_FromAnotherOriginOrForAMethodNotAllowed_GetsAnEmpty200WithoutCorsHeaders()
    {
        await H.SetApiPolicyAsync(inbound: Cors);

        using var origin = await H.SendAsync(HttpMethod.Options, "/echo/items", withKey: false, configure: r =>
        {
            r.Headers.Add("Origin", "https://evil.example");
            r.Headers.Add("Access-Control-Request-Method", "POST");
        });
        Assert.Equal(HttpStatusCode.OK, origin.StatusCode);
        Assert.False(origin.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal("", await origin.Content.ReadAsStringAsync());

        // No PUT operation exists at /items: routing finds nothing for the requested method.
        using var method = await H.SendAsync(HttpMethod.Options, "/echo/items/1", withKey: false, configure: r =>
        {
            r.Headers.Add("Origin", Origin);
            r.Headers.Add("Access-Control-Request-Method", "DELETE");
        });
        Assert.Equal(HttpStatusCode.NotFound, method.StatusCode);
    }

    [Fact]
    public async Task CrossOriginCall_GetsAllowOriginAndExposedHeaders_UnmatchedGetIsTerminated()
    {
        await H.SetApiPolicyAsync(inbound: Cors);

        using (var allowed = await H.GetAsync(configure: r => r.Headers.Add("Origin", Origin)))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal(Origin, allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Equal("true", allowed.Headers.GetValues("Access-Control-Allow-Credentials").Single());
            Assert.Equal("x-request-id", allowed.Headers.GetValues("Access-Control-Expose-Headers").Single());
            Assert.Contains("recording", await allowed.Content.ReadAsStringAsync());
        }

        var before = H.Backend.Requests.Count;
        using (var unmatched = await H.GetAsync(configure: r => r.Headers.Add("Origin", "https://evil.example")))
        {
            Assert.Equal(HttpStatusCode.OK, unmatched.StatusCode);
            Assert.Equal("", await unmatched.Content.ReadAsStringAsync());
            Assert.False(unmatched.Headers.Contains("Access-Control-Allow-Origin"));
            Assert.Equal(before, H.Backend.Requests.Count);
        }

        await H.SetApiPolicyAsync(inbound: Cors.Replace("<cors ", "<cors terminate-unmatched-request=\"false\" ", StringComparison.Ordinal));
        using var passed = await H.GetAsync(configure: r => r.Headers.Add("Origin", "https://evil.example"));
        Assert.Contains("recording", await passed.Content.ReadAsStringAsync());
        Assert.False(passed.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task WildcardOrigin_AllowsAnyOrigin()
    {
        await H.SetApiPolicyAsync(inbound: """<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods><method>*</method></allowed-methods></cors>""");

        using var preflight = await H.SendAsync(HttpMethod.Options, "/echo/items", withKey: false, configure: r =>
        {
            r.Headers.Add("Origin", "https://anyone.example");
            r.Headers.Add("Access-Control-Request-Method", "POST");
        });

        Assert.Equal("*", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("POST", preflight.Headers.GetValues("Access-Control-Allow-Methods").Single());
    }

    [Theory]
    [InlineData("""<cors allow-origin="x"><allowed-origins><origin>*</origin></allowed-origins></cors>""", "Attribute 'allow-origin' is not allowed on 'cors'")]
    [InlineData("""<cors><allowed-methods><method>GET</method></allowed-methods></cors>""", "Policy 'cors' requires a 'allowed-origins' element")]
    [InlineData("""<cors allow-credentials="true"><allowed-origins><origin>*</origin></allowed-origins></cors>""", "cannot be true when the allowed origins include '*'")]
    [InlineData("""<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-methods preflight-result-max-age="soon" /></cors>""", "Attribute 'preflight-result-max-age' of 'allowed-methods' must be a non-negative integer")]
    public async Task BadCors_IsRefusedOnSave(string policy, string message)
    {
        var body = await H.RefusedAsync(inbound: policy);

        Assert.Contains(message, body);
    }
}
