using Microsoft.Extensions.Configuration;
using Tollgate.Gateway;
using Tollgate.Management.Analytics;
using Tollgate.Management.Services;

namespace Tollgate.Hosting;

/// <summary>The roles one process can host.</summary>
[Flags]
public enum TollgateRoles
{
    None = 0,
    Gateway = 1,
    Management = 2,
    Studio = 4,
    Portal = 8,
    All = Gateway | Management | Studio | Portal,
}

/// <summary>
/// <c>Tollgate:Metrics</c>. <c>/metrics</c> (the whole process's metrics) is served on the management listener when
/// this process hosts management, and on <see cref="Url"/> when set: a listener of its own, for a gateway or Studio
/// running without management. The gateway's public listeners never serve it.
/// </summary>
public sealed class MetricsOptions
{
    /// <summary>A dedicated listener serving only <c>/metrics</c> (<c>http://127.0.0.1:5085</c>); empty: none.</summary>
    public string? Url { get; set; }
}

/// <summary>Everything under the <c>Tollgate</c> configuration section, read once at start.</summary>
public sealed class TollgateSettings
{
    public string DataDirectory { get; set; } = "./data";

    public TollgateRoles Roles { get; set; } = TollgateRoles.All;

    public GatewayOptions Gateway { get; set; } = new();

    public ManagementOptions Management { get; set; } = new();

    public StoreOptions Store { get; set; } = new();

    /// <summary><c>Tollgate:Mail</c>: e-mail notifications over SMTP, or <c>.eml</c> files in <c>{data}/mail</c> without a server.</summary>
    public Tollgate.Management.Mail.MailOptions Mail { get; set; } = new();

    /// <summary>The Studio role (<c>Tollgate:Studio:*</c>).</summary>
    public Tollgate.Studio.StudioOptions Studio { get; set; } = new();

    /// <summary>The portal role (<c>Tollgate:Portal:*</c>): the publisher portal, an HTTP client of the management API.</summary>
    public Tollgate.Portal.PortalOptions Portal { get; set; } = new();

    /// <summary>Base64 AES-256 data key for secrets at rest; default: <c>{data}/secrets.key</c>.</summary>
    public string? SecretsKey { get; set; }

    /// <summary><c>Tollgate:Metrics</c>: where <c>/metrics</c> is served besides the management listener.</summary>
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary><c>Tollgate:Analytics</c>: the request log (on by default) and its retention.</summary>
    public AnalyticsOptions Analytics { get; set; } = new();

    /// <summary>Whether the gateway records every call for the reports (<c>Tollgate:Analytics:Enabled</c>, default true).</summary>
    public bool AnalyticsEnabled => Analytics.Enabled;

    /// <summary>Reads the settings; a value of the wrong type or an unknown role is a <see cref="StartupException"/> naming the setting.</summary>
    public static TollgateSettings From(IConfiguration configuration)
    {
        try
        {
            return Read(configuration);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is FormatException or OverflowException or ArgumentException)
        {
            // Binder messages name the key: "Failed to convert configuration value 'x' at 'Tollgate:Gateway:BackendTimeout' to type 'System.TimeSpan'."
            throw new StartupException(ex.Message.TrimEnd('.') + ": " + ex.InnerException!.Message, ex);
        }
    }

    private static TollgateSettings Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Tollgate");
        var settings = new TollgateSettings();
        section.GetSection("Gateway").Bind(settings.Gateway);
        section.GetSection("Management").Bind(settings.Management);
        if (settings.Management.KeyCheckInterval < TimeSpan.FromSeconds(1) || settings.Management.KeyCheckInterval > TimeSpan.FromDays(49))
        {
            throw new StartupException($"Tollgate:Management:KeyCheckInterval is {settings.Management.KeyCheckInterval}: it must be between one second and 49 days.");
        }

        section.GetSection("Store").Bind(settings.Store);
        section.GetSection("Mail").Bind(settings.Mail);
        if (settings.Mail.Problem() is { } mailProblem)
        {
            throw new StartupException(mailProblem);
        }

        section.GetSection("Studio").Bind(settings.Studio);
        if (settings.Studio.Problem() is { } studioProblem)
        {
            throw new StartupException(studioProblem);
        }

