using System.Text.Json.Nodes;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Developer;

/// <summary>
/// The products a visitor sees, as in APIM: published ones whose groups include the visitor's (Guests for anonymous
/// visitors, the user's groups — Developers at least — once signed in).
/// </summary>
public static class DeveloperProducts
{
    public static async Task<(IReadOnlyList<JsonObject> Items, ManagementError? Error)> VisibleAsync(ManagementApi management, string instance, string? userId, CancellationToken ct)
    {
        var (products, _, error) = await management.ListAsync(instance, "/products", "properties/state eq 'published'", 100, 0, ct);
        if (error is not null)
        {
            return ([], error);
        }

        var groups = await GroupsAsync(management, instance, userId, ct);
        var visible = new List<JsonObject>();
        foreach (var product in products)
        {
            var (productGroups, _, _) = await management.ListAsync(instance, $"/products/{Uri.EscapeDataString((string?)product["name"] ?? "")}/groups", null, 100, 0, ct);
            if (productGroups.Any(g => groups.Contains((string?)g["name"] ?? "")))
            {
                visible.Add(product);
            }
        }

        return (visible, null);
    }

    /// <summary>The product when the visitor may see it (published, in one of the visitor's groups), else null.</summary>
    public static async Task<JsonObject?> VisibleAsync(ManagementApi management, string instance, string? userId, string productId, CancellationToken ct)
    {
        var product = await management.GetAsync(instance, $"/products/{Uri.EscapeDataString(productId)}", ct);
        if (!product.Ok || ResourceIds.Text(product.Body!, "state") != "published")
        {
            return null;
        }

        var groups = await GroupsAsync(management, instance, userId, ct);
        var (productGroups, _, _) = await management.ListAsync(instance, $"/products/{Uri.EscapeDataString(productId)}/groups", null, 100, 0, ct);
        return productGroups.Any(g => groups.Contains((string?)g["name"] ?? "")) ? product.Body : null;
    }

    private static async Task<HashSet<string>> GroupsAsync(ManagementApi management, string instance, string? userId, CancellationToken ct)
    {
        var groups = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (userId is null)
        {
            groups.Add("guests");
            return groups;
        }

        var (userGroups, _, _) = await management.ListAsync(instance, $"/users/{Uri.EscapeDataString(userId)}/groups", null, 100, 0, ct);
        groups.UnionWith(userGroups.Select(g => (string?)g["name"] ?? ""));
        groups.Add("developers");
        return groups;
    }
}
