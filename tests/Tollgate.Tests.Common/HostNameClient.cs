using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Tollgate.Tests.Common;

/// <summary>
/// An HTTP client that connects every host name to 127.0.0.1, so URLs on <c>*.localhost</c> and custom host names are
/// called exactly as printed. Browsers and curl resolve <c>*.localhost</c> to loopback themselves; .NET asks the system
/// resolver, which may not (glibc without nss-myhostname). The URL's host name still goes out unchanged, in the
/// <c>Host</c> header and in SNI. The server's certificate is accepted and reported to <paramref name="seen"/>.
/// </summary>
public static class HostNameClient
{
    public static HttpClient Create(Action<X509Certificate2?>? seen = null) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                seen?.Invoke(certificate is null ? null : new X509Certificate2(certificate));
                return true;
            },
        },
    });
}
