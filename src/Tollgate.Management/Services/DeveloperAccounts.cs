using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Tollgate.Core.Resources;
using Tollgate.Management.Persistence;
using Tollgate.Security;

namespace Tollgate.Management.Services;

/// <summary>
/// The developer portal's sign-in for an instance's users (APIM users with a password, PBKDF2-hashed by
/// <see cref="PasswordHasher"/> when the user is written). Repeated failures for one e-mail lock its sign-in for a
/// while; a blocked user, or one still pending confirmation, is refused with its reason.
/// </summary>
public sealed class DeveloperAccounts(IResourceStore store, SecretVault vault, ResourceService resources, TimeProvider timeProvider,
    AccountTokens tokens, Tollgate.Management.Mail.MailNotifications mail, UserTokens userTokens)
{
    /// <summary>Failed sign-ins in a row (per instance and e-mail) that lock the sign-in.</summary>
    public const int MaxFailures = 5;

    /// <summary>The shortest password a developer may choose.</summary>
    public const int MinPasswordLength = 8;

    /// <summary>How long a locked sign-in stays locked.</summary>
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    // Verified when the e-mail is unknown, so an unknown e-mail takes as long as a wrong password.
    private static readonly string DummyHash = PasswordHasher.Hash(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
    private readonly ConcurrentDictionary<string, Attempts> _attempts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks a developer's e-mail and password. Never says which of the two was wrong.</summary>
    public async Task<SignInResult> SignInAsync(ServiceScope scope, string? email, string? password, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var attemptsKey = scope.Name + "\n" + (email ?? "").Trim();
        var now = timeProvider.GetUtcNow();
        var attempts = _attempts.GetOrAdd(attemptsKey, _ => new Attempts());
        lock (attempts)
        {
            if (attempts.LockedUntil is { } until && until > now)
            {
                return new SignInResult(SignInOutcome.LockedOut, null, until);
            }
        }

        var user = await FindByEmailAsync(scope, email, ct);
        var hash = user is null ? null : (string?)vault.Unprotect(user.Secrets)["passwordHash"];
        var ok = PasswordHasher.Verify(password ?? "", hash ?? DummyHash) && hash is not null;
        lock (attempts)
        {
            if (ok)
            {
                attempts.Failures = 0;
                attempts.LockedUntil = null;
            }
            else if (++attempts.Failures >= MaxFailures)
            {
                attempts.Failures = 0;
                attempts.LockedUntil = now + LockoutDuration;
                return new SignInResult(SignInOutcome.LockedOut, null, attempts.LockedUntil);
            }
        }

        if (!ok)
        {
            return new SignInResult(SignInOutcome.Invalid, null, null);
        }

        return (string?)user!.Properties["state"] switch
        {
            "blocked" => new SignInResult(SignInOutcome.Blocked, null, null),
            "pending" => new SignInResult(SignInOutcome.Pending, null, null),
            "deleted" => new SignInResult(SignInOutcome.Invalid, null, null),
            _ => new SignInResult(SignInOutcome.Success, User(user), null),
        };
    }

    /// <summary>Changes a developer's password after checking the current one; null when done, else the field that is wrong and why.</summary>
    public async Task<ValidationError?> ChangePasswordAsync(ServiceScope scope, string? userId, string? currentPassword, string? newPassword, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var user = string.IsNullOrEmpty(userId) ? null : await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", userId), ct);
        var hash = user is null ? null : (string?)vault.Unprotect(user.Secrets)["passwordHash"];
        if (!PasswordHasher.Verify(currentPassword ?? "", hash ?? DummyHash) || hash is null)
        {
            return new ValidationError("currentPassword", "The current password is not correct.");
        }

        if (CheckPassword(newPassword) is { } problem)
        {
            return new ValidationError("newPassword", problem);
        }

        await resources.SerializedAsync(() => resources.PatchAsync(scope, ResourceKind.User, "", user!.Key.Name,
            new JsonObject { ["properties"] = new JsonObject { ["password"] = newPassword } }, null, ct), ct);
        return null;
    }

    /// <summary>
    /// Confirms a sign-up with the token of its e-mail's link: the pending user becomes active (and gets the welcome
    /// letter). The token works once; the user, or null when the token is unknown, used or expired.
    /// </summary>
    public async Task<JsonObject?> ConfirmAsync(ServiceScope scope, string? token, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        return await resources.SerializedAsync(async () =>
        {
            var userId = await tokens.RedeemAsync(scope, token, AccountTokens.Confirm, ct);
            var user = userId is null ? null : await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", userId), ct);
            if (user is null)
            {
                return null;
            }

            if ((string?)user.Properties["state"] == "pending")
            {
                await resources.PatchAsync(scope, ResourceKind.User, "", user.Key.Name, new JsonObject { ["properties"] = new JsonObject { ["state"] = "active" } }, null, ct);
            }

            return User(user);
        }, ct);
    }

    /// <summary>
    /// Sends the password reset e-mail (<c>passwordResetIdentityDefault</c>, or <c>passwordResetByAdminNotificationMessage</c>
    /// when the administrator asks) with a single-use link valid for an hour, when the e-mail is an active or pending
    /// user's. Says nothing about whether it is: the caller answers the same either way.
    /// </summary>
    public async Task RequestPasswordResetAsync(ServiceScope scope, string? email, bool byAdministrator, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var user = await FindByEmailAsync(scope, email, ct);
        await SendPasswordResetAsync(scope, user, byAdministrator, ct);
    }

    /// <summary>The administrator's "reset password by e-mail" of a user by id; false when there is no such user.</summary>
    public async Task<bool> RequestPasswordResetOfAsync(ServiceScope scope, string userId, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var user = await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", userId), ct);
        if (user is null)
        {
            return false;
        }

        await SendPasswordResetAsync(scope, user, true, ct);
        return true;
    }

    private async Task SendPasswordResetAsync(ServiceScope scope, StoredResource? user, bool byAdministrator, CancellationToken ct)
    {
        if (user is null || user.Key.Name == "1" || (string?)user.Properties["state"] is not ("active" or "pending"))
        {
            return;
        }

        var token = await tokens.IssueAsync(scope, user.Key.Name, AccountTokens.Reset, ct);
        await mail.SendToUserAsync(scope, byAdministrator ? "passwordResetByAdminNotificationMessage" : "passwordResetIdentityDefault", user,
            new Dictionary<string, string?> { ["ConfirmUrl"] = mail.PortalLink(scope, "reset-password", token) }, ct);
    }

    /// <summary>
    /// Sets a new password with the token of a reset link (which then stops working, as do the user's other reset
    /// links); a pending user becomes active (the link proved the address). Null when done, else the field and why.
    /// </summary>
    public async Task<ValidationError?> ResetPasswordAsync(ServiceScope scope, string? token, string? newPassword, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        if (CheckPassword(newPassword) is { } problem)
        {
            return new ValidationError("newPassword", problem);
        }

        return await resources.SerializedAsync(async () =>
        {
            var userId = await tokens.RedeemAsync(scope, token, AccountTokens.Reset, ct);
            var user = userId is null ? null : await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", userId), ct);
            if (user is null || (string?)user.Properties["state"] is not ("active" or "pending"))
            {
                return new ValidationError("token", "This link is not valid: it has been used, has expired or was replaced by a newer one. Ask for a new e-mail.");
            }

            var properties = new JsonObject { ["password"] = newPassword };
            if ((string?)user.Properties["state"] == "pending")
            {
                properties["state"] = "active";
            }

            await resources.PatchAsync(scope, ResourceKind.User, "", user.Key.Name, new JsonObject { ["properties"] = properties }, null, ct);
            await tokens.RevokeAsync(scope, user.Key.Name, AccountTokens.Reset, ct);
            _attempts.TryRemove(scope.Name + "\n" + ((string?)user.Properties["email"] ?? ""), out _);

            return (ValidationError?)null;
        }, ct);
    }

    /// <summary>
    /// APIM's <c>POST users/{userId}/generateSsoUrl</c>: the developer portal's <c>/signin-sso?token=…</c> URL, whose
    /// token (single-use, five minutes) signs the user in. Null when there is no such user.
    /// </summary>
    public async Task<string?> GenerateSsoUrlAsync(ServiceScope scope, string userId, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var user = await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", userId), ct);
        if (user is null)
        {
            return null;
        }

        var token = await tokens.IssueAsync(scope, user.Key.Name, AccountTokens.SignIn, ct, AccountTokens.SignInLifetime);
        return mail.PortalLink(scope, "signin-sso", token);
    }

    /// <summary>
    /// Uses up the token of a single sign-on URL: the user to sign in, or the outcome that refuses it (Invalid when the
    /// token is unknown, used or expired; Blocked or Pending for such users). A user token of <c>users/{id}/token</c>
    /// (<c>{userId}&amp;{expiry}&amp;{signature}</c>) is accepted too, as APIM's delegation sends it to
    /// <c>/signin-sso?token=…</c>: while it is genuine and unexpired.
    /// </summary>
    public async Task<SignInResult> SignInWithSsoTokenAsync(ServiceScope scope, string? token, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var userId = token?.Contains('&', StringComparison.Ordinal) == true
            ? (await userTokens.ValidateAsync(scope, token, ct)).UserId
            : await tokens.RedeemAsync(scope, token, AccountTokens.SignIn, ct);
        var user = userId is null ? null : await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", userId), ct);
        if (user is null)
        {
            return new SignInResult(SignInOutcome.Invalid, null, null);
        }

        return (string?)user.Properties["state"] switch
        {
            "blocked" => new SignInResult(SignInOutcome.Blocked, null, null),
            "pending" => new SignInResult(SignInOutcome.Pending, null, null),
            "deleted" => new SignInResult(SignInOutcome.Invalid, null, null),
            _ => new SignInResult(SignInOutcome.Success, User(user), null),
        };
    }

    /// <summary>Why a new password is refused, or null.</summary>
    public static string? CheckPassword(string? password) =>
        password is null || password.Length < MinPasswordLength ? $"The password must be at least {MinPasswordLength} characters long." : null;

    private async Task<StoredResource?> FindByEmailAsync(ServiceScope scope, string? email, CancellationToken ct)
    {
        var wanted = email?.Trim();
        if (string.IsNullOrEmpty(wanted))
        {
            return null;
        }

        return (await store.ListAsync(scope.Name, ResourceKind.User.Kind, "", ct))
            .FirstOrDefault(u => string.Equals((string?)u.Properties["email"], wanted, StringComparison.OrdinalIgnoreCase));
    }

    private static JsonObject User(StoredResource user) => new()
    {
        ["userId"] = user.Key.Name,
        ["email"] = (string?)user.Properties["email"],
        ["firstName"] = (string?)user.Properties["firstName"],
        ["lastName"] = (string?)user.Properties["lastName"],
    };

    private sealed class Attempts
    {
        public int Failures { get; set; }

        public DateTimeOffset? LockedUntil { get; set; }
    }

    public enum SignInOutcome
    {
        Success,
        Invalid,
        LockedOut,
        Blocked,
        Pending,
    }

    public sealed record SignInResult(SignInOutcome Outcome, JsonObject? User, DateTimeOffset? LockedUntil);
}
