using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Core.Resources;
using Tollgate.Management.Api;
using Tollgate.Management.Persistence;
using Tollgate.Security;

namespace Tollgate.Management.Services;

/// <summary>
/// APIM's user tokens (<c>POST users/{userId}/token</c>): <c>{userId}&amp;{expiry yyyyMMddHHmm, UTC}&amp;{base64
/// HMAC-SHA512(key, userId + "\n" + expiry)}</c>, the value a <c>SharedAccessSignature</c> header carries for that
/// user. Each instance has its own primary and secondary signing keys (64 bytes from a CSPRNG, created when first
/// needed and kept encrypted in the store); tokens are not stored, so any management node checks them.
/// </summary>
public sealed class UserTokens(IResourceStore store, SecretVault vault, ResourceService resources, TimeProvider time)
{
    /// <summary>The latest expiry a token may have, from now (as the administrator's tokens).</summary>
    public static readonly TimeSpan MaxLifetime = SharedAccessSignature.MaxLifetime;

    private const string ExpiryFormat = "yyyyMMddHHmm";

    /// <summary>Issues a token for the user from <c>{"properties":{"keyType":"primary"|"secondary","expiry":"…"}}</c>; 400 naming the field.</summary>
    public async Task<string> IssueAsync(ServiceScope scope, string userId, JsonObject body, CancellationToken ct)
    {
        var (user, _) = await resources.GetAsync(scope, ResourceKind.User, "", userId, ct);
        var properties = body["properties"] as JsonObject ?? throw ArmException.Validation("properties", "'properties' is required: {\"keyType\":\"primary\",\"expiry\":\"…\"}.");
        var errors = new List<ValidationError>();
        var keyType = properties["keyType"] is JsonValue k && k.TryGetValue<string>(out var kt) ? kt : null;
        if (keyType is not ("primary" or "secondary"))
        {
            errors.Add(new ValidationError("keyType", "'keyType' is required: 'primary' or 'secondary'."));
        }

        var now = time.GetUtcNow();
        DateTimeOffset expiry = default;
        if (properties["expiry"] is not JsonValue e || !e.TryGetValue<string>(out var text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out expiry))
        {
            errors.Add(new ValidationError("expiry", "'expiry' is required: an ISO 8601 date and time (UTC), such as 2026-12-31T00:00:00Z."));
        }
        else if (Truncate(expiry) <= now)
        {
            errors.Add(new ValidationError("expiry", "'expiry' must be in the future (tokens expire on the minute)."));
        }
        else if (expiry - now > MaxLifetime)
        {
            errors.Add(new ValidationError("expiry", $"'expiry' may be at most {MaxLifetime.TotalDays:0} days from now."));
        }

        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        var name = (string)user["name"]!;
        var ex = Truncate(expiry).UtcDateTime.ToString(ExpiryFormat, CultureInfo.InvariantCulture);
        var keys = await KeysAsync(scope, ct);
        return $"{name}&{ex}&{Sign(keyType == "primary" ? keys.Primary : keys.Secondary, name, ex)}";
    }

    /// <summary>
    /// The user a token was issued to, when it is genuine (either key), not expired, and the user still exists and is
    /// active; else null with the reason. Accepts the token bare or as <c>SharedAccessSignature {token}</c>.
    /// </summary>
    public async Task<(string? UserId, string? Problem)> ValidateAsync(ServiceScope scope, string? token, CancellationToken ct)
    {
        token = token?.Trim();
        if (token?.StartsWith(SharedAccessSignature.Scheme + " ", StringComparison.OrdinalIgnoreCase) == true)
        {
            token = token[(SharedAccessSignature.Scheme.Length + 1)..].Trim();
        }

        var parts = token?.Split('&') ?? [];
        if (parts.Length != 3 || parts[0].Length == 0
            || !DateTime.TryParseExact(parts[1], ExpiryFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expiry))
        {
            return (null, "The token is not a user token ({userId}&{yyyyMMddHHmm}&{signature}).");
        }

        byte[] presented;
        try
        {
            presented = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            return (null, "The token's signature is not valid.");
        }

        var keys = await KeysAsync(scope, ct);
        var genuine = false;
        foreach (var key in new[] { keys.Primary, keys.Secondary })
        {
            // Both keys are always checked: the time taken says nothing about which one signed.
            genuine |= CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(Sign(key, parts[0], parts[1])), presented);
        }

        if (!genuine)
        {
            return (null, "The token's signature is not valid.");
        }

        if (new DateTimeOffset(expiry, TimeSpan.Zero) <= time.GetUtcNow())
        {
            return (null, "The token has expired.");
        }

        var user = await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", parts[0]), ct);
        return user is null || (string?)user.Properties["state"] is not (null or "active")
            ? (null, "The token's user does not exist or is not active.")
            : (user.Key.Name, null);
    }

    private static DateTimeOffset Truncate(DateTimeOffset t) => new(t.UtcDateTime.Year, t.UtcDateTime.Month, t.UtcDateTime.Day, t.UtcDateTime.Hour, t.UtcDateTime.Minute, 0, TimeSpan.Zero);

    private static string Sign(string key, string userId, string expiry) =>
        Convert.ToBase64String(HMACSHA512.HashData(Convert.FromBase64String(key), Encoding.UTF8.GetBytes(userId + "\n" + expiry)));

    /// <summary>
    /// The instance's signing keys, added by the first node to ask. They belong to this incarnation of the instance
    /// (its creation time is part of their name): an instance deleted and created again under the same name has new
    /// keys, so no token issued before the delete works on it.
    /// </summary>
    private async Task<(string Primary, string Secondary)> KeysAsync(ServiceScope scope, CancellationToken ct)
    {
        var service = await store.GetAsync(ResourceService.ServiceKey(scope.Name), ct) ?? throw ArmException.NotFound("Service");
        var created = (string?)service.Properties["createdAtUtc"] ?? "";
        var stored = await store.GetOrAddSettingAsync($"user-token-keys:{scope.Name.ToLowerInvariant()}:{created}", vault.Protect(new JsonObject
        {
            ["primaryKey"] = SecretGenerator.NewBase64Key(),
            ["secondaryKey"] = SecretGenerator.NewBase64Key(),
        }), ct);
        var keys = vault.Unprotect(stored);
        return ((string)keys["primaryKey"]!, (string)keys["secondaryKey"]!);
    }
}
