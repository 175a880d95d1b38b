using System.Text.Json.Nodes;
using Tollgate.Security;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// The administrator credentials of the management API (APIM "tenant access"): an identifier and a primary and
/// secondary key that sign <c>SharedAccessSignature</c> tokens. Created with a CSPRNG on first start, stored encrypted.
/// </summary>
public sealed class TenantAccess(IResourceStore store, SecretVault vault, TimeProvider timeProvider)
{
    public const string Identifier = "integration";
    private const string SettingName = "tenant-access";
    private volatile Credentials? _credentials;

    public sealed record Credentials(string Id, string PrimaryKey, string SecondaryKey, bool Enabled);

    public async Task<Credentials> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_credentials is { } c)
        {
            return c;
        }

        var fresh = new JsonObject
        {
            ["id"] = Identifier,
            ["primaryKey"] = SecretGenerator.NewBase64Key(),
            ["secondaryKey"] = SecretGenerator.NewBase64Key(),
            ["enabled"] = true,
        };
        var stored = await store.GetOrAddSettingAsync(SettingName, vault.Protect(fresh), cancellationToken);
        var json = vault.Unprotect(stored);
        c = new Credentials((string)json["id"]!, (string)json["primaryKey"]!, (string)json["secondaryKey"]!, (bool?)json["enabled"] ?? true);
        _credentials = c;
        return c;
    }

    /// <summary>Replaces the primary or secondary key with a new random one; tokens it signed stop working.</summary>
    public async Task RegenerateAsync(bool primary, CancellationToken cancellationToken = default)
    {
        var c = await GetAsync(cancellationToken);
        var key = SecretGenerator.NewBase64Key();
        var updated = primary ? c with { PrimaryKey = key } : c with { SecondaryKey = key };
        await store.SetSettingAsync(SettingName, vault.Protect(new JsonObject
        {
            ["id"] = updated.Id,
            ["primaryKey"] = updated.PrimaryKey,
            ["secondaryKey"] = updated.SecondaryKey,
            ["enabled"] = updated.Enabled,
        }), cancellationToken);
        _credentials = updated;
    }

    /// <summary>Validates an Authorization header; null when valid, else why not.</summary>
    public async Task<string?> ValidateAsync(string? authorization, CancellationToken cancellationToken = default)
    {
        var c = await GetAsync(cancellationToken);
        return SharedAccessSignature.Validate(authorization,
            uid => c.Enabled && string.Equals(uid, c.Id, StringComparison.Ordinal) ? [c.PrimaryKey, c.SecondaryKey] : [],
            timeProvider.GetUtcNow());
    }

    /// <summary>A token signed with the primary key, valid for <paramref name="lifetime"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The lifetime is not positive or longer than <see cref="SharedAccessSignature.MaxLifetime"/>.</exception>
    public async Task<string> CreateTokenAsync(TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        if (lifetime <= TimeSpan.Zero || lifetime > SharedAccessSignature.MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, $"A token's lifetime must be more than 0 and at most {SharedAccessSignature.MaxLifetime.TotalDays:0} days.");
        }

        var c = await GetAsync(cancellationToken);
        return SharedAccessSignature.Create(c.Id, c.PrimaryKey, timeProvider.GetUtcNow().Add(lifetime));
    }
}
