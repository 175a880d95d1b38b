using System.Text.Json.Nodes;
using Tollgate.Security;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// The administrator credentials of the management API (APIM "tenant access"): an identifier and a primary and
/// secondary key that sign <c>SharedAccessSignature</c> tokens. Created with a CSPRNG on first start, stored encrypted.
/// Read from the store on every check (several management nodes share it): a key regenerated on one node is refused
/// by every node at once. Only the decryption is cached, for as long as the stored value is unchanged.
/// </summary>
public sealed class TenantAccess(IResourceStore store, SecretVault vault, TimeProvider timeProvider)
{
    public const string Identifier = "integration";
    private const string SettingName = "tenant-access";
    private volatile Decrypted? _last;

    public sealed record Credentials(string Id, string PrimaryKey, string SecondaryKey, bool Enabled);

    private sealed record Decrypted(string Stored, Credentials Credentials);

    public async Task<Credentials> GetAsync(CancellationToken cancellationToken = default)
    {
        var stored = await store.GetSettingAsync(SettingName, cancellationToken)
            ?? await store.GetOrAddSettingAsync(SettingName, vault.Protect(new JsonObject
            {
                ["id"] = Identifier,
                ["primaryKey"] = SecretGenerator.NewBase64Key(),
                ["secondaryKey"] = SecretGenerator.NewBase64Key(),
                ["enabled"] = true,
            }), cancellationToken);
        if (_last is { } last && string.Equals(last.Stored, stored, StringComparison.Ordinal))
        {
            return last.Credentials;
        }

        var json = vault.Unprotect(stored);
        var c = new Credentials((string)json["id"]!, (string)json["primaryKey"]!, (string)json["secondaryKey"]!, (bool?)json["enabled"] ?? true);
        _last = new Decrypted(stored, c);
        return c;
    }

    /// <summary>
    /// Replaces the primary or secondary key with a new random one; tokens it signed stop working on every node.
    /// Both keys are one setting: callers hold the store's write lock (<see cref="ResourceService.SerializedAsync{T}"/>),
    /// so no other node's regeneration lands between the read and the write.
    /// </summary>
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
