using System.Text.Json.Nodes;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Developer;

/// <summary>A key of one of the developer's own active subscriptions.</summary>
public sealed record DeveloperKey(string SubscriptionId, string SubscriptionName, string Which, string Key)
{
    public string Label => $"{SubscriptionName} ({Which})";
}

/// <summary>
/// The developer's own subscriptions and keys. Every read starts from <c>/users/{id}/subscriptions</c> and every
/// action on a subscription checks its <c>ownerId</c> first: one developer never reaches another's keys.
/// </summary>
public static class DeveloperKeys
{
    /// <summary>The developer's subscriptions (any state).</summary>
    public static async Task<(IReadOnlyList<JsonObject> Items, ManagementError? Error)> SubscriptionsAsync(ManagementApi management, string instance, string userId, CancellationToken ct)
    {
        var (items, _, error) = await management.ListAsync(instance, $"/users/{Uri.EscapeDataString(userId)}/subscriptions", null, 100, 0, ct);
        return (items, error);
    }

    /// <summary>The subscription when <paramref name="userId"/> owns it; otherwise a 404 (never saying it exists).</summary>
    public static async Task<(JsonObject? Subscription, ManagementError? Error)> OwnedAsync(ManagementApi management, string instance, string userId, string subscriptionId, CancellationToken ct)
    {
        var result = await management.GetAsync(instance, $"/subscriptions/{Uri.EscapeDataString(subscriptionId)}", ct);
        var owner = result.Ok ? ResourceIds.Relative(ResourceIds.Text(result.Body!, "ownerId")) : "";
        if (result.Ok && string.Equals(owner, $"/users/{userId}", StringComparison.OrdinalIgnoreCase))
        {
            return (result.Body, null);
        }

        return (null, result.Error is { Status: not 404 } e ? e : new ManagementError(404, "SubscriptionNotFound", "You have no such subscription.", []));
    }

    /// <summary>The primary and secondary keys of the developer's active subscriptions that give access to <paramref name="apiId"/>.</summary>
    public static async Task<IReadOnlyList<DeveloperKey>> ForApiAsync(ManagementApi management, string instance, string userId, string apiId, CancellationToken ct)
    {
        var (subscriptions, error) = await SubscriptionsAsync(management, instance, userId, ct);
        if (error is not null)
        {
            return [];
        }

        var (products, _, _) = await management.ListAsync(instance, $"/apis/{Uri.EscapeDataString(apiId)}/products", null, 100, 0, ct);
        var productScopes = products.Select(p => $"/products/{(string?)p["name"]}").ToHashSet(StringComparer.OrdinalIgnoreCase);
        var keys = new List<DeveloperKey>();
        foreach (var s in subscriptions.Where(s => ResourceIds.Text(s, "state") == "active"))
        {
            var scope = ResourceIds.Relative(ResourceIds.Text(s, "scope"));
            if (!(scope is "/" or "/apis" || scope.Equals($"/apis/{apiId}", StringComparison.OrdinalIgnoreCase) || productScopes.Contains(scope)))
            {
                continue;
            }

            var id = (string?)s["name"] ?? "";
            var secrets = await management.PostAsync(instance, $"/subscriptions/{Uri.EscapeDataString(id)}/listSecrets", ct);
            if (!secrets.Ok)
            {
                continue;
            }

            var name = ResourceIds.Text(s, "displayName") is { Length: > 0 } n ? n : id;
            keys.Add(new DeveloperKey(id, name, "primary", (string?)secrets.Body!["primaryKey"] ?? ""));
            keys.Add(new DeveloperKey(id, name, "secondary", (string?)secrets.Body!["secondaryKey"] ?? ""));
        }

        return keys;
    }
}
