using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Tollgate.Portal.Developer;

/// <summary>What Try it sends: method, the full URL at the gateway, headers and body.</summary>
public sealed record TryItRequest(string Method, string Url, IReadOnlyList<KeyValuePair<string, string>> Headers, string? Body);

/// <summary>
/// What came back: status, headers, the content (at most <see cref="TryItRelay.MaxContent"/> bytes read; <see cref="Length"/>
/// is what was received), or the reason nothing came back.
/// </summary>
public sealed record TryItResponse(int Status, string Reason, IReadOnlyList<KeyValuePair<string, string>> Headers, string? ContentType,
    byte[] Content, long Length, bool Truncated, TimeSpan Elapsed, string? Problem);

/// <summary>
/// Sends Try it's requests from the portal's server (so CORS never matters), only to the instance's gateway: a URL
/// whose scheme, host, port and path do not fall under the instance's <c>gatewayUrl</c> is refused (no open relay).
/// Requests time out, content is read up to a cap, and nothing here logs (the URL or headers may carry a key).
/// </summary>
public sealed class TryItRelay : IDisposable
{
    /// <summary>The most content read from one response (the rest is counted, not kept).</summary>
    public const int MaxContent = 8 * 1024 * 1024;

    /// <summary>The largest body Try it sends.</summary>
    public const int MaxRequestBody = 4 * 1024 * 1024;

    /// <summary>How long one request may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly HashSet<string> Refused = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Connection", "Transfer-Encoding", "Upgrade", "Expect", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
    };

    // A client of its own, not from IHttpClientFactory: the factory's handlers log every request's URL.
    private readonly HttpClient _http;

    public TryItRelay()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            // *.localhost names are the loopback address (RFC 6761), which .NET's resolver does not know here.
            ConnectCallback = async (context, ct) =>
            {
                var host = context.DnsEndPoint.Host;
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (IsLoopbackName(host))
                    {
                        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), ct);
                    }
                    else
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, ct);
                    }

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
                // A gateway on this machine (the demo's self-signed certificate) is trusted as the machine itself;
                // any other host must present a certificate the system trusts.
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                    errors == SslPolicyErrors.None || (sender is SslStream { TargetHostName: { } target } && IsLoopbackName(target)),
            },
        };
        _http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>localhost, *.localhost and the loopback addresses.</summary>
    public static bool IsLoopbackName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>Why <paramref name="url"/> may not be sent (it is not under <paramref name="gatewayUrl"/>), or null.</summary>
    public static string? Check(string gatewayUrl, string url)
    {
        if (!Uri.TryCreate(gatewayUrl, UriKind.Absolute, out var gateway) || gateway.Scheme is not ("http" or "https"))
        {
            return "This instance has no gateway URL, so Try it cannot send anything.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var target) || target.Scheme != gateway.Scheme
            || !string.Equals(target.IdnHost, gateway.IdnHost, StringComparison.OrdinalIgnoreCase) || target.Port != gateway.Port
            || !string.IsNullOrEmpty(target.UserInfo)
            || !target.AbsolutePath.StartsWith(gateway.AbsolutePath, StringComparison.Ordinal))
        {
            return $"Try it only sends requests to this instance's gateway ({gateway.GetLeftPart(UriPartial.Path).TrimEnd('/')}).";
        }

        return null;
    }

    public async Task<TryItResponse> SendAsync(string gatewayUrl, TryItRequest request, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        if (Check(gatewayUrl, request.Url) is { } refused)
        {
            return Failed(refused, stopwatch);
        }

        if (request.Body is { } b && Encoding.UTF8.GetByteCount(b) > MaxRequestBody)
        {
            return Failed($"The request body is larger than {MaxRequestBody / (1024 * 1024)} MB.", stopwatch);
        }

        HttpMethod method;
        try
        {
            method = new HttpMethod(request.Method);
        }
        catch (FormatException)
        {
            return Failed($"'{request.Method}' is not an HTTP method.", stopwatch);
        }

        using var message = new HttpRequestMessage(method, request.Url);
        if (!string.IsNullOrEmpty(request.Body))
        {
            message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(request.Body));
        }

        foreach (var (name, value) in request.Headers)
        {
            if (string.IsNullOrWhiteSpace(name) || Refused.Contains(name.Trim()))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name.Trim(), value) && message.Content is not null)
            {
                message.Content.Headers.TryAddWithoutValidation(name.Trim(), value);
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var headers = response.Headers.Concat(response.Content.Headers)
                .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v))).ToList();
            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            var (content, length) = await ReadCappedAsync(stream, timeout.Token);
            return new TryItResponse((int)response.StatusCode, response.ReasonPhrase ?? response.StatusCode.ToString(), headers,
                response.Content.Headers.ContentType?.ToString(), content, length, length > content.Length, stopwatch.Elapsed, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Failed($"The gateway did not answer within {Timeout.TotalSeconds:0} seconds.", stopwatch);
        }
        catch (HttpRequestException e)
        {
            return Failed("The gateway could not be reached: " + e.Message, stopwatch);
        }
    }

    private static async Task<(byte[] Content, long Length)> ReadCappedAsync(Stream stream, CancellationToken ct)
    {
        using var kept = new MemoryStream();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            var room = MaxContent - (int)Math.Min(kept.Length, MaxContent);
            if (room > 0)
            {
                kept.Write(buffer, 0, Math.Min(room, read));
            }

            total += read;
            if (total > 16L * MaxContent)
            {
                // Counting further is pointless: stop reading a body that large.
                break;
            }
        }

        return (kept.ToArray(), total);
    }

    private static TryItResponse Failed(string problem, Stopwatch stopwatch) =>
        new(0, "", [], null, [], 0, false, stopwatch.Elapsed, problem);

    public void Dispose() => _http.Dispose();
}
