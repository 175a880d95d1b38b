using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// Single-use, expiring tokens of developer accounts (sign-up confirmation, password reset, invitation): 32 bytes
/// from a CSPRNG, base64url in the link; the store keeps only their SHA-256 (the resource's name), with the user,
/// the purpose and the expiry. Redeeming deletes the record on the condition of its ETag, so a token works once
/// even when two nodes redeem it at the same moment.
/// </summary>
public sealed class AccountTokens(IResourceStore store, TimeProvider time)
{
    public const string Kind = "accountToken";
    public const string Confirm = "confirm";
    public const string Reset = "reset";
    public const string SignIn = "sso";

    public static readonly TimeSpan ConfirmLifetime = TimeSpan.FromHours(24);
    public static readonly TimeSpan ResetLifetime = TimeSpan.FromHours(1);
    public static readonly TimeSpan InviteLifetime = TimeSpan.FromDays(7);

    /// <summary>How long the single sign-on URL of <c>users/{id}/generateSsoUrl</c> works (it is meant to be opened at once).</summary>
    public static readonly TimeSpan SignInLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Issues a token for the user and purpose, and returns it (the only place it exists in clear).</summary>
    public async Task<string> IssueAsync(ServiceScope scope, string userId, string purpose, CancellationToken ct, TimeSpan? lifetime = null)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        lifetime ??= purpose == Reset ? ResetLifetime : ConfirmLifetime;
        var properties = new JsonObject
        {
            ["userId"] = userId,
            ["purpose"] = purpose,
            ["expires"] = (time.GetUtcNow() + lifetime.Value).ToString("O", CultureInfo.InvariantCulture),
        };
        await store.ApplyAsync(scope.Name, [new ResourceChange.Put(Key(scope, token), properties, null)], ct);
        return token;
    }

    /// <summary>Uses up a token: the user it was issued to, or null when it is unknown, used, expired or of another purpose.</summary>
    public async Task<string?> RedeemAsync(ServiceScope scope, string? token, string purpose, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100)
        {
            return null;
        }

        var key = Key(scope, token);
        var stored = await store.GetAsync(key, ct);
        if (stored is null || (string?)stored.Properties["purpose"] != purpose)
        {
            return null;
        }

        try
        {
            await store.ApplyAsync(scope.Name, [new ResourceChange.Delete(key, stored.ETag)], ct);
        }
        catch (PreconditionFailedException)
        {
            return null; // Redeemed meanwhile.
        }

        var expires = DateTimeOffset.Parse((string)stored.Properties["expires"]!, CultureInfo.InvariantCulture);
        return expires > time.GetUtcNow() ? (string?)stored.Properties["userId"] : null;
    }

    /// <summary>Forgets every token of a user of one purpose (after a password is set, earlier reset links stop working).</summary>
    public async Task RevokeAsync(ServiceScope scope, string userId, string purpose, CancellationToken ct)
    {
        var tokens = (await store.ListAsync(scope.Name, Kind, "", ct))
            .Where(t => string.Equals((string?)t.Properties["userId"], userId, StringComparison.OrdinalIgnoreCase) && (string?)t.Properties["purpose"] == purpose)
            .Select(t => (ResourceChange)new ResourceChange.Delete(t.Key))
            .ToList();
        if (tokens.Count > 0)
        {
            await store.ApplyAsync(scope.Name, tokens, ct);
        }
    }

    private static ResourceKey Key(ServiceScope scope, string token) =>
        new(scope.Name, Kind, "", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
