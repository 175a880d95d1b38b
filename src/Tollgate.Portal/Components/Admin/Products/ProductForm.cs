using System.Globalization;
using System.Text.Json.Nodes;
using Tollgate.Portal.Management;

namespace Tollgate.Portal.Components.Admin.Products;

/// <summary>The fields of a product (APIM's product page), and how they map to its properties.</summary>
public sealed class ProductForm
{
    public static readonly string[] Fields = ["displayName", "description", "terms", "subscriptionRequired", "approvalRequired", "subscriptionsLimit", "state"];

    public string? DisplayName { get; set; }

    public string? Description { get; set; }

    /// <summary>Terms of use, shown to developers when they subscribe.</summary>
    public string? Terms { get; set; }

    public bool SubscriptionRequired { get; set; } = true;

    public bool ApprovalRequired { get; set; }

    /// <summary>Subscriptions per user; empty for no limit.</summary>
    public string? SubscriptionsLimit { get; set; }

    public bool Published { get; set; }

    /// <summary>
    /// The product's properties. Approval and the limit are sent only when a subscription is required or when the user
    /// set them (so the management API names the conflict rather than the page dropping what was typed).
    /// </summary>
    public (JsonObject Properties, ErrorDetail? Problem) ToProperties()
    {
        var properties = new JsonObject
        {
            ["displayName"] = DisplayName ?? "",
            ["description"] = Description ?? "",
            ["terms"] = Terms ?? "",
            ["subscriptionRequired"] = SubscriptionRequired,
            ["state"] = Published ? "published" : "notPublished",
        };
        if (SubscriptionRequired || ApprovalRequired)
        {
            properties["approvalRequired"] = ApprovalRequired;
        }

        var limit = SubscriptionsLimit?.Trim();
        if (!string.IsNullOrEmpty(limit))
        {
            if (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return (properties, new ErrorDetail("subscriptionsLimit", "Subscriptions per user must be a whole number (empty for no limit)."));
            }

            properties["subscriptionsLimit"] = n;
        }

        return (properties, null);
    }

    public static ProductForm From(JsonObject properties) => new()
    {
        DisplayName = (string?)properties["displayName"],
        Description = (string?)properties["description"],
        Terms = (string?)properties["terms"],
        SubscriptionRequired = properties["subscriptionRequired"]?.GetValue<bool>() ?? true,
        ApprovalRequired = properties["approvalRequired"]?.GetValue<bool>() ?? false,
        SubscriptionsLimit = properties["subscriptionsLimit"]?.ToString(),
        Published = (string?)properties["state"] == "published",
    };

    public static string StateLabel(string? state) => state == "published" ? "Published" : "Not published";

    public static string SubscriptionLabel(JsonObject properties) =>
        properties["subscriptionRequired"]?.GetValue<bool>() == false ? "Open (no key)"
        : properties["approvalRequired"]?.GetValue<bool>() == true ? "Required, approved by an administrator" : "Required";
}
