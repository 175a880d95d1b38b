using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Tollgate.Management.Persistence;
using Tollgate.Security;

namespace Tollgate.Management.Services;

/// <summary>
/// The publisher portal's administrator (APIM's user <c>1</c>): one sign-in for the installation. The password is made
/// with a CSPRNG on first start and stored only as a PBKDF2 hash (<see cref="PasswordHasher"/>); the first password is
/// also written to <c>{data}/portal-admin-password</c> (owner-only) so <c>tollgate demo</c> can print it, and that file
/// is removed once the password is changed. Repeated failures lock the sign-in for a while.
/// </summary>
public sealed class PortalAdministrator(IResourceStore store, SecretVault vault, TimeProvider timeProvider, string dataDirectory)
{
    /// <summary>The administrator's user id, as APIM names its built-in administrator.</summary>
    public const string UserId = "1";

    /// <summary>Failed sign-ins in a row that lock the account.</summary>
    public const int MaxFailures = 5;

    /// <summary>How long a locked account stays locked.</summary>
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    /// <summary>The shortest password <see cref="ChangePasswordAsync"/> accepts.</summary>
    public const int MinPasswordLength = 12;

    private const string SettingName = "portal-administrator";
    private const string InitialPasswordFile = "portal-admin-password";
    private const string LockoutSettingName = "portal-administrator-lockout";
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The file holding the first password until it is changed.</summary>
    public string InitialPasswordPath => Path.Combine(dataDirectory, InitialPasswordFile);

    /// <summary>Creates the administrator's password on first start (idempotent).</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        if (await store.GetSettingAsync(SettingName, cancellationToken) is not null)
        {
            return;
        }

        var password = NewPassword();
        var stored = await store.GetOrAddSettingAsync(SettingName, vault.Protect(new JsonObject { ["passwordHash"] = PasswordHasher.Hash(password) }), cancellationToken);
        if (PasswordHasher.Verify(password, (string)vault.Unprotect(stored)["passwordHash"]!))
        {
            // Ours won (another management node may have created it first): keep the first password for the demo to print.
            PrivateFiles.CreateDirectory(dataDirectory);
            await using var file = new FileStream(InitialPasswordPath, PrivateFiles.Options(FileMode.Create));
            await using var writer = new StreamWriter(file);
            await writer.WriteAsync(password);
        }
    }

    /// <summary>The first password when it is still the current one (for <c>tollgate demo</c>), else null.</summary>
    public string? ReadInitialPassword() => File.Exists(InitialPasswordPath) ? File.ReadAllText(InitialPasswordPath).Trim() : null;

    /// <summary>
    /// Checks a sign-in. Never says which of user or password was wrong. The failure count and the lockout are kept in
    /// the store, under its write lock, so every management node counts the same failures.
    /// </summary>
    public async Task<SignInResult> SignInAsync(string? user, string? password, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var storeLock = await store.LockWritesAsync(cancellationToken);
            var now = timeProvider.GetUtcNow();
            var lockout = await ReadLockoutAsync(cancellationToken);
            if (lockout.LockedUntil is { } until && until > now)
            {
                return new SignInResult(SignInOutcome.LockedOut, until);
            }

            var hash = await GetHashAsync(cancellationToken);
            // The hash is always computed, so a wrong user name takes as long as a wrong password.
            var passwordOk = PasswordHasher.Verify(password ?? "", hash);
            if (passwordOk && string.Equals(user?.Trim(), UserId, StringComparison.Ordinal))
            {
                if (lockout.Failures != 0 || lockout.LockedUntil is not null)
                {
                    await WriteLockoutAsync(new Lockout(0, null), cancellationToken);
                }

                return new SignInResult(SignInOutcome.Success, null);
            }

            if (lockout.Failures + 1 >= MaxFailures)
            {
                var lockedUntil = now + LockoutDuration;
                await WriteLockoutAsync(new Lockout(0, lockedUntil), cancellationToken);
                return new SignInResult(SignInOutcome.LockedOut, lockedUntil);
            }

            await WriteLockoutAsync(new Lockout(lockout.Failures + 1, null), cancellationToken);
            return new SignInResult(SignInOutcome.Invalid, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Changes the password; null when done, else the field that is wrong and why.</summary>
    public async Task<(string Target, string Message)?> ChangePasswordAsync(string? currentPassword, string? newPassword, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var storeLock = await store.LockWritesAsync(cancellationToken);
            if (!PasswordHasher.Verify(currentPassword ?? "", await GetHashAsync(cancellationToken)))
            {
                return ("currentPassword", "The current password is not correct.");
            }

            if (newPassword is null || newPassword.Length < MinPasswordLength)
            {
                return ("newPassword", $"The new password must be at least {MinPasswordLength} characters long.");
            }

            await store.SetSettingAsync(SettingName, vault.Protect(new JsonObject { ["passwordHash"] = PasswordHasher.Hash(newPassword) }), cancellationToken);
            File.Delete(InitialPasswordPath);
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Lockout> ReadLockoutAsync(CancellationToken cancellationToken)
    {
        var json = await store.GetSettingAsync(LockoutSettingName, cancellationToken) is { } text ? JsonNode.Parse(text) as JsonObject : null;
        var lockedUntil = (string?)json?["lockedUntil"] is { } u
            && DateTimeOffset.TryParse(u, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var parsed) ? parsed : (DateTimeOffset?)null;
        return new Lockout((int?)json?["failures"] ?? 0, lockedUntil);
    }

    private Task WriteLockoutAsync(Lockout lockout, CancellationToken cancellationToken) =>
        store.SetSettingAsync(LockoutSettingName, new JsonObject
        {
            ["failures"] = lockout.Failures,
            ["lockedUntil"] = lockout.LockedUntil?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        }.ToJsonString(), cancellationToken);

    private sealed record Lockout(int Failures, DateTimeOffset? LockedUntil);

    private async Task<string> GetHashAsync(CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        var stored = await store.GetSettingAsync(SettingName, cancellationToken);
        return (string?)vault.Unprotect(stored)["passwordHash"] ?? "";
    }

    /// <summary>20 characters from a CSPRNG, without look-alikes (0/O, 1/l/I), about 115 bits.</summary>
    private static string NewPassword() =>
        RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 20);

    public enum SignInOutcome
    {
        Success,
        Invalid,
        LockedOut,
    }

    public sealed record SignInResult(SignInOutcome Outcome, DateTimeOffset? LockedUntil);
}
