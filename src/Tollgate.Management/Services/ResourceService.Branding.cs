using System.Text.Json.Nodes;
using Tollgate.Management.Api;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

public sealed partial class ResourceService
{
    /// <summary>Kind of the instance's developer portal branding (primary colour, default theme).</summary>
    public const string BrandingKind = "portalBranding";

    /// <summary>Kind of the branding's logo (kept apart, so reading the branding never reads the image).</summary>
    public const string BrandingLogoKind = "portalLogo";

    private static ResourceKey BrandingKey(ServiceScope scope) => new(scope.Name, BrandingKind, "", "branding");

    private static ResourceKey LogoKey(ServiceScope scope) => new(scope.Name, BrandingLogoKind, "", "logo");

    /// <summary><c>GET …/portalsettings/branding</c>: the defaults until something is set.</summary>
    public async Task<JsonObject> GetBrandingAsync(ServiceScope scope, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var stored = await store.GetAsync(BrandingKey(scope), ct);
        return PortalBranding.ToJson(scope.BaseId, stored?.Properties, LogoInfo(stored?.Properties));
    }

    /// <summary><c>PUT</c> (everything, what is left out is the default) or <c>PATCH</c> (what is sent) of the branding.</summary>
    public async Task<JsonObject> SetBrandingAsync(ServiceScope scope, JsonObject body, bool patch, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        if (body["properties"] is not JsonObject properties)
        {
            throw ArmException.Validation("properties", "'properties' is required: {\"properties\": {\"primaryColor\": \"#0f6cbd\", \"defaultTheme\": \"light\", \"logo\": {…}}}.");
        }

        // The dispatcher runs writes serialized (ResourceService.SerializedAsync): read, check and write stay together.
        var current = await store.GetAsync(BrandingKey(scope), ct);
        var (settings, logo, keepLogo, errors) = PortalBranding.Check(properties, current?.Properties, patch);
        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        var changes = new List<ResourceChange>();
        if (logo is not null)
        {
            settings!["logo"] = new JsonObject
            {
                ["contentType"] = logo.ContentType, ["size"] = logo.Content.Length, ["hash"] = logo.Hash,
                ["updated"] = timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            };
            changes.Add(new ResourceChange.Put(LogoKey(scope), new JsonObject { ["contentType"] = logo.ContentType, ["value"] = Convert.ToBase64String(logo.Content) }, null));
        }
        else if (keepLogo && current?.Properties["logo"] is JsonObject kept)
        {
            settings!["logo"] = kept.DeepClone();
        }
        else
        {
            changes.Add(new ResourceChange.Delete(LogoKey(scope)));
        }

        changes.Insert(0, new ResourceChange.Put(BrandingKey(scope), settings!, null));
        await ApplyAsync(scope, changes, ct);
        return PortalBranding.ToJson(scope.BaseId, settings, LogoInfo(settings));
    }

    /// <summary><c>GET …/portalsettings/branding/logo</c>: the image, or null when there is none.</summary>
    public async Task<BrandingLogo?> GetBrandingLogoAsync(ServiceScope scope, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var stored = await store.GetAsync(LogoKey(scope), ct);
        return stored is null || (string?)stored.Properties["value"] is not { } value
            ? null
            : new BrandingLogo(Convert.FromBase64String(value), (string?)stored.Properties["contentType"] ?? "application/octet-stream");
    }

    private static BrandingLogoInfo? LogoInfo(JsonObject? settings) =>
        settings?["logo"] is JsonObject l && (string?)l["contentType"] is { } type && (string?)l["hash"] is { } hash
            ? new BrandingLogoInfo(type, (int?)l["size"] ?? 0, hash,
                DateTimeOffset.TryParse((string?)l["updated"], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var u) ? u : DateTimeOffset.UnixEpoch)
            : null;
}
