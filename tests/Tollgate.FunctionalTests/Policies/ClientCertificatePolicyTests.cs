using System.Net;
using System.Security.Cryptography.X509Certificates;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Policies;

/// <summary>
/// Client certificates presented to a real TLS backend (Kestrel on 127.0.0.1 with a self-signed server certificate
/// made in the test, requiring a client certificate and echoing its thumbprint): by the
/// <c>authentication-certificate</c> policy (certificate-id, thumbprint, body) and by a backend's
/// <c>credentials.certificateIds</c> / <c>credentials.certificate</c>, with the backend's <c>tls</c> checks.
/// </summary>
public sealed class ClientCertificatePolicyTests : IAsyncLifetime
{
    private const string Password = "client-pfx-password";
    private PolicyHost _host = null!;
    private ClientCertificateBackend _tls = null!;
    private X509Certificate2 _client = null!;
    private X509Certificate2 _other = null!;

    private const string Reason = """<set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason + ": " + context.LastError.Message)</value></set-header>""";

    private static string Svc => PolicyHost.Svc;

    public async Task InitializeAsync()
    {
        _host = await PolicyHost.StartAsync();
        _tls = await ClientCertificateBackend.StartAsync();
        _client = TestCertificates.Client("tollgate-gateway");
        _other = TestCertificates.Client("tollgate-other");
        await _host.Host.PutAsync($"{Svc}/certificates/client", new { properties = new { data = TestCertificates.Pfx(_client, Password), password = Password } });
        await _host.Host.PutAsync($"{Svc}/certificates/other", new { properties = new { data = TestCertificates.Pfx(_other, null) } });
        // The backend's certificate is self-signed: this backend entity only says not to check its chain (as APIM's docs tell).
        await _host.Host.PutAsync($"{Svc}/backends/tls-only", new { properties = new { url = _tls.Url, tls = new { validateCertificateChain = false } } });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _tls.DisposeAsync();
        _client.Dispose();
        _other.Dispose();
    }

    private async Task<string> PresentedAsync(HttpStatusCode expected = HttpStatusCode.OK, Action<HttpRequestMessage>? configure = null)
    {
        using var response = await _host.GetAsync(configure: configure);
        var text = await response.Content.ReadAsStringAsync();
        var reason = response.Headers.TryGetValues("X-Reason", out var values) ? values.Single() : "";
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text} {reason}");
        return expected == HttpStatusCode.OK ? (string)(await PolicyHost.JsonAsync(response))["thumbprint"]! : text;
    }

    [Fact]
    public async Task Policy_PresentsTheCertificate_ByIdThumbprintOrBody()
    {
        await _host.SetApiPolicyAsync(inbound: """<set-backend-service backend-id="tls-only" /><authentication-certificate certificate-id="client" />""");
        Assert.Equal(_client.Thumbprint, await PresentedAsync());
        Assert.Equal(_client.Thumbprint, _tls.Thumbprints.Last());

        await _host.SetApiPolicyAsync(inbound: $"""<set-backend-service backend-id="tls-only" /><authentication-certificate thumbprint="{_other.Thumbprint.ToLowerInvariant()}" />""");
        Assert.Equal(_other.Thumbprint, await PresentedAsync());

        // A certificate chosen per call by an expression, and one that does not exist failing that call.
        await _host.SetApiPolicyAsync(
            inbound: """<set-backend-service backend-id="tls-only" /><authentication-certificate certificate-id="@(context.Request.Headers.GetValueOrDefault("X-Cert", "client"))" />""",
            onError: Reason);
        Assert.Equal(_other.Thumbprint, await PresentedAsync(configure: r => r.Headers.Add("X-Cert", "other")));
        using (var missing = await _host.GetAsync(configure: r => r.Headers.Add("X-Cert", "nope")))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, missing.StatusCode);
            Assert.Equal("InvalidPolicyValue: authentication-certificate: certificate 'nope' does not exist.", missing.Headers.GetValues("X-Reason").Single());
        }

        // A PFX given as bytes, with its password, from secret named values (APIM's body="@(… byte[] …)").
        await _host.Host.PutAsync($"{Svc}/namedValues/client-pfx", new { properties = new { displayName = "client-pfx", secret = true, value = TestCertificates.Pfx(_client, Password) } });
        await _host.Host.PutAsync($"{Svc}/namedValues/client-pfx-password", new { properties = new { displayName = "client-pfx-password", secret = true, value = Password } });
        await _host.SetApiPolicyAsync(inbound: """
            <set-backend-service backend-id="tls-only" />
            <set-variable name="pfx" value="@(Convert.FromBase64String("{{client-pfx}}"))" />
            <authentication-certificate body="@(context.Variables.GetValueOrDefault<byte[]>("pfx"))" password="{{client-pfx-password}}" />
            """, onError: Reason);
        Assert.Equal(_client.Thumbprint, await PresentedAsync());
    }

    [Fact]
    public async Task WithoutACertificate_OrWithTheBackendsCertificateUntrusted_TheCallFails502()
    {
        // No client certificate: the backend ends the handshake.
        await _host.SetApiPolicyAsync(inbound: """<set-backend-service backend-id="tls-only" />""");
        await PresentedAsync(HttpStatusCode.BadGateway);

        // The backend's self-signed certificate, checked: the gateway does not send the call.
        await _host.SetApiPolicyAsync(inbound: $"""<set-backend-service base-url="{_tls.Url}" /><authentication-certificate certificate-id="client" />""");
        var sent = _tls.Thumbprints.Count;
        await PresentedAsync(HttpStatusCode.BadGateway);
        Assert.Equal(sent, _tls.Thumbprints.Count);
    }

    [Fact]
    public async Task BackendEntity_PresentsItsCertificates_AndThePolicyWinsOverThem()
    {
        await _host.Host.PutAsync($"{Svc}/backends/mtls", new
        {
            properties = new { url = _tls.Url, credentials = new { certificateIds = new[] { "/certificates/client" } }, tls = new { validateCertificateChain = false, validateCertificateName = true } },
        });
        await _host.Host.PutAsync($"{Svc}/backends/mtls-thumbprint", new
        {
            properties = new { url = _tls.Url, credentials = new { certificate = new[] { _other.Thumbprint } }, tls = new { validateCertificateChain = false } },
        });

        await _host.SetApiPolicyAsync(inbound: """<set-backend-service backend-id="mtls" />""");
        Assert.Equal(_client.Thumbprint, await PresentedAsync());
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(_client.Thumbprint, await PresentedAsync());
        }

        // One handler (one connection pool) per certificate and checks, not one per call: the calls share a connection.
        Assert.Single(_tls.Connections.TakeLast(6).Distinct());

        await _host.SetApiPolicyAsync(inbound: """<set-backend-service backend-id="mtls-thumbprint" />""");
        Assert.Equal(_other.Thumbprint, await PresentedAsync());

        await _host.SetApiPolicyAsync(inbound: """<set-backend-service backend-id="mtls" /><authentication-certificate certificate-id="other" />""");
        Assert.Equal(_other.Thumbprint, await PresentedAsync());

        // certificateIds follow the certificate: uploading a new one under the same id is what the backend presents next.
        using var renewed = TestCertificates.Client("tollgate-gateway-renewed");
        await _host.Host.PutAsync($"{Svc}/certificates/client", new { properties = new { data = TestCertificates.Pfx(renewed, null) } });
        await _host.SetApiPolicyAsync(inbound: """<set-backend-service backend-id="mtls" />""");
        Assert.Equal(renewed.Thumbprint, await PresentedAsync());
    }
}
