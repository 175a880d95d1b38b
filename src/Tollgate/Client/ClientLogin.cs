using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tollgate.Commands;
using Tollgate.Security;

namespace Tollgate.Client;

/// <summary>
/// What <c>tollgate login</c> stores for the user (<c>~/.config/tollgate/login.json</c>, mode 0600): the management
/// API's address, the instance, the credential (a SharedAccessSignature, the administrator key that signs fresh ones,
/// or a service principal's id and secret) and, for a self-signed HTTPS certificate, the certificate to trust.
/// Every client command reads it and talks to the management API over HTTP(S), as any other client does.
/// </summary>
public sealed partial record ClientLogin(
    string BaseUrl, string SubscriptionId, string ResourceGroup, string Service,
    string? Token = null, string? KeyId = null, string? Key = null, string? ClientId = null, string? ClientSecret = null, string? CaCertificatePem = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The login file: <c>$XDG_CONFIG_HOME/tollgate/login.json</c> (else <c>~/.config/…</c>; on Windows %APPDATA%).</summary>
    public static string FilePath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "tollgate", "login.json");

    /// <summary>Splits <c>https://host:port/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ApiManagement/service/{name}</c>.</summary>
    public static (string BaseUrl, string SubscriptionId, string ResourceGroup, string Service)? ParseInstanceUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return null;
        }

        var match = InstancePath().Match(uri.AbsolutePath);
        if (!match.Success)
        {
            return null;
        }

        var root = uri.GetLeftPart(UriPartial.Authority) + uri.AbsolutePath[..match.Index];
        return (root, Uri.UnescapeDataString(match.Groups[1].Value), Uri.UnescapeDataString(match.Groups[2].Value), Uri.UnescapeDataString(match.Groups[3].Value));
    }

    public string InstanceUrl => $"{BaseUrl.TrimEnd('/')}/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}/providers/Microsoft.ApiManagement/service/{Service}";

    public string CredentialKind => ClientId is not null ? $"service principal {ClientId}" : KeyId is not null ? $"key of {KeyId}" : "SharedAccessSignature";

    /// <summary>Writes the login file, readable and writable by the user only.</summary>
    public void Save()
    {
        var path = FilePath;
        var directory = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var temp = path + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, this, Json);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The stored login; a missing or unreadable file is a <see cref="CliException"/> telling to log in.</summary>
    public static ClientLogin Load()
    {
        var path = FilePath;
        if (!File.Exists(path))
        {
            throw new CliException($"Not logged in: run 'tollgate login <instance URL> --token …' first (no {path}).");
        }

        try
        {
            return JsonSerializer.Deserialize<ClientLogin>(File.ReadAllText(path), Json) ?? throw new JsonException("empty");
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path} is not a login file ({ex.Message}); run 'tollgate login' again.");
        }
    }

    /// <summary>An HTTP client that trusts the system's roots and, when given, exactly the login's certificate.</summary>
    public HttpClient CreateHttpClient()
    {
        var handler = new SocketsHttpHandler();
        if (CaCertificatePem is { } pem)
        {
            var trusted = X509Certificate2.CreateFromPem(pem);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }

                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trusted);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            };
        }

        return new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };
    }

    /// <summary>The management client for the instance, with the credential's Authorization header made per call.</summary>
    public ManagementClient CreateClient(HttpClient http)
    {
        Func<CancellationToken, Task<string>> authorization;
        if (ClientId is not null)
        {
            string? bearer = null;
            var expires = DateTimeOffset.MinValue;
            authorization = async ct =>
            {
                if (bearer is null || DateTimeOffset.UtcNow >= expires)
                {
                    (bearer, expires) = await RequestTokenAsync(http, ct);
                }

                return "Bearer " + bearer;
            };
        }
        else if (KeyId is not null && Key is not null)
        {
            authorization = _ => Task.FromResult(SharedAccessSignature.Create(KeyId, Key, DateTimeOffset.UtcNow.AddHours(1)));
        }
        else
        {
            var token = Token ?? throw new CliException("The login file holds no credential; run 'tollgate login' again.");
            authorization = _ => Task.FromResult(token);
        }

        return new ManagementClient(http, BaseUrl, authorization, SubscriptionId, ResourceGroup, Service);
    }

    /// <summary>The OAuth 2.0 client-credentials grant at the management API's token endpoint.</summary>
    private async Task<(string Token, DateTimeOffset Expires)> RequestTokenAsync(HttpClient http, CancellationToken ct)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = ClientId!,
            ["client_secret"] = ClientSecret ?? "",
        });
        using var response = await http.PostAsync(BaseUrl.TrimEnd('/') + "/oauth2/v2.0/token", form, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw ManagementException.From(HttpMethod.Post, "/oauth2/v2.0/token", response.StatusCode, text);
        }

        var body = JsonNode.Parse(text)!;
        var lifetime = (int?)body["expires_in"] ?? 300;
        return ((string)body["access_token"]!, DateTimeOffset.UtcNow.AddSeconds(Math.Max(30, lifetime - 60)));
    }

    [GeneratedRegex("/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\\.ApiManagement/service/([^/]+)/?$", RegexOptions.IgnoreCase)]
    private static partial Regex InstancePath();
}

/// <summary>A client command's failure, printed as one line on standard error (exit code 1).</summary>
public sealed class CliException(string message) : Exception(message);
