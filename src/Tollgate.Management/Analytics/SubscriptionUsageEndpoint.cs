using System.Globalization;
using System.Text.Json.Nodes;
using Tollgate.Management.Api;
using Tollgate.Management.Services;

namespace Tollgate.Management.Analytics;

/// <summary>
/// Where a subscription's current rate-limit and quota windows come from: the gateway's counter stores (in this
/// process, or Redis shared with the gateways). Supplied by the host; absent when the counters live in another
/// process's memory.
/// </summary>
public interface ICurrentUsageSource
{
    /// <summary>The subscription's windows as JSON (<c>scope</c>, <c>rateLimits</c>, <c>quotas</c>), or null when the gateway does not know it.</summary>
    Task<JsonObject?> ReadAsync(string service, string subscriptionId, CancellationToken cancellationToken);
}

/// <summary>
/// <c>GET …/subscriptions/{sid}/usage</c> (a Tollgate extension for the developer portal): calls and bandwidth in the
/// current rate-limit and quota windows of the subscription, and its history from the request log (byTime filtered to
/// the subscription; <c>interval</c> default P1D, <c>$filter</c> on timestamp default the last 30 days).
/// </summary>
public static class SubscriptionUsageEndpoint
{
    public static async Task<JsonObject> GetAsync(ResourceService resources, IAnalyticsStore analytics, ICurrentUsageSource? current, TimeProvider time,
        ServiceScope scope, string subscriptionId, string? filter, string? interval, CancellationToken ct, string? ownerId = null)
    {
        var (subscription, _) = await resources.GetAsync(scope, ResourceKind.Subscription, "", subscriptionId, ct);
        if (ownerId is not null)
        {
            // Through …/users/{uid}/subscriptions/{sid}/usage: another user's subscription is not found, as if it did not exist.
            var owner = (string?)subscription["properties"]?["ownerId"] ?? "";
            var suffix = "/users/" + ownerId;
            if (!owner.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) || ownerId.Length == 0)
            {
                throw ArmException.NotFound("Subscription");
            }
        }

        var name = (string)subscription["name"]!;
        var now = time.GetUtcNow();
        filter = string.IsNullOrWhiteSpace(filter)
            ? string.Create(CultureInfo.InvariantCulture, $"timestamp ge datetime'{now.AddDays(-30):yyyy-MM-ddTHH:mm:ssZ}' and timestamp le datetime'{now:yyyy-MM-ddTHH:mm:ssZ}'")
            : filter;
        interval ??= "P1D";
        var history = await ReportsEndpoint.QueryAsync(analytics, scope, "byTime", $"{filter} and subscriptionId eq '{name}'", interval, null, null, ct);

        var properties = new JsonObject
        {
            ["subscriptionId"] = "/subscriptions/" + name,
            ["scope"] = subscription["properties"]?["scope"]?.DeepClone(),
        };
        var windows = current is null ? null : await current.ReadAsync(scope.Name, name, ct);
        if (windows is not null)
        {
            properties["rateLimits"] = windows["rateLimits"]?.DeepClone();
            properties["quotas"] = windows["quotas"]?.DeepClone();
        }
        else
        {
            properties["rateLimits"] = null;
            properties["quotas"] = null;
            properties["currentWindowsUnavailable"] = current is null
                ? "The gateways keep their counters in their own memory; use Redis counters (Tollgate:Gateway:Counters:Provider=redis) to read them from management."
                : "The gateway has not received this subscription yet.";
        }

        properties["history"] = new JsonObject { ["interval"] = interval, ["value"] = history["value"]!.DeepClone() };
        return new JsonObject
        {
            ["id"] = $"{scope.BaseId}/subscriptions/{name}/usage",
            ["type"] = "Microsoft.ApiManagement/service/subscriptions/usage",
            ["name"] = "usage",
            ["properties"] = properties,
        };
    }
}
