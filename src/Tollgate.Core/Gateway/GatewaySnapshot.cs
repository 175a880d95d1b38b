namespace Tollgate.Core.Gateway;

/// <summary>
/// Everything a gateway needs to serve one API Management instance, as of one store revision.
/// Immutable; built by management, swapped atomically by the gateway. Holds key digests, never keys.
/// </summary>
public sealed record GatewaySnapshot
{
    public required long Revision { get; init; }

    public required string ServiceName { get; init; }

    public IReadOnlyList<GatewayApi> Apis { get; init; } = [];

    public IReadOnlyList<GatewayProduct> Products { get; init; } = [];

    public IReadOnlyList<GatewaySubscription> Subscriptions { get; init; } = [];

    public IReadOnlyList<GatewayUser> Users { get; init; } = [];

    /// <summary>The instance was deleted: this empty snapshot replaces its last one.</summary>
    public bool Deleted { get; init; }

    public static GatewaySnapshot Empty(string serviceName) => new() { Revision = 0, ServiceName = serviceName };
}

public sealed record GatewayApi
{
    public required string Id { get; init; }

    public required string DisplayName { get; init; }

    /// <summary>URL suffix without leading or trailing '/'.</summary>
    public required string Path { get; init; }

    public string? ServiceUrl { get; init; }

    public IReadOnlyList<string> Protocols { get; init; } = ["https"];

    public bool SubscriptionRequired { get; init; } = true;

    public string KeyHeaderName { get; init; } = "Ocp-Apim-Subscription-Key";

    public string KeyQueryName { get; init; } = "subscription-key";

    public string? ApiVersion { get; init; }

    public string Revision { get; init; } = "1";

    public IReadOnlyList<GatewayOperation> Operations { get; init; } = [];
}

public sealed record GatewayOperation
{
    public required string Id { get; init; }

    public required string DisplayName { get; init; }

    public required string Method { get; init; }

    public required string UrlTemplate { get; init; }
}

public sealed record GatewayProduct
{
    public required string Id { get; init; }

    public required string DisplayName { get; init; }

    public bool SubscriptionRequired { get; init; } = true;

    public bool ApprovalRequired { get; init; }

    public int? SubscriptionsLimit { get; init; }

    public string State { get; init; } = "notPublished";

    public IReadOnlyList<string> ApiIds { get; init; } = [];

    public IReadOnlyList<string> GroupIds { get; init; } = [];
}

public sealed record GatewaySubscription
{
    public required string Id { get; init; }

    public required string DisplayName { get; init; }

    /// <summary>Scope relative to the service: <c>/products/{id}</c>, <c>/apis/{id}</c>, <c>/apis</c> or <c>/</c> (all-access).</summary>
    public required string Scope { get; init; }

    /// <summary>Owner user id (the last segment of <c>ownerId</c>), if any.</summary>
    public string? UserId { get; init; }

    public required string State { get; init; }

    public required string PrimaryKeyDigest { get; init; }

    public required string SecondaryKeyDigest { get; init; }

    public DateTimeOffset CreatedDate { get; init; }
}

public sealed record GatewayUser
{
    public required string Id { get; init; }

    public required string Email { get; init; }

    public string FirstName { get; init; } = "";

    public string LastName { get; init; } = "";

    public string State { get; init; } = "active";

    public IReadOnlyList<string> GroupIds { get; init; } = [];
}
