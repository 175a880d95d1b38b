using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Management.Api;
using Tollgate.Management.Persistence;
using Tollgate.Security;

namespace Tollgate.Management.Services;

/// <summary>
/// Service principals: non-interactive clients of the management API (pipelines, Terraform, Azure SDKs). Each has a
/// client id and a client secret (CSPRNG, shown once, stored as a SHA-256 digest); it trades them at the OAuth 2.0
/// client-credentials token endpoint for a short-lived JWT (HS256, signed with a key kept encrypted in the store)
/// that the management API accepts as <c>Authorization: Bearer</c>. Principals are read from the store on every
/// check, so a revoked one is refused at once, on every management node.
/// </summary>
public sealed class ServicePrincipals(IResourceStore store, SecretVault vault, TimeProvider timeProvider)
{
    /// <summary>How long an issued token is valid (Azure AD's default for client credentials is about an hour).</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(1);

    /// <summary>The <c>iss</c> and <c>aud</c> of issued tokens.</summary>
    public const string Issuer = "tollgate";

    private const string PrincipalsSetting = "service-principals";
    private readonly SemaphoreSlim _writes = new(1, 1);
    private volatile SymmetricSecurityKey? _signingKey;
    private const string SigningKeySetting = "service-principal-signing-key";

    public sealed record Principal(string ClientId, string DisplayName, DateTimeOffset Created);

    /// <summary>Creates (or replaces the secret of) a principal; the secret is returned once and never again.</summary>
    public async Task<(Principal Principal, string Secret, bool Created)> PutAsync(string clientId, string? displayName, CancellationToken ct)
    {
        if (clientId.Length is 0 or > 80 || clientId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw ArmException.Validation("clientId", $"'{clientId}' is not a valid client id: use 1 to 80 letters, digits, '-', '_' or '.'.");
        }

        await _writes.WaitAsync(ct);
        try
        {
            // Principals are one setting: read, changed and written back with no other node's write in between.
            await using var storeLock = await store.LockWritesAsync(ct);
            return await PutLockedAsync(clientId, displayName, ct);
        }
        finally
        {
            _writes.Release();
        }
    }

    private async Task<(Principal Principal, string Secret, bool Created)> PutLockedAsync(string clientId, string? displayName, CancellationToken ct)
    {
        var all = await LoadAsync(ct);
        var secret = SecretGenerator.NewBase64Key(32);
        var created = all[clientId] is null;
        var now = timeProvider.GetUtcNow();
        var entry = new JsonObject
        {
            ["displayName"] = displayName ?? (string?)all[clientId]?["displayName"] ?? clientId,
            ["secretDigest"] = KeyDigest.Of(secret).ToString(),
            ["created"] = (string?)all[clientId]?["created"] ?? now.ToString("O"),
        };
        all[clientId] = entry;
        await store.SetSettingAsync(PrincipalsSetting, vault.Protect(all), ct);
        return (ToPrincipal(clientId, entry), secret, created);
    }

    public async Task<IReadOnlyList<Principal>> ListAsync(CancellationToken ct) =>
        (await LoadAsync(ct)).Select(p => ToPrincipal(p.Key, (JsonObject)p.Value!)).OrderBy(p => p.ClientId, StringComparer.Ordinal).ToList();

    public async Task<Principal?> GetAsync(string clientId, CancellationToken ct) =>
        (await LoadAsync(ct))[clientId] is JsonObject entry ? ToPrincipal(clientId, entry) : null;

    /// <summary>Revokes a principal: its secret stops working and tokens already issued to it are refused.</summary>
    public async Task<bool> DeleteAsync(string clientId, CancellationToken ct)
    {
        await _writes.WaitAsync(ct);
        try
        {
            // Principals are one setting: read, changed and written back with no other node's write in between.
            await using var storeLock = await store.LockWritesAsync(ct);
            var all = await LoadAsync(ct);
            if (!all.Remove(clientId))
            {
                return false;
            }

            await store.SetSettingAsync(PrincipalsSetting, vault.Protect(all), ct);
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>The client-credentials grant: a token for a known client id and its current secret, else null.</summary>
    public async Task<string?> IssueTokenAsync(string clientId, string clientSecret, CancellationToken ct)
    {
        if ((await LoadAsync(ct))[clientId] is not JsonObject entry
            || KeyDigest.Parse((string)entry["secretDigest"]!) != KeyDigest.Of(clientSecret))
        {
            return null;
        }

        var now = timeProvider.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            Subject = new ClaimsIdentity([new Claim("sub", clientId), new Claim("jti", Guid.NewGuid().ToString("N"))]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now.Add(TokenLifetime),
            SigningCredentials = new SigningCredentials(await SigningKeyAsync(ct), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Checks a token this server issued: signature, lifetime, and that its principal still exists. Null when valid, else why not.</summary>
    public async Task<string?> ValidateAsync(string token, CancellationToken ct)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Issuer,
            IssuerSigningKey = await SigningKeyAsync(ct),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromMinutes(1),
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = timeProvider.GetUtcNow().UtcDateTime;
                return expires is { } e && e > now && (notBefore is not { } nb || nb <= now.AddMinutes(1));
            },
        });
        if (!result.IsValid)
        {
            return "The bearer token is not valid: it is expired, altered or was not issued by this server.";
        }

        var subject = result.ClaimsIdentity.FindFirst("sub")?.Value;
        return subject is not null && await GetAsync(subject, ct) is not null ? null : "The service principal of the bearer token has been revoked.";
    }

    /// <summary>
    /// The signing key: made once (the first node to ask adds it, every other node reads that one) and never changed,
    /// so it is read from the store once per process.
    /// </summary>
    private async Task<SymmetricSecurityKey> SigningKeyAsync(CancellationToken ct)
    {
        if (_signingKey is { } key)
        {
            return key;
        }

        var stored = await store.GetOrAddSettingAsync(SigningKeySetting, vault.ProtectString(SecretGenerator.NewBase64Key(64)), ct);
        return _signingKey = new SymmetricSecurityKey(Convert.FromBase64String(vault.UnprotectString(stored)));
    }

    private async Task<JsonObject> LoadAsync(CancellationToken ct) =>
        await store.GetSettingAsync(PrincipalsSetting, ct) is { } stored ? vault.Unprotect(stored) : new JsonObject();

    private static Principal ToPrincipal(string clientId, JsonObject entry) =>
        new(clientId, (string?)entry["displayName"] ?? clientId, DateTimeOffset.Parse((string)entry["created"]!, System.Globalization.CultureInfo.InvariantCulture));
}
