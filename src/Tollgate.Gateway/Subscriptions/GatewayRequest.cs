using Tollgate.Core.Gateway;
using Tollgate.Gateway.Configuration;

namespace Tollgate.Gateway.Subscriptions;

/// <summary>
/// What the gateway resolved for a request: API, operation, and the product, subscription and user it runs as
/// (APIM's <c>context.Api</c>, <c>context.Operation</c>, <c>context.Product</c>, <c>context.Subscription</c>, <c>context.User</c>).
/// </summary>
public sealed class GatewayRequest
{
    public required GatewayState State { get; init; }

    public required OperationEntry Entry { get; init; }

    public GatewayApi Api => Entry.Api;

    public GatewayOperation Operation => Entry.Operation;

    /// <summary>
    /// The request's path when it was matched: while the path is still this one, the forwarder removes the path the API
    /// is served at (<see cref="OperationEntry.RoutePath"/>, with a version segment or revision); a path a policy
    /// rewrote (<c>rewrite-uri</c>) is under the API's own path.
    /// </summary>
    public string? RoutedPath { get; init; }

    public GatewayProduct? Product { get; set; }

    public GatewaySubscription? Subscription { get; set; }

    /// <summary>Which of the subscription's keys let the call in (<see cref="SubscriptionKeySlots"/>), for the request log.</summary>
    public string? KeySlot { get; set; }

    public GatewayUser? User { get; set; }

    /// <summary>The subscription key was read from the query string (it must not be forwarded or logged).</summary>
    public bool KeyFromQuery { get; set; }

    /// <summary>The backend <c>set-backend-service</c> chose for this request (absolute base URL), instead of the API's serviceUrl.</summary>
    public string? BackendUrl { get; set; }

    /// <summary>The backend <c>set-backend-service backend-id</c> routed the call to (a pool's chosen member), if any.</summary>
    public GatewayBackend? Backend { get; set; }

    /// <summary>The client certificate <c>authentication-certificate</c> chose to present to the backend, if any (it wins over a backend's credentials).</summary>
    public Hosting.BackendClientCertificate? ClientCertificate { get; set; }

    /// <summary>The backend's status code, when the call reached the backend.</summary>
    public int? BackendStatusCode { get; set; }

    /// <summary>The response cache's part in the call, for the request record: none, hit or miss (set by cache-lookup).</summary>
    public string Cache { get; set; } = "none";

    /// <summary>Time spent forwarding to the backend and reading its response headers.</summary>
    public TimeSpan ServiceTime { get; set; }
}
