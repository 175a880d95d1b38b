using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Resources;
using Tollgate.Management.Analytics;
using Tollgate.Management.Mail;
using Tollgate.Management.Persistence;
using Tollgate.ServiceDefaults;

namespace Tollgate.Management.Services;

/// <summary>
/// Looks after subscription keys every <see cref="ManagementOptions.KeyCheckInterval"/> (on the injected clock):
/// writes the keys' last use observed in the request log (<see cref="KeyUsage"/>), replaces the keys of
/// subscriptions whose rotation is due and forgets replaced keys past their overlap
/// (<see cref="ResourceService.MaintainKeysAsync"/>, which publishes the snapshot), and mails a subscription's owner
/// <see cref="MailOptions.KeyExpiryNoticeDays"/> days before one of its keys expires, once per key and expiry
/// (remembered in the store's settings, so a restart or another node does not send it again).
/// </summary>
/// <remarks>
/// The gateway refuses an expired key or a replaced key past its overlap by itself, by the time in the snapshot: this
/// pass being late never lets a key work longer. Passes never overlap (a test's pass and the timer's).
/// </remarks>
public sealed partial class KeyLifecycle(IResourceStore store, ResourceService resources, SecretVault vault, KeyUsage usage, MailNotifications notifications,
    ManagementOptions options, MailOptions mailOptions, TimeProvider time, ILogger<KeyLifecycle> logger) : BackgroundService
{
    private readonly SemaphoreSlim _pass = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.KeyCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RunAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.CheckFailed(logger, ex.GetType().Name, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>What one pass did.</summary>
    public sealed record PassResult(int Rotated, int NoticesSent, int LastUseWritten);

    /// <summary>One pass over every instance's subscriptions.</summary>
    public async Task<PassResult> RunAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            var written = await usage.FlushAsync(ct);
            var rotated = 0;
            var notices = 0;
            var now = time.GetUtcNow();
            foreach (var service in await store.ListAsync("", ResourceKind.ServiceKind, "", ct))
            {
                var scope = new ServiceScope((string?)service.Properties["subscriptionId"] ?? "", (string?)service.Properties["resourceGroup"] ?? "", service.Key.Name);
                foreach (var subscription in await store.ListAsync(scope.Name, ResourceKind.Subscription.Kind, "", ct))
                {
                    try
                    {
                        if (NeedsMaintenance(subscription, now) && await resources.MaintainKeysAsync(scope, subscription.Key.Name, ct))
                        {
                            rotated++;
                            Log.Rotated(logger, scope.Name, subscription.Key.Name);
                        }

                        notices += await NoticeAsync(scope, subscription, now, ct);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // One subscription's failure (a write that came in between) does not stop the others.
                        Log.CheckFailed(logger, ex.GetType().Name, ex.Message);
                    }
                }
            }

            return new PassResult(rotated, notices, written);
        }
        finally
        {
            _pass.Release();
        }
    }

    private bool NeedsMaintenance(StoredResource subscription, DateTimeOffset now)
    {
        if (SubscriptionKeys.RotationDue(subscription.Properties, now))
        {
            return true;
        }

        if (subscription.Secrets is null)
        {
            return false;
        }

        var secrets = vault.Unprotect(subscription.Secrets);
        return SubscriptionKeys.DropEndedPreviousKeys((JsonObject)subscription.Properties.DeepClone(), secrets, now);
    }

    /// <summary>Queues the expiry notices due for a subscription's keys; returns how many.</summary>
    private async Task<int> NoticeAsync(ServiceScope scope, StoredResource subscription, DateTimeOffset now, CancellationToken ct)
    {
        if (mailOptions.KeyExpiryNoticeDays == 0 || (string?)subscription.Properties["state"] != "active"
            || (string?)subscription.Properties["ownerId"] is not { } owner || !owner.StartsWith("/users/", StringComparison.OrdinalIgnoreCase)
            || owner.Equals("/users/1", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        var sent = 0;
        foreach (var slot in SubscriptionKeys.Slots)
        {
            if (!KeyLifetimes.TryParseTime((string?)subscription.Properties[slot + "KeyExpiresAt"], out var expiry)
                || now >= expiry || now < expiry - TimeSpan.FromDays(mailOptions.KeyExpiryNoticeDays))
            {
                continue;
            }

            var setting = $"key-expiry-notice/{scope.Name.ToLowerInvariant()}/{subscription.Key.NameKey}/{slot}";
            var stamp = KeyLifetimes.Format(expiry);
            if (await store.GetSettingAsync(setting, ct) == stamp)
            {
                continue;
            }

            // Claimed under the store's write lock: of several management nodes, one sends it.
            sent += await resources.SerializedAsync(() => SendNoticeAsync(scope, subscription, owner, slot, expiry, setting, stamp, ct), ct);
        }

        return sent;
    }

    private async Task<int> SendNoticeAsync(ServiceScope scope, StoredResource subscription, string owner, string slot, DateTimeOffset expiry, string setting, string stamp,
        CancellationToken ct)
    {
        var sent = 0;
        if (await store.GetSettingAsync(setting, ct) != stamp)
        {
            var user = await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", owner["/users/".Length..]), ct);
            if (user is not null && (string?)user.Properties["state"] == "active")
            {
                var scopeText = (string?)subscription.Properties["scope"] ?? "";
                var productId = scopeText.StartsWith("/products/", StringComparison.OrdinalIgnoreCase) ? scopeText["/products/".Length..] : null;
                var product = productId is null ? null : await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.Product.Kind, "", productId), ct);
                await notifications.SendToUserAsync(scope, "subscriptionKeyExpiringDeveloperNotificationMessage", user, new Dictionary<string, string?>
                {
                    ["ProdName"] = (string?)product?.Properties["displayName"] ?? productId ?? scopeText,
                    ["SubscriptionName"] = (string?)subscription.Properties["displayName"] ?? subscription.Key.Name,
                    ["KeyName"] = slot,
                    ["ExpiresAt"] = expiry.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
                    ["SubscriptionsUrl"] = options.PortalUrlOf(scope.Name).TrimEnd('/') + "/subscriptions",
                }, ct);
                sent++;
            }

            await store.SetSettingAsync(setting, stamp, ct);
        }

        return sent;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.KeyCheckFailed, LogLevel.Warning, "Looking after subscription keys failed: {Kind}: {Reason}")]
        public static partial void CheckFailed(ILogger logger, string kind, string reason);

        [LoggerMessage(EventIds.KeysRotated, LogLevel.Information, "Rotated the keys of subscription '{Subscription}' of '{Service}' on schedule.")]
        public static partial void Rotated(ILogger logger, string service, string subscription);
    }
}
