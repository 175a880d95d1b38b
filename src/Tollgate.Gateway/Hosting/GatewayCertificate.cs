using Tollgate.Security;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tollgate.Gateway.Hosting;

/// <summary>
/// The gateway's HTTPS certificate: the configured PFX, or a self-signed one generated on first start for
/// <c>localhost</c>, <c>*.localhost</c> (every instance's <c>{name}.localhost</c>), the loopback addresses and the
/// machine's name. A generated certificate of an earlier version without <c>*.localhost</c> is replaced.
/// </summary>
public static class GatewayCertificate
{
    /// <param name="options">The gateway's options (a configured certificate wins).</param>
    /// <param name="dataDirectory">Where the generated certificate is kept.</param>
    /// <param name="time">The clock that dates a generated certificate.</param>
    public static X509Certificate2 LoadOrCreate(GatewayOptions options, string dataDirectory, TimeProvider time)
    {
        if (!string.IsNullOrEmpty(options.CertificatePath))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
        }

        var path = Path.Combine(dataDirectory, "gateway-certificate.pfx");
        if (File.Exists(path))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(path, null);
            if (existing.MatchesHostname("tollgate.localhost", allowWildcards: true, allowCommonName: false))
            {
                return existing;
            }

            existing.Dispose();
        }

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Tollgate gateway (self-signed)", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddDnsName("*.localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName(Environment.MachineName);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = time.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        var pfx = certificate.Export(X509ContentType.Pfx);
        PrivateFiles.CreateDirectory(dataDirectory);
        var fileOptions = PrivateFiles.Options(FileMode.Create);

        using (var stream = new FileStream(path, fileOptions))
        {
            stream.Write(pfx);
        }

        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }
}
