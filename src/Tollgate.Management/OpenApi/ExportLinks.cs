using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;
using Tollgate.Security;

namespace Tollgate.Management.Api;

/// <summary>
/// APIM's export by link: <c>GET apis/{id}?export=true&amp;format=openapi-link</c> answers
/// <c>{id, format, value:{link}}</c>, where the link downloads the document without credentials for five minutes.
/// Links are signed (HMAC-SHA256 with a key kept encrypted in the store) rather than stored, so any management
/// node serves them, and the document is made when the link is fetched.
/// </summary>
public sealed class ExportLinks(IResourceStore store, SecretVault vault, TimeProvider timeProvider)
{
    public const string PathPrefix = "/export-links";

    /// <summary>How long a link works (APIM: a SAS valid for five minutes).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private const string KeySetting = "export-link-key";
    private byte[]? _key;

    /// <summary>The link formats and the document each downloads.</summary>
    public static readonly IReadOnlyDictionary<string, (ExportFormat Format, string ContentType)> Formats =
        new Dictionary<string, (ExportFormat, string)>(StringComparer.OrdinalIgnoreCase)
        {
            ["openapi-link"] = (ExportFormat.OpenApiYaml, "application/yaml"),
            ["openapi+json-link"] = (ExportFormat.OpenApiJson, "application/json"),
            ["swagger-link"] = (ExportFormat.SwaggerJson, "application/json"),
        };

    public async Task<string> CreateAsync(HttpRequest request, ServiceScope scope, string apiId, string format, CancellationToken ct)
    {
        var expiry = timeProvider.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var path = LinkPath(scope, apiId);
        var signature = await SignAsync(path, format, expiry, ct);
        return $"{request.Scheme}://{request.Host}{request.PathBase}{path}?format={Uri.EscapeDataString(format)}&se={expiry}&sig={Uri.EscapeDataString(signature)}";
    }

    /// <summary>Null when the link is genuine and not expired, else why not.</summary>
    public async Task<string?> ValidateAsync(string path, string? format, string? expiry, string? signature, CancellationToken ct)
    {
        if (format is null || expiry is null || signature is null || !long.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return "The export link is incomplete.";
        }

        byte[] presented;
        try
        {
            presented = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return "The export link's signature is not valid.";
        }

        if (!CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(await SignAsync(path, format, expiry, ct)), presented))
        {
            return "The export link's signature is not valid.";
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds) <= timeProvider.GetUtcNow() ? "The export link has expired; export the API again for a new one." : null;
    }

    private static string LinkPath(ServiceScope scope, string apiId) =>
        $"{PathPrefix}/subscriptions/{Uri.EscapeDataString(scope.SubscriptionId)}/resourceGroups/{Uri.EscapeDataString(scope.ResourceGroup)}/service/{Uri.EscapeDataString(scope.Name)}/apis/{Uri.EscapeDataString(apiId)}";

    private async Task<string> SignAsync(string path, string format, string expiry, CancellationToken ct)
    {
        // The key is added once by the first node to ask and never changes: read it from the store once per process.
        var key = _key ??= Convert.FromBase64String(vault.UnprotectString(
            await store.GetOrAddSettingAsync(KeySetting, vault.ProtectString(SecretGenerator.NewBase64Key(32)), ct)));
        return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{path}\n{format.ToLowerInvariant()}\n{expiry}")));
    }

    /// <summary>The download behind a link: no credentials, the link's signature instead.</summary>
    public static IEndpointRouteBuilder MapExportLinks(IEndpointRouteBuilder app)
    {
        app.MapGet(PathPrefix + "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/service/{serviceName}/apis/{apiId}",
            (HttpContext http, string subscriptionId, string resourceGroup, string serviceName, string apiId, ExportLinks links, OpenApiService openApi) =>
                ManagementEndpoints.Handle(http, async ct =>
                {
                    var scope = new ServiceScope(subscriptionId, resourceGroup, serviceName);
                    var format = http.Request.Query["format"].FirstOrDefault();
                    var problem = await links.ValidateAsync(LinkPath(scope, apiId), format, http.Request.Query["se"].FirstOrDefault(), http.Request.Query["sig"].FirstOrDefault(), ct);
                    if (problem is not null || !Formats.TryGetValue(format!, out var document))
                    {
                        throw new ArmException(403, "AuthenticationFailed", problem ?? "The export link names an unknown format.");
                    }

                    return Results.Text(await openApi.ExportAsync(scope, apiId, document.Format, ct), document.ContentType);
                }));
        return app;
    }
}
