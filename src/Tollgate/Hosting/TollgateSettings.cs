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
        section.GetSection("Store").Bind(settings.Store);
        section.GetSection("Studio").Bind(settings.Studio);
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
        if (string.IsNullOrEmpty(section["Management:GatewayUrl"]))
        {
            settings.Management.GatewayUrl = !string.IsNullOrEmpty(settings.Gateway.HttpsUrl) ? settings.Gateway.HttpsUrl : settings.Gateway.HttpUrl ?? "";
        }

        return settings;
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
