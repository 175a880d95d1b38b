using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Tollgate.Tests.Common;

/// <summary>
/// A real Kestrel backend on a free loopback port speaking HTTPS only, with a self-signed server certificate made
/// for it (CN=localhost, SAN 127.0.0.1 and localhost), that requires a client certificate in the TLS handshake (any
/// one: it trusts none in particular) and answers <c>{"thumbprint":"…","path":"…"}</c> with the thumbprint of the
/// client certificate it was shown. A handshake without a client certificate fails.
/// </summary>
public sealed class ClientCertificateBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ClientCertificateBackend(WebApplication app, int port, X509Certificate2 serverCertificate)
    {
        _app = app;
        Port = port;
        ServerCertificate = serverCertificate;
    }

    public int Port { get; }

    public string Url => $"https://127.0.0.1:{Port}";

    public X509Certificate2 ServerCertificate { get; }

    /// <summary>The thumbprints of the client certificates the backend was shown, one per request.</summary>
    public ConcurrentQueue<string> Thumbprints { get; } = new();

    /// <summary>The connection of each request (Kestrel's connection id): calls sharing a connection pool share connections.</summary>
    public ConcurrentQueue<string> Connections { get; } = new();

    public static async Task<ClientCertificateBackend> StartAsync()
    {
        var serverCertificate = TestCertificates.Server("localhost");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = serverCertificate;
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.AllowAnyClientCertificate();
        })));
        var app = builder.Build();
        ClientCertificateBackend? backend = null;
        app.Run(async context =>
        {
            var thumbprint = context.Connection.ClientCertificate?.Thumbprint ?? "";
            backend!.Thumbprints.Enqueue(thumbprint);
            backend.Connections.Enqueue(context.Connection.Id);
            await context.Response.WriteAsJsonAsync(new { thumbprint, path = context.Request.Path.Value });
        });
        await app.StartAsync();
        backend = new ClientCertificateBackend(app, new Uri(app.Urls.First()).Port, serverCertificate);
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        ServerCertificate.Dispose();
    }
}

/// <summary>Certificates made in the test with <see cref="CertificateRequest"/>: self-signed, RSA 2048, valid from yesterday for a year.</summary>
public static class TestCertificates
{
    /// <summary>A client certificate (EKU client authentication) with its private key.</summary>
    public static X509Certificate2 Client(string commonName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: false));
        return Reload(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1)));
    }

    /// <summary>A server certificate for <paramref name="host"/> and 127.0.0.1 (EKU server authentication) with its private key.</summary>
    public static X509Certificate2 Server(string host)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: false));
        return Reload(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1)));
    }

    /// <summary>The certificate as a PFX with its key, protected by <paramref name="password"/>, base64-encoded (a certificates PUT's data).</summary>
    public static string Pfx(X509Certificate2 certificate, string? password) =>
        Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12, password));

    // An ephemeral key made by CreateSelfSigned cannot always be used by TLS: go through a PFX once.
    private static X509Certificate2 Reload(X509Certificate2 created)
    {
        using (created)
        {
            return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        }
    }
}