        section.GetSection("Portal").Bind(settings.Portal);
        settings.DataDirectory = Path.GetFullPath(section["DataDirectory"] ?? settings.DataDirectory);
        try
        {
            settings.Roles = ParseRoles(section["Roles"]);
        }
        catch (ArgumentException ex)
        {
            throw new StartupException("Tollgate:Roles (--roles): " + ex.Message, ex);
        }

        settings.Studio.DataDirectory = settings.DataDirectory;
        settings.SecretsKey = section["Secrets:Key"];
        section.GetSection("Analytics").Bind(settings.Analytics);
        section.GetSection("Metrics").Bind(settings.Metrics);
        CheckInstanceSettings(settings.Gateway);
        settings.GatewayUrlDerived = string.IsNullOrEmpty(section["Management:GatewayUrl"]);
        settings.PortalUrlDerived = string.IsNullOrEmpty(section["Management:PortalUrl"]);
        settings.DeriveGatewayUrls();

        return settings;
    }

    /// <summary><c>Tollgate:Gateway:HostSuffix</c> must be a DNS name; <c>Tollgate:Gateway:Services</c> <c>*</c> or instance names.</summary>
    private static void CheckInstanceSettings(GatewayOptions gateway)
    {
        static bool Label(string l) => l.Length is > 0 and <= 63 && !l.StartsWith('-') && !l.EndsWith('-') && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
        var suffix = gateway.HostSuffix?.Trim().Trim('.') ?? "";
        if (suffix.Length == 0 || !suffix.Split('.').All(Label))
        {
            throw new StartupException($"Tollgate:Gateway:HostSuffix is '{gateway.HostSuffix}': it must be a DNS name such as localhost or apis.example.com (instances are served on {{name}}.{{HostSuffix}}).");
        }

        gateway.HostSuffix = suffix;
        foreach (var name in (gateway.Services ?? "*").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (name != "*" && !Label(name))
            {
                throw new StartupException($"Tollgate:Gateway:Services names '{name}', which is not an instance name: give * (every instance) or names separated by commas.");
            }
        }
    }

    /// <summary>Whether <c>Tollgate:Management:GatewayUrl</c> is derived from the gateway's listeners (not set).</summary>
    public bool GatewayUrlDerived { get; private set; }

    /// <summary>Whether <c>Tollgate:Management:PortalUrl</c> is derived from the portal's listener (not set).</summary>
    public bool PortalUrlDerived { get; private set; }

    /// <summary>
    /// The instance URLs management shows, from the gateway's and the portal's listeners: <c>gatewayUrl</c> (unless set) is the HTTPS
    /// listener (HTTP without one) on <c>{name}.{HostSuffix}</c>; custom host names' URLs use the listeners' ports.
    /// Called again once the listeners are bound (a port of 0 reads back as the real one).
    /// </summary>
    public void DeriveGatewayUrls()
    {
        var gateway = Gateway;

        // A URL that does not parse is left to the listener check, which names the setting.
        var https = Uri.TryCreate(gateway.HttpsUrl, UriKind.Absolute, out var h) ? h : null;
        var http = Uri.TryCreate(gateway.HttpUrl, UriKind.Absolute, out var p) ? p : null;
        Management.GatewayHttpsPort = https?.Port ?? 0;
        Management.GatewayHttpPort = http?.Port ?? 0;
        if (GatewayUrlDerived && (https ?? http) is { } listener)
        {
            Management.GatewayUrl = ManagementOptions.InstanceUrl(listener.ToString(), gateway.HostSuffix);
        }

        // developerPortalUrl: the portal's listener on {name}.portal.{HostSuffix}.
        if (PortalUrlDerived && Uri.TryCreate(Portal.Url, UriKind.Absolute, out var portal))
        {
            Management.PortalUrl = ManagementOptions.InstanceUrl(portal.ToString(), gateway.HostSuffix, "portal.");
        }
    }

    /// <summary>Parses <c>gateway,management,studio,portal</c> (also <c>all</c>); unknown names are an error naming them.</summary>
    public static TollgateRoles ParseRoles(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return TollgateRoles.All;
        }

        var roles = TollgateRoles.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            roles |= part.ToLowerInvariant() switch
            {
                "gateway" => TollgateRoles.Gateway,
                "management" => TollgateRoles.Management,
                "studio" => TollgateRoles.Studio,
                "portal" => TollgateRoles.Portal,
                "all" => TollgateRoles.All,
                _ => throw new ArgumentException($"Unknown role '{part}'. Roles are: gateway, management, studio, portal (or all)."),
            };
        }

        return roles;
    }
}
