using System.Collections.Concurrent;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Subscriptions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Tollgate.Gateway.Hosting;

/// <summary>
/// A client certificate to present to backends, loaded once: the certificate with its private key and the chain it
/// was uploaded with. <see cref="Key"/> names what it was loaded from (the thumbprint of an uploaded certificate, or a
/// digest of a PFX given to <c>authentication-certificate body</c>), so equal certificates share one HTTP handler.
/// </summary>
public sealed class BackendClientCertificate
{
    private BackendClientCertificate(string key, X509Certificate2 certificate, X509Certificate2Collection chain)
    {
        Key = key;
        Certificate = certificate;
        Context = SslStreamCertificateContext.Create(certificate, chain, offline: true);
    }

    public string Key { get; }

    /// <summary>The certificate (with its private key) presented to the backend.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate with its chain, as the TLS handshake sends it.</summary>
    public SslStreamCertificateContext Context { get; }

    public string Thumbprint => Certificate.Thumbprint;

    /// <summary>Loaded certificates by key; a PFX is decoded (and its key imported) once per process.</summary>
    private static readonly ConcurrentDictionary<string, BackendClientCertificate> Loaded = new(StringComparer.Ordinal);

    /// <summary>At most this many certificates given by <c>body</c> are kept loaded (uploaded ones are few and always kept).</summary>
    private const int MaxBodyCertificates = 256;

    private static int _bodyCertificates;

    /// <summary>An uploaded certificate of the instance (<c>certificates/{id}</c>), loaded on first use.</summary>
    public static BackendClientCertificate Of(GatewayClientCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var key = certificate.Thumbprint.ToUpperInvariant();
        return Loaded.TryGetValue(key, out var loaded) ? loaded : Loaded.GetOrAdd(key, _ => Load(key, Convert.FromBase64String(certificate.Pfx), null));
    }

    /// <summary>
    /// A PFX given by <c>authentication-certificate body</c> with its password; <see cref="ArgumentException"/> when it
    /// cannot be read (not a PFX, wrong password, no private key).
    /// </summary>
    public static BackendClientCertificate FromBody(byte[] pfx, string? password)
    {
        ArgumentNullException.ThrowIfNull(pfx);
        var digest = SHA256.HashData([.. pfx, 0, .. Encoding.UTF8.GetBytes(password ?? "")]);
        var key = "body:" + Convert.ToHexString(digest);
        if (Loaded.TryGetValue(key, out var loaded))
        {
            return loaded;
        }

        var certificate = Load(key, pfx, password);
        if (Interlocked.Increment(ref _bodyCertificates) <= MaxBodyCertificates)
        {
            return Loaded.GetOrAdd(key, certificate);
        }

        Interlocked.Decrement(ref _bodyCertificates);
        return certificate;
    }

    private static BackendClientCertificate Load(string key, byte[] pfx, string? password)
    {
        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(pfx, password);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"authentication-certificate: the certificate cannot be read (a PFX with its password is needed): {e.Message}", e);
        }

        var certificate = collection.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new ArgumentException("authentication-certificate: the certificate has no private key.");
        var chain = new X509Certificate2Collection();
        foreach (var other in collection)
        {
            if (!ReferenceEquals(other, certificate))
            {
                chain.Add(other);
            }
        }

        return new BackendClientCertificate(key, certificate, chain);
    }
}

/// <summary>
/// The HTTP clients the gateway forwards with when a call needs more than the shared one: a client certificate
/// (<c>authentication-certificate</c>, a backend's <c>credentials.certificateIds</c>) or other checks of the backend's
/// server certificate (a backend's <c>tls</c>). One <see cref="HttpMessageInvoker"/> (its own connection pool) per
/// combination, made on first use with YARP's defaults for a proxy and kept: connections made with one client
/// certificate are never reused to present another.
/// </summary>
public sealed class BackendClients : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<HttpMessageInvoker>> _clients = new(StringComparer.Ordinal);

    /// <summary>How many clients were made (tests: one per certificate and checks, not one per call).</summary>
    public int Count => _clients.Count;

    /// <summary>
    /// The client for a request: <paramref name="shared"/> unless the request presents a client certificate (the
    /// policy's, else its backend's) or its backend relaxes the server certificate checks.
    /// </summary>
    public HttpMessageInvoker For(GatewayRequest request, HttpMessageInvoker shared)
    {
        var backend = request.Backend;
        var certificates = request.ClientCertificate is { } chosen ? [chosen] : backend is { ClientCertificates.Count: > 0 } ? OfBackend(request.State.Snapshot, backend) : [];
        var validateChain = backend?.ValidateCertificateChain ?? true;
        var validateName = backend?.ValidateCertificateName ?? true;
        if (certificates.Length == 0 && validateChain && validateName)
        {
            return shared;
        }

        var key = $"{string.Join(',', certificates.Select(c => c.Key))}|{validateChain}|{validateName}";
        return _clients.GetOrAdd(key, _ => new Lazy<HttpMessageInvoker>(() => Create(certificates, validateChain, validateName))).Value;
    }

    /// <summary>A backend's certificates (by thumbprint) among the instance's; one no longer there is left out.</summary>
    private static BackendClientCertificate[] OfBackend(GatewaySnapshot snapshot, GatewayBackend backend)
    {
        var result = new List<BackendClientCertificate>(backend.ClientCertificates.Count);
        foreach (var thumbprint in backend.ClientCertificates)
        {
            foreach (var certificate in snapshot.Certificates)
            {
                if (string.Equals(certificate.Thumbprint, thumbprint, StringComparison.OrdinalIgnoreCase))
                {
                    result.Add(BackendClientCertificate.Of(certificate));
                    break;
                }
            }
        }

        return [.. result];
    }

    private static HttpMessageInvoker Create(BackendClientCertificate[] certificates, bool validateChain, bool validateName) =>
        new Factory(certificates, validateChain, validateName).CreateClient(new ForwarderHttpClientContext
        {
            ClusterId = "tollgate-tls",
            OldConfig = HttpClientConfig.Empty,
            OldMetadata = null,
            OldClient = null,
            NewConfig = HttpClientConfig.Empty,
            NewMetadata = null,
        });

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            if (client.IsValueCreated)
            {
                client.Value.Dispose();
            }
        }

        _clients.Clear();
    }

    /// <summary>YARP's handler for a proxy, with the client certificate and the server certificate checks set.</summary>
    private sealed class Factory(BackendClientCertificate[] certificates, bool validateChain, bool validateName) : ForwarderHttpClientFactory
    {
        protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
        {
            base.ConfigureHandler(context, handler);
            if (certificates.Length == 1)
            {
                handler.SslOptions.ClientCertificateContext = certificates[0].Context;
            }
            else if (certificates.Length > 1)
            {
                // Several: the one whose issuer the backend asks for, else the first.
                var all = new X509CertificateCollection(certificates.Select(c => (X509Certificate)c.Certificate).ToArray());
                handler.SslOptions.ClientCertificates = all;
                handler.SslOptions.LocalCertificateSelectionCallback = (_, _, local, _, issuers) =>
                    local.Cast<X509Certificate>().FirstOrDefault(c => issuers.Contains(c.Issuer, StringComparer.OrdinalIgnoreCase)) ?? local[0];
            }

            if (!validateChain || !validateName)
            {
                handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, errors) =>
                {
                    if (!validateChain)
                    {
                        errors &= ~SslPolicyErrors.RemoteCertificateChainErrors;
                    }

                    if (!validateName)
                    {
                        errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
                    }

                    return errors == SslPolicyErrors.None;
                };
            }
        }
    }
}
