using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Management;

/// <summary>
/// APIM's <c>certificates</c> over real HTTP: a PFX and its password in, subject, thumbprint and expiry out (never the
/// PFX or the password, which the store keeps encrypted); refusals naming the field; Key Vault refused saying what to
/// do instead; a certificate a backend or a policy uses is not deleted.
/// </summary>
public sealed class CertificateTests : IAsyncLifetime
{
    private const string Password = "Pfx-pa55word!";
    private static readonly string Svc = TollgateHost.ServicePath("certs");
    private TollgateHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TollgateHost.StartAsync(new Dictionary<string, string?> { ["Tollgate:Roles"] = "management" });
        await _host.CreateServiceAsync("certs");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<JsonNode> ErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["error"]!;
    }

    private async Task<JsonNode> RefusedAsync(object properties, string target)
    {
        using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/certificates/refused", new { properties });
        var error = await ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("ValidationError", (string?)error["code"]);
        Assert.Equal(target, (string?)error["details"]![0]!["target"]);
        return error["details"]![0]!;
    }

    [Fact]
    public async Task Put_AnswersSubjectThumbprintAndExpiry_NeverTheDataOrPassword_AndTheStoreKeepsThePfxEncrypted()
    {
        using var certificate = TestCertificates.Client("tollgate-client");

        using (var created = await _host.SendAsync(HttpMethod.Put, $"{Svc}/certificates/client", new { properties = new { data = TestCertificates.Pfx(certificate, Password), password = Password } }))
        {
            var text = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, text);
            Assert.NotNull(created.Headers.ETag);
            var body = JsonNode.Parse(text)!;
            Assert.Equal($"{Svc}/certificates/client", (string?)body["id"]);
            Assert.Equal("Microsoft.ApiManagement/service/certificates", (string?)body["type"]);
            Assert.Equal("client", (string?)body["name"]);
            var properties = body["properties"]!.AsObject();
            Assert.Equal(["expirationDate", "subject", "thumbprint"], properties.Select(p => p.Key).Order());
            Assert.Equal("CN=tollgate-client", (string?)properties["subject"]);
            Assert.Equal(certificate.Thumbprint, (string?)properties["thumbprint"]);
            Assert.Equal(certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), (string?)properties["expirationDate"]);
            Assert.DoesNotContain(Password, text);
        }

        var got = await _host.OkAsync(HttpMethod.Get, $"{Svc}/certificates/client");
        Assert.Equal(certificate.Thumbprint, (string?)got["properties"]!["thumbprint"]);
        Assert.Null(got["properties"]!["data"]);
        Assert.Null(got["properties"]!["password"]);
        var list = await _host.OkAsync(HttpMethod.Get, $"{Svc}/certificates");
        Assert.Equal(["client"], list["value"]!.AsArray().Select(c => (string?)c!["name"]));
        Assert.Equal(1, (int?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/certificates?$filter={Uri.EscapeDataString($"thumbprint eq '{certificate.Thumbprint}'")}"))["count"]);
        Assert.Equal(0, (int?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/certificates?$filter={Uri.EscapeDataString("contains(subject,'nobody')")}"))["count"]);
        Assert.Equal(0, (int?)(await _host.OkAsync(HttpMethod.Get, $"{Svc}/certificates?isKeyVaultRefreshFailed=true"))["count"]);

        // Stored as a named value's secret is: encrypted with the installation's data key, nothing of it in clear.
        var stored = await _host.Server.Store!.GetAsync(new ResourceKey("certs", ResourceKind.Certificate.Kind, "", "client"));
        Assert.NotNull(stored!.Secrets);
        Assert.DoesNotContain("\"pfx\"", stored.Secrets, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Password, stored.Secrets, StringComparison.Ordinal);
        Assert.Null(stored.Properties["data"]);
        var pfx = (string)_host.Server.Services!.GetRequiredService<SecretVault>().Unprotect(stored.Secrets)["pfx"]!;
        using (var kept = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(pfx), null))
        {
            Assert.Equal(certificate.Thumbprint, kept.Thumbprint);
            Assert.True(kept.HasPrivateKey);
        }

        foreach (var file in Directory.EnumerateFiles(_host.DataDirectory, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Password)) >= 0, $"{file} holds the PFX's password");
            Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(pfx[..64])) >= 0, $"{file} holds the PFX in clear");
        }

        // A PUT replaces it (200), a PFX without a password too.
        using var replacement = TestCertificates.Client("tollgate-client-2");
        using var replaced = await _host.SendAsync(HttpMethod.Put, $"{Svc}/certificates/client", new { properties = new { data = TestCertificates.Pfx(replacement, null) } });
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(replacement.Thumbprint, (string?)JsonNode.Parse(await replaced.Content.ReadAsStringAsync())!["properties"]!["thumbprint"]);
    }

    [Fact]
    public async Task BadUploads_AreRefusedNamingTheField_AndNothingIsStored()
    {
        using var certificate = TestCertificates.Client("refused");
        var pfx = TestCertificates.Pfx(certificate, Password);

        var keyVault = await RefusedAsync(new { keyVault = new { secretIdentifier = "https://contoso.vault.azure.net/secrets/client" } }, "keyVault");
        Assert.Contains("does not reach Azure Key Vault", (string?)keyVault["message"]);
        Assert.Contains("'data'", (string?)keyVault["message"]);
        Assert.Contains("'data' is required", (string?)(await RefusedAsync(new { password = Password }, "data"))["message"]);
        Assert.Contains("base64", (string?)(await RefusedAsync(new { data = "not base64!", password = Password }, "data"))["message"]);
        Assert.Contains("not a PFX", (string?)(await RefusedAsync(new { data = Convert.ToBase64String(Encoding.UTF8.GetBytes("-----BEGIN CERTIFICATE-----")), password = Password }, "data"))["message"]);
        Assert.Contains("not the password", (string?)(await RefusedAsync(new { data = pfx, password = "wrong" }, "password"))["message"]);
        Assert.Contains("password-protected", (string?)(await RefusedAsync(new { data = pfx }, "password"))["message"]);
        var publicOnly = Convert.ToBase64String(X509CertificateLoader.LoadCertificate(certificate.RawData).Export(X509ContentType.Pkcs12, Password));
        Assert.Contains("no private key", (string?)(await RefusedAsync(new { data = publicOnly, password = Password }, "data"))["message"]);

        using var missing = await _host.SendAsync(HttpMethod.Get, $"{Svc}/certificates/refused");
        await ErrorAsync(missing, HttpStatusCode.NotFound);
        using var badName = await _host.SendAsync(HttpMethod.Put, $"{Svc}/certificates/{new string('c', 81)}", new { properties = new { data = pfx, password = Password } });
        Assert.Equal("certificateId", (string?)(await ErrorAsync(badName, HttpStatusCode.BadRequest))["details"]![0]!["target"]);
        using var patch = await _host.SendAsync(HttpMethod.Patch, $"{Svc}/certificates/refused", new { properties = new { } });
        Assert.Equal(HttpStatusCode.MethodNotAllowed, patch.StatusCode);
    }

    [Fact]
    public async Task Backends_NameCertificatesThatExist_AndACertificateInUseIsNotDeleted()
    {
        using var certificate = TestCertificates.Client("in-use");
        await _host.PutAsync($"{Svc}/certificates/in-use", new { properties = new { data = TestCertificates.Pfx(certificate, Password), password = Password } });

        using (var unknownId = await _host.SendAsync(HttpMethod.Put, $"{Svc}/backends/mtls", new { properties = new { url = "https://127.0.0.1:9", credentials = new { certificateIds = new[] { "/certificates/nope" } } } }))
        {
            var error = await ErrorAsync(unknownId, HttpStatusCode.BadRequest);
            Assert.Equal("credentials", (string?)error["details"]![0]!["target"]);
            Assert.Equal("Certificate with id 'nope' not found.", (string?)error["details"]![0]!["message"]);
        }

        using (var unknownThumbprint = await _host.SendAsync(HttpMethod.Put, $"{Svc}/backends/mtls", new { properties = new { url = "https://127.0.0.1:9", credentials = new { certificate = new[] { "ABCDEF" } } } }))
        {
            Assert.Equal("Certificate with thumbprint 'ABCDEF' not found.", (string?)(await ErrorAsync(unknownThumbprint, HttpStatusCode.BadRequest))["details"]![0]!["message"]);
        }

        var backend = await _host.PutAsync($"{Svc}/backends/mtls", new
        {
            properties = new { url = "https://127.0.0.1:9", credentials = new { certificateIds = new[] { $"{Svc}/certificates/in-use" } }, tls = new { validateCertificateChain = false } },
        });
        Assert.Equal("/certificates/in-use", (string?)backend["properties"]!["credentials"]!["certificateIds"]![0]);
        Assert.True((bool)backend["properties"]!["tls"]!["validateCertificateName"]!);
        Assert.False((bool)backend["properties"]!["tls"]!["validateCertificateChain"]!);
        await _host.PutAsync($"{Svc}/backends/by-thumbprint", new { properties = new { url = "https://127.0.0.1:9", credentials = new { certificate = new[] { certificate.Thumbprint.ToLowerInvariant() } } } });

        using (var refused = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/certificates/in-use"))
        {
            var error = await ErrorAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains("backend 'mtls'", (string?)error["message"]);
            Assert.Contains("backend 'by-thumbprint'", (string?)error["message"]);
        }

        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/backends/mtls");
        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/backends/by-thumbprint");

        // A policy naming it keeps it too.
        await _host.PutAsync($"{Svc}/apis/mtls", new { properties = new { displayName = "mTLS", path = "mtls", serviceUrl = "https://127.0.0.1:9", protocols = new[] { "https" } } });
        await _host.PutAsync($"{Svc}/apis/mtls/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><authentication-certificate certificate-id=\"in-use\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });
        using (var refused = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/certificates/in-use"))
        {
            Assert.Contains("the policy of /apis/mtls", (string?)(await ErrorAsync(refused, HttpStatusCode.Conflict))["message"]);
        }

        await _host.OkAsync(HttpMethod.Delete, $"{Svc}/apis/mtls/policies/policy");
        using (var deleted = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/certificates/in-use"))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        using var again = await _host.SendAsync(HttpMethod.Delete, $"{Svc}/certificates/in-use");
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
    }

    [Fact]
    public async Task AuthenticationCertificatePolicies_NameAnUploadedCertificate_AndRefreshSecretSaysWhyNot()
    {
        using var certificate = TestCertificates.Client("policy");
        await _host.PutAsync($"{Svc}/certificates/policy", new { properties = new { data = TestCertificates.Pfx(certificate, Password), password = Password } });
        await _host.PutAsync($"{Svc}/apis/p", new { properties = new { displayName = "P", path = "p", serviceUrl = "https://127.0.0.1:9", protocols = new[] { "https" } } });

        async Task<string?> SaveAsync(string inbound)
        {
            using var response = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/p/policies/policy", new
            {
                properties = new { format = "rawxml", value = $"<policies><inbound><base />{inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
            });
            var text = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode ? null : text;
        }

        Assert.Null(await SaveAsync("<authentication-certificate certificate-id=\"policy\" />"));
        Assert.Null(await SaveAsync($"<authentication-certificate thumbprint=\"{certificate.Thumbprint.ToLowerInvariant()}\" />"));
        Assert.Null(await SaveAsync("""<authentication-certificate certificate-id="@(context.Request.Headers.GetValueOrDefault("X-Cert", "policy"))" />"""));
        Assert.Null(await SaveAsync("""<authentication-certificate body="@(context.Variables.GetValueOrDefault<byte[]>("pfx"))" password="secret" />"""));
        Assert.Contains("certificate 'nope' does not exist", await SaveAsync("<authentication-certificate certificate-id=\"nope\" />"));
        Assert.Contains("no certificate has the thumbprint 'ABC'", await SaveAsync("<authentication-certificate thumbprint=\"ABC\" />"));
        Assert.Contains("exactly one of the attributes 'thumbprint', 'certificate-id' and 'body'", await SaveAsync("<authentication-certificate />"));
        Assert.Contains("exactly one of the attributes", await SaveAsync($"<authentication-certificate certificate-id=\"policy\" thumbprint=\"{certificate.Thumbprint}\" />"));
        Assert.Contains("applies only with 'body'", await SaveAsync("<authentication-certificate certificate-id=\"policy\" password=\"x\" />"));
        using (var outbound = await _host.SendAsync(HttpMethod.Put, $"{Svc}/apis/p/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /><authentication-certificate certificate-id=\"policy\" /></outbound><on-error><base /></on-error></policies>" },
        }))
        {
            Assert.Contains("not allowed in section 'outbound'", await outbound.Content.ReadAsStringAsync());
        }

        using (var refresh = await _host.SendAsync(HttpMethod.Post, $"{Svc}/certificates/policy/refreshSecret"))
        {
            var error = await ErrorAsync(refresh, HttpStatusCode.BadRequest);
            Assert.Equal("keyVault", (string?)error["details"]![0]!["target"]);
        }

        using var missing = await _host.SendAsync(HttpMethod.Post, $"{Svc}/certificates/nope/refreshSecret");
        await ErrorAsync(missing, HttpStatusCode.NotFound);
    }
}
