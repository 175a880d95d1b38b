using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Tollgate.Management.Api;

/// <summary>
/// APIM's import from a link: <c>PUT apis/{id}</c> with <c>properties.format</c> <c>openapi-link</c>,
/// <c>openapi+json-link</c> or <c>swagger-link-json</c> and <c>properties.value</c> a URL. The document is downloaded
/// (http or https only, at most <see cref="MaxBytes"/>, within <see cref="Timeout"/>, at most five redirects) before
/// the write lock is taken, and the body then imports it as if its text had been sent. Any failure is a 400 naming
/// <c>value</c> (or <c>format</c>).
/// </summary>
public sealed class LinkedDocuments(TimeProvider time) : IDisposable
{
    /// <summary>The largest document downloaded.</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>How long a download may take, connection included.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The link formats and the document format each imports as.</summary>
    public static readonly IReadOnlyDictionary<string, string> Formats = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["openapi-link"] = "openapi",
        ["openapi+json-link"] = "openapi+json",
        ["swagger-link-json"] = "swagger-json",
        ["swagger-link"] = "swagger-json",
    };

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 5,
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        UseCookies = false,
    })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        MaxResponseContentBufferSize = MaxBytes,
    };

    /// <summary>
    /// For <c>PUT apis/{id}</c> whose body imports from a link: downloads the document and puts it in the body
    /// (format and value) in place of the link. Anything else is left as it is.
    /// </summary>
    public async Task ResolveImportAsync(HttpContext http, string rest, CancellationToken ct)
    {
        var segments = rest.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!HttpMethods.IsPut(http.Request.Method) || segments.Length != 2 || !string.Equals(segments[0], "apis", StringComparison.OrdinalIgnoreCase)
            || http.Items["body"] is not JsonObject { } body || body["properties"] is not JsonObject properties
            || properties["format"] is not JsonValue f || !f.TryGetValue<string>(out var format) || !format.Contains("link", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        format = format.Trim();
        if (!Formats.TryGetValue(format, out var documentFormat))
        {
            throw ArmException.Validation("format", $"The link format '{format}' is not supported; use {string.Join(", ", Formats.Keys)}, or send the document itself.");
        }

        var url = properties["value"] is JsonValue v && v.TryGetValue<string>(out var text) ? text.Trim() : null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw ArmException.Validation("value", $"With the format '{format}', 'value' must be the http or https URL of the document.");
        }

        properties["format"] = documentFormat;
        properties["value"] = await DownloadAsync(uri, ct);
    }

    /// <summary>The document at <paramref name="uri"/> as text; a 400 naming <c>value</c> when it cannot be had.</summary>
    public async Task<string> DownloadAsync(Uri uri, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var shown = uri.GetLeftPart(UriPartial.Path);
        try
        {
            using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            if (response.RequestMessage?.RequestUri is { } final && final.Scheme != Uri.UriSchemeHttp && final.Scheme != Uri.UriSchemeHttps)
            {
                throw ArmException.Validation("value", $"The document at '{shown}' redirects away from http(s).");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw ArmException.Validation("value", $"The document could not be downloaded from '{shown}': it answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            if (response.Content.Headers.ContentLength > MaxBytes)
            {
                throw ArmException.Validation("value", $"The document at '{shown}' is larger than {MaxBytes / (1024 * 1024)} MB.");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, linked.Token)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    throw ArmException.Validation("value", $"The document at '{shown}' is larger than {MaxBytes / (1024 * 1024)} MB.");
                }

                buffer.Write(chunk, 0, read);
            }

            var charset = response.Content.Headers.ContentType?.CharSet;
            Encoding encoding;
            try
            {
                encoding = string.IsNullOrEmpty(charset) ? Encoding.UTF8 : Encoding.GetEncoding(charset.Trim('"'));
            }
            catch (ArgumentException)
            {
                encoding = Encoding.UTF8;
            }

            return encoding.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimStart('\uFEFF');
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw ArmException.Validation("value", $"The document could not be downloaded from '{shown}': no answer within {Timeout.TotalSeconds:0} seconds.");
        }
        catch (HttpRequestException e)
        {
            throw ArmException.Validation("value", $"The document could not be downloaded from '{shown}': {e.Message}");
        }
    }

    public void Dispose() => _http.Dispose();
}
