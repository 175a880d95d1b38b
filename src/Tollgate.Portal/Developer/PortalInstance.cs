using System.Text.Json.Nodes;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Developer;

/// <summary>The instance a developer portal page shows: its name, organization and gateway.</summary>
public sealed record DeveloperInstance(string Name, string Organization, string GatewayUrl, JsonObject Properties)
{
    /// <summary>The publisher's branding (colour, theme, logo); the default when none is set or it could not be read.</summary>
    public Branding Branding { get; init; } = Branding.Default;
}

/// <summary>
/// Decides which instance the developer portal (<c>/</c>) shows, in one place: the instance the request's host name
/// names (<c>{name}.portal.localhost</c>, a custom Portal host name; see <see cref="PortalSites"/>), else on the bare
/// host <see cref="PortalOptions.DefaultInstance"/>, else the first instance the portal sees. Read once per request (scoped).
/// </summary>
public sealed class PortalInstance(ManagementApi management, PortalOptions options, Microsoft.AspNetCore.Http.IHttpContextAccessor http)
{
    private Task<(DeveloperInstance? Instance, ManagementError? Error)>? _current;

    /// <summary>The instance, or null with the reason (none exists yet, or the management API did not answer).</summary>
    public Task<(DeveloperInstance? Instance, ManagementError? Error)> GetAsync(CancellationToken ct) => _current ??= LoadAsync(ct);

    private async Task<(DeveloperInstance?, ManagementError?)> LoadAsync(CancellationToken ct)
    {
        var name = http.HttpContext?.Site().Instance ?? options.DefaultInstance;
        if (string.IsNullOrWhiteSpace(name))
        {
            var all = await management.ListInstancesAsync(ct);
            if (!all.Ok)
            {
                return (null, all.Error);
            }

            name = (all.Body!["value"] as JsonArray ?? []).OfType<JsonObject>().Select(i => (string?)i["name"]).Where(n => n is not null)
                .Order(StringComparer.OrdinalIgnoreCase).FirstOrDefault();
            if (name is null)
            {
                return (null, null);
            }
        }

        return await LoadAsync(management, name, ct);
    }

    /// <summary>Reads one instance by name (also for interactive components, which have no request).</summary>
    public static async Task<(DeveloperInstance?, ManagementError?)> LoadAsync(ManagementApi management, string name, CancellationToken ct)
    {
        var brandingTask = management.GetAsync(name, "/portalsettings/branding", ct);
        var instance = await management.GetInstanceAsync(name, ct);
        var branding = await brandingTask;
        if (!instance.Ok)
        {
            return (null, instance.Error!.Status == 404 ? null : instance.Error);
        }

        var p = instance.Body!["properties"] as JsonObject ?? [];
        var organization = (string?)p["publisherName"] is { Length: > 0 } o ? o : name;
        return (new DeveloperInstance((string?)instance.Body["name"] ?? name, organization, ((string?)p["gatewayUrl"] ?? "").TrimEnd('/'), p)
        {
            Branding = branding.Ok ? Branding.From(branding.Body) : Branding.Default,
        }, null);
    }
}
