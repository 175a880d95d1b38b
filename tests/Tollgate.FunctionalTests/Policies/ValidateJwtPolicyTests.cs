using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary><c>validate-jwt</c> through the real gateway: inline HS256 and RS256 keys, ES256 keys from a loopback OpenID configuration.</summary>
public sealed class ValidateJwtPolicyTests(PolicyHostFixture fixture) : IClassFixture<PolicyHostFixture>
{
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);

    private const string OnError = """<set-header name="X-Error" exists-action="override"><value>@(context.LastError.Source + "/" + context.LastError.Reason)</value></set-header>""";

    private PolicyHost H => fixture.Host;

    private static string Hs256Policy(string extra = "") => $"""
        <validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401" output-token-variable-name="jwt">
          <issuer-signing-keys><key>{Convert.ToBase64String(Secret)}</key></issuer-signing-keys>
          <audiences><audience>api://tollgate</audience></audiences>
          <issuers><issuer>https://issuer.contoso.example</issuer></issuers>
          {extra}
        </validate-jwt>
        <set-header name="X-Subject"><value>@(((Jwt)context.Variables["jwt"]).Subject)</value></set-header>
        """;

    private string Token(SecurityKey key, string algorithm, TimeSpan? expiresIn = null, string audience = "api://tollgate", IDictionary<string, object>? claims = null)
    {
        var now = H.Time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.contoso.example",
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", "user-7")]),
            IssuedAt = now.AddMinutes(-10),
            NotBefore = now.AddMinutes(-10),
            Expires = now + (expiresIn ?? TimeSpan.FromMinutes(30)),
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    private Task<HttpResponseMessage> CallAsync(string? token) =>
        H.GetAsync(configure: r =>
        {
            if (token is not null)
            {
                r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            }
        });

    [Fact]
    public async Task Hs256_ValidToken_Passes_AndTheTokenIsInTheOutputVariable()
    {
        await H.SetApiPolicyAsync(inbound: Hs256Policy());

        using var response = await CallAsync(Token(new SymmetricSecurityKey(Secret), SecurityAlgorithms.HmacSha256));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("user-7", H.Backend.Last.Header("X-Subject"));
    }

    [Fact]
    public async Task Failures_GiveApimMessagesAndReasons()
    {
        await H.SetApiPolicyAsync(inbound: Hs256Policy(), onError: OnError);
        var valid = new SymmetricSecurityKey(Secret);

        await AssertRejectedAsync(null, "JWT not present.", "validate-jwt/TokenNotPresent");
        await AssertRejectedAsync("not.a.jwt", "Invalid JWT.", "validate-jwt/JwtInvalid");
        await AssertRejectedAsync(Token(valid, SecurityAlgorithms.HmacSha256, expiresIn: TimeSpan.FromMinutes(-1)), "JWT has expired.", "validate-jwt/TokenExpired");
        await AssertRejectedAsync(Token(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256), "JWT signature is invalid.", "validate-jwt/TokenSignatureInvalid");
        await AssertRejectedAsync(Token(valid, SecurityAlgorithms.HmacSha256, audience: "api://other"), "JWT audience is not allowed.", "validate-jwt/TokenAudienceNotAllowed");

        using var noScheme = await H.GetAsync(configure: r => r.Headers.TryAddWithoutValidation("Authorization", Token(valid, SecurityAlgorithms.HmacSha256)));
        Assert.Equal(HttpStatusCode.Unauthorized, noScheme.StatusCode);
    }

    [Fact]
    public async Task ClockSkew_AcceptsARecentlyExpiredToken()
    {
        await H.SetApiPolicyAsync(inbound: Hs256Policy().Replace("output-token-variable-name", "clock-skew=\"120\" output-token-variable-name", StringComparison.Ordinal));

        using var response = await CallAsync(Token(new SymmetricSecurityKey(Secret), SecurityAlgorithms.HmacSha256, expiresIn: TimeSpan.FromSeconds(-60)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task RequiredClaims_MissingOrWrongValue_AreRejected_CustomStatusAndMessage()
    {
        await H.SetApiPolicyAsync(
            inbound: Hs256Policy("""
                <required-claims>
                  <claim name="roles" match="any" separator=","><value>admin</value><value>writer</value></claim>
                  <claim name="tenant" />
                </required-claims>
                """).Replace("failed-validation-httpcode=\"401\"", "failed-validation-httpcode=\"403\" failed-validation-error-message=\"Forbidden by token\"", StringComparison.Ordinal),
            onError: OnError);
        var key = new SymmetricSecurityKey(Secret);

        using (var missing = await CallAsync(Token(key, SecurityAlgorithms.HmacSha256, claims: new Dictionary<string, object> { ["roles"] = "reader,writer" })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
            Assert.Equal("""{"statusCode":403,"message":"Forbidden by token"}""", await missing.Content.ReadAsStringAsync());
            Assert.Equal("validate-jwt/TokenClaimNotFound", missing.Headers.GetValues("X-Error").Single());
        }

        using (var wrong = await CallAsync(Token(key, SecurityAlgorithms.HmacSha256, claims: new Dictionary<string, object> { ["roles"] = "reader", ["tenant"] = "t1" })))
        {
            Assert.Equal("validate-jwt/TokenClaimValueNotAllowed", wrong.Headers.GetValues("X-Error").Single());
        }

        using var ok = await CallAsync(Token(key, SecurityAlgorithms.HmacSha256, claims: new Dictionary<string, object> { ["roles"] = "reader, writer", ["tenant"] = "t1" }));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Rs256_InlineModulusAndExponent()
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(false);
        await H.SetApiPolicyAsync(inbound: $"""
            <validate-jwt query-parameter-name="token">
              <issuer-signing-keys><key n="{Base64UrlEncoder.Encode(p.Modulus)}" e="{Base64UrlEncoder.Encode(p.Exponent)}" /></issuer-signing-keys>
            </validate-jwt>
            """);

        using var ok = await H.GetAsync("/echo/items/1?token=" + Token(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using var other = RSA.Create(2048);
        using var bad = await H.GetAsync("/echo/items/1?token=" + Token(new RsaSecurityKey(other), SecurityAlgorithms.RsaSha256));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal("""{"statusCode":401,"message":"JWT signature is invalid."}""", await bad.Content.ReadAsStringAsync());
    }

    // APIM's "token validation with RSA certificate": the key is an uploaded certificate (certificates/{id}), read from
    // the snapshot, so a certificate replaced under the same id is in force from the next snapshot.
    [Fact]
    public async Task Rs256_KeyFromAnUploadedCertificate_FollowsTheCertificate_WhichCannotBeDeletedWhileNamed()
    {
        using var first = TestCertificates.Client("jwt-signer");
        using var renewed = TestCertificates.Client("jwt-signer-2");
        var certificates = $"{PolicyHost.Svc}/certificates";
        await H.Host.PutAsync($"{certificates}/jwt-signer", new { properties = new { data = TestCertificates.Pfx(first, null) } });
        await H.SetApiPolicyAsync(
            inbound: """
                <validate-jwt header-name="Authorization">
                  <issuer-signing-keys><key certificate-id="jwt-signer" /></issuer-signing-keys>
                  <issuers><issuer>https://issuer.contoso.example</issuer></issuers>
                </validate-jwt>
                """,
            onError: OnError);
        string Signed(X509Certificate2 certificate) => Token(new X509SecurityKey(certificate), SecurityAlgorithms.RsaSha256);
        try
        {
            using (var ok = await CallAsync(Signed(first)))
            {
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            await AssertRejectedAsync(Signed(renewed), "JWT signature key was not found.", "validate-jwt/TokenSignatureKeyNotFound"); // its kid is the other's thumbprint

            await H.Host.PutAsync($"{certificates}/jwt-signer", new { properties = new { data = TestCertificates.Pfx(renewed, null) } });
            using (var ok = await CallAsync(Signed(renewed)))
            {
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            await AssertRejectedAsync(Signed(first), "JWT signature key was not found.", "validate-jwt/TokenSignatureKeyNotFound");

            using var refused = await H.Host.SendAsync(HttpMethod.Delete, $"{certificates}/jwt-signer");
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.Conflict, $"{(int)refused.StatusCode}: {text}");
            Assert.Contains("the policy of /apis/echo", text);
        }
        finally
        {
            await H.SetApiPolicyAsync();
            using (await H.Host.SendAsync(HttpMethod.Delete, $"{certificates}/jwt-signer"))
            {
            }
        }
    }

    [Fact]
    public async Task Es256_KeysFromAnOpenIdConfigurationOnLoopback()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(ec) { KeyId = "ec-1" };
        await using var issuer = await OpenIdServer.StartAsync(ec, "ec-1");
        await H.SetApiPolicyAsync(inbound: $"""
            <validate-jwt header-name="Authorization">
              <openid-config url="{issuer.Url}/.well-known/openid-configuration" />
              <issuers><issuer>https://issuer.contoso.example</issuer></issuers>
            </validate-jwt>
            """);

        using var ok = await CallAsync(Token(key, SecurityAlgorithms.EcdsaSha256));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using var otherEc = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var bad = await CallAsync(Token(new ECDsaSecurityKey(otherEc) { KeyId = "ec-1" }, SecurityAlgorithms.EcdsaSha256));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.True(issuer.Requests >= 2, "metadata and JWKS were fetched");
    }

    [Theory]
    [InlineData("""<validate-jwt header-name="Authorization" failed-validation-code="401" />""", "Attribute 'failed-validation-code' is not allowed on 'validate-jwt'")]
    [InlineData("""<validate-jwt header-name="Authorization" query-parameter-name="t" />""", "requires exactly one of the attributes 'header-name', 'query-parameter-name' and 'token-value'")]
    [InlineData("""<validate-jwt header-name="Authorization"><required-claims><claim name="a" match="some" /></required-claims></validate-jwt>""", "Attribute 'match' of 'claim' must be one of 'all', 'any'")]
    [InlineData("""<validate-jwt header-name="Authorization"><issuer-signing-keys><key certificate-id="c1" /></issuer-signing-keys></validate-jwt>""", "validate-jwt/issuer-signing-keys/key (line 1): certificate 'c1' does not exist.")]
    [InlineData("""<validate-jwt header-name="Authorization"><decryption-keys><key certificate-id="c2" /></decryption-keys></validate-jwt>""", "certificate 'c2' does not exist.")]
    [InlineData("""<validate-jwt header-name="Authorization"><issuer-signing-keys><key certificate-id="c1">AAAA</key></issuer-signing-keys></validate-jwt>""", "takes one key: a base64 value, the attributes 'n' and 'e', or 'certificate-id'")]
    [InlineData("""<validate-jwt header-name="Authorization" clock-skew="soon" />""", "Attribute 'clock-skew' of 'validate-jwt' must be a non-negative integer")]
    public async Task BadValidateJwt_IsRefusedOnSave(string policy, string message)
    {
        var body = await H.RefusedAsync(inbound: policy);

        Assert.Contains(message, body);
    }

    private async Task AssertRejectedAsync(string? token, string message, string error)
    {
        using var response = await CallAsync(token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($$"""{"statusCode":401,"message":"{{message}}"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(error, response.Headers.GetValues("X-Error").Single());
    }

    /// <summary>A loopback identity provider: OpenID metadata and a JWKS with one EC P-256 key.</summary>
    private sealed class OpenIdServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private OpenIdServer(WebApplication app) => _app = app;

        public string Url => _app.Urls.First();

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<OpenIdServer> StartAsync(ECDsa ec, string keyId)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var server = new OpenIdServer(app);
            var p = ec.ExportParameters(false);
            app.MapGet("/.well-known/openid-configuration", (HttpContext c) =>
            {
                Interlocked.Increment(ref server._requests);
                return Results.Json(new Dictionary<string, object> { ["issuer"] = "https://issuer.contoso.example", ["jwks_uri"] = server.Url + "/jwks" });
            });
            app.MapGet("/jwks", () =>
            {
                Interlocked.Increment(ref server._requests);
                return Results.Json(new Dictionary<string, object>
                {
                    ["keys"] = new[]
                    {
                        new Dictionary<string, string>
                        {
                            ["kty"] = "EC", ["crv"] = "P-256", ["use"] = "sig", ["alg"] = "ES256", ["kid"] = keyId,
                            ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
                        },
                    },
                });
            });
            await app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
