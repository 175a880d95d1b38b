namespace Tollgate.Management.Services;

/// <summary>Settings of the control plane (section <c>Tollgate:Management</c>).</summary>
public sealed class ManagementOptions
{
    /// <summary>Where the management API listens over HTTP. Default <c>http://127.0.0.1:5081</c>; empty: no HTTP listener (then <see cref="HttpsUrl"/> is required).</summary>
    public string Url { get; set; } = "http://127.0.0.1:5081";

    /// <summary>
    /// Where the management API listens over HTTPS (Azure SDKs send bearer tokens only over HTTPS). Empty: none. The
    /// shipped appsettings.json sets <c>https://127.0.0.1:5444</c>.
    /// </summary>
    public string? HttpsUrl { get; set; }

    /// <summary>A PFX for the HTTPS listener; default: the gateway's certificate (configured or self-signed in the data directory).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// The <c>gatewayUrl</c> of instances: <c>{name}</c> stands for the instance's name. Default: the gateway's HTTPS
    /// listener (HTTP without one) on the instance's host name, <c>https://{name}.localhost:5443</c>.
    /// </summary>
    public string GatewayUrl { get; set; } = "https://{name}.localhost:5443";

    /// <summary>
    /// The developer portal's URL of instances (<c>developerPortalUrl</c>; <c>portalUrl</c> is its publisher portal,
    /// <c>/admin</c>): <c>{name}</c> stands for the instance's name. Default: the portal's listener on <c>{name}.portal.{HostSuffix}</c>, <c>http://{name}.portal.localhost:5083</c>.
    /// </summary>
    public string PortalUrl { get; set; } = "http://{name}.portal.localhost:5083";

    /// <summary>The HTTP and HTTPS ports of the gateway's listeners, for the URLs of custom host names (0: no such listener).</summary>
    public int GatewayHttpPort { get; set; } = 5080;

    /// <inheritdoc cref="GatewayHttpPort"/>
    public int GatewayHttpsPort { get; set; } = 5443;

    /// <summary>The instance's <c>gatewayUrl</c>.</summary>
    public string GatewayUrlOf(string service) => GatewayUrl.Replace("{name}", service.ToLowerInvariant(), StringComparison.Ordinal);

    /// <summary>The instance's <c>developerPortalUrl</c>.</summary>
    public string PortalUrlOf(string service) => PortalUrl.Replace("{name}", service.ToLowerInvariant(), StringComparison.Ordinal);

    /// <summary>The URL of a listener with a host name of an instance: <c>{scheme}://{name}.{suffix}:{port}</c>, the template <see cref="GatewayUrl"/> takes.</summary>
    public static string InstanceUrl(string listenerUrl, string hostSuffix, string prefix = "")
    {
        var uri = new Uri(listenerUrl);
        var port = uri.IsDefaultPort ? "" : ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"{uri.Scheme}://{{name}}.{prefix}{hostSuffix.Trim('.')}{port}";
    }

    /// <summary>The URL of a custom host name on the gateway's listener of a scheme ("http" or "https"), or null without one.</summary>
    public string? HostNameUrl(string scheme, string hostName)
    {
        var port = scheme == "https" ? GatewayHttpsPort : GatewayHttpPort;
        if (port == 0)
        {
            return null;
        }

        var isDefault = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
        return isDefault ? $"{scheme}://{hostName}" : $"{scheme}://{hostName}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>Page size of lists when <c>$top</c> is not given (APIM pages at 100).</summary>
    public int DefaultPageSize { get; set; } = 100;

    /// <summary>
    /// How often subscription keys are looked after: scheduled rotations that are due, replaced keys whose overlap
    /// ended, expiry notices, and the keys' last use written from the request log. Default 1 minute; at most 49 days.
    /// </summary>
    public TimeSpan KeyCheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Settings of the store (section <c>Tollgate:Store</c>).</summary>
public sealed class StoreOptions
{
    /// <summary><c>sqlite</c> (default: a file under the data directory) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Connection string; for SQLite defaults to <c>Data Source={DataDirectory}/tollgate.db</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// PostgreSQL: how often each management node also reads every instance's revision, to catch a change whose
    /// <c>NOTIFY</c> it missed (its listening connection was down). Notifications make changes reach it at once.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
