using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.Management.Analytics;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;
using Tollgate.ServiceDefaults;

namespace Tollgate.Management.Mail;

/// <summary>
/// APIM's "quota limit approaching" notification: every <see cref="MailOptions.QuotaCheckInterval"/> it reads each
/// active subscription's quota windows from the gateways' counters and, when one has used
/// <see cref="Threshold"/> of its calls or bandwidth, mails the developer
/// (<c>quotaLimitApproachingDeveloperNotificationMessage</c>) and the
/// <c>QuotaLimitApproachingPublisherNotificationMessage</c> recipients, once per quota window (remembered in the
/// store's settings, so a restart does not send it again). Without counters readable from management (gateways
/// counting in their own memory in other processes) there is nothing to read and nothing is sent.
/// </summary>
public sealed partial class QuotaWatch(IServiceProvider services, IResourceStore store, MailNotifications notifications, MailOptions options,
    TimeProvider time, ILogger<QuotaWatch> logger) : BackgroundService
{
    /// <summary>The share of a quota that makes it "approaching" (APIM: 80%).</summary>
    public const double Threshold = 0.8;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<ICurrentUsageSource>() is not { } usage)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.QuotaCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CheckAsync(usage, stoppingToken);
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

    /// <summary>One pass over every instance's active subscriptions; returns how many notices it queued.</summary>
    public async Task<int> CheckAsync(ICurrentUsageSource usage, CancellationToken ct)
    {
        var sent = 0;
        foreach (var service in await store.ListAsync("", ResourceKind.ServiceKind, "", ct))
        {
            var scope = new ServiceScope((string?)service.Properties["subscriptionId"] ?? "", (string?)service.Properties["resourceGroup"] ?? "", service.Key.Name);
            foreach (var subscription in await store.ListAsync(scope.Name, ResourceKind.Subscription.Kind, "", ct))
            {
                if ((string?)subscription.Properties["state"] != "active"
                    || (string?)subscription.Properties["ownerId"] is not { } owner || !owner.StartsWith("/users/", StringComparison.OrdinalIgnoreCase)
                    || owner.Equals("/users/1", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var windows = await usage.ReadAsync(scope.Name, subscription.Key.Name, ct);
                foreach (var quota in (windows?["quotas"] as JsonArray)?.OfType<JsonObject>() ?? [])
                {
                    if (Approaching(quota) is not { } approaching || (string?)quota["windowStart"] is not { Length: > 0 } windowStart)
                    {
                        continue;
                    }

                    var setting = $"quota-notice/{scope.Name}/{subscription.Key.Name}/{(string?)quota["scope"]}";
                    if (await store.GetSettingAsync(setting, ct) == windowStart)
                    {
                        continue;
                    }

                    await NotifyAsync(scope, subscription, owner["/users/".Length..], approaching, ct);
                    await store.SetSettingAsync(setting, windowStart, ct);
                    sent++;
                }
            }
        }

        return sent;
    }

    /// <summary>The limit and what is used, as the mail says them, when a quota's calls or bandwidth reached the threshold.</summary>
    internal static (string Limit, string Consumed)? Approaching(JsonObject quota)
    {
        var calls = (long?)quota["calls"] ?? 0;
        var callsUsed = (long?)quota["callsInWindow"] ?? 0;
        if (calls > 0 && callsUsed >= Math.Ceiling(calls * Threshold))
        {
            return (calls.ToString(CultureInfo.InvariantCulture), callsUsed.ToString(CultureInfo.InvariantCulture));
        }

        var kilobytes = (long?)quota["bandwidth"] ?? 0;
        var bytesUsed = (long?)quota["bandwidthInWindow"] ?? 0;
        if (kilobytes > 0 && bytesUsed >= Math.Ceiling(kilobytes * 1024 * Threshold))
        {
            return ($"{kilobytes.ToString(CultureInfo.InvariantCulture)} KB", $"{(bytesUsed / 1024).ToString(CultureInfo.InvariantCulture)} KB");
        }

        return null;
    }

    private async Task NotifyAsync(ServiceScope scope, StoredResource subscription, string userId, (string Limit, string Consumed) approaching, CancellationToken ct)
    {
        var user = await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", userId), ct);
        var scopeText = (string?)subscription.Properties["scope"] ?? "";
        var productId = scopeText.StartsWith("/products/", StringComparison.OrdinalIgnoreCase) ? scopeText["/products/".Length..] : null;
        var product = productId is null ? null : await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.Product.Kind, "", productId), ct);
        var productName = (string?)product?.Properties["displayName"] ?? productId ?? scopeText;
        var subscriptionName = (string?)subscription.Properties["displayName"] ?? subscription.Key.Name;
        if (user is not null)
        {
            await notifications.SendToUserAsync(scope, "quotaLimitApproachingDeveloperNotificationMessage", user, new Dictionary<string, string?>
            {
                ["ProdName"] = productName,
                ["SubscriptionName"] = subscriptionName,
                ["CallsLimit"] = approaching.Limit,
                ["CallsConsumed"] = approaching.Consumed,
            }, ct);
        }

        var developer = user is null ? userId : $"{(string?)user.Properties["firstName"]} {(string?)user.Properties["lastName"]} ({(string?)user.Properties["email"]})";
        await notifications.SendToPublisherAsync(scope, "QuotaLimitApproachingPublisherNotificationMessage", $"Quota limit approaching: {subscriptionName}",
            $"<p>The subscription {WebUtility.HtmlEncode(subscriptionName)} of {WebUtility.HtmlEncode(developer)} to the {WebUtility.HtmlEncode(productName)} product "
            + $"has used {WebUtility.HtmlEncode(approaching.Consumed)} of its quota of {WebUtility.HtmlEncode(approaching.Limit)}.</p>", ct);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.QuotaCheckFailed, LogLevel.Warning, "Checking quotas for the quota notification failed: {Kind}: {Reason}")]
        public static partial void CheckFailed(ILogger logger, string kind, string reason);
    }
}
