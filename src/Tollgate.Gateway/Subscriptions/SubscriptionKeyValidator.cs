using Microsoft.AspNetCore.Http;
using Tollgate.Core.Gateway;
using Tollgate.Security;
using Tollgate.Gateway.Configuration;

namespace Tollgate.Gateway.Subscriptions;

/// <summary>The outcome of subscription-key validation.</summary>
public enum KeyCheck
{
    Allowed,
    Missing,
    Invalid,
}

/// <summary>
/// APIM's subscription-key rules (header first, then query; scope: the API, a product containing it, all APIs or the
/// whole service; only active subscriptions of non-blocked users; open products and keyless APIs without a key).
/// </summary>
public static class SubscriptionKeyValidator
{
    /// <summary>
    /// Checks the request's key at <paramref name="now"/>: a key past its expiry (<c>primaryKeyExpiresAt</c>) or a
    /// replaced key past its rotation overlap is refused like an unknown one (the same 401).
    /// </summary>
    public static KeyCheck Validate(HttpRequest request, GatewayRequest gatewayRequest, DateTimeOffset now)
    {
        var api = gatewayRequest.Api;
        var state = gatewayRequest.State;

        // The query is read only when the header is absent (not when it is empty).
        string? key;
        if (request.Headers.TryGetValue(api.KeyHeaderName, out var header))
        {
            key = header.ToString();
        }
        else
        {
            key = request.Query[api.KeyQueryName].FirstOrDefault();
            gatewayRequest.KeyFromQuery = key is not null;
        }

        if (key is null)
        {
            if (state.OpenProductByApi.TryGetValue(api.Id, out var open))
            {
                gatewayRequest.Product = open;
                return KeyCheck.Allowed;
            }

            return api.SubscriptionRequired ? KeyCheck.Missing : KeyCheck.Allowed;
        }

        if (key.Length == 0 || !state.SubscriptionsByKey.TryGetValue(KeyDigest.Of(key), out var entry) || entry.Subscription.State != "active" || !entry.ValidAt(now))
        {
            return KeyCheck.Invalid;
        }

        var subscription = entry.Subscription;

        GatewayUser? user = null;
        if (subscription.UserId is not null && (!state.Users.TryGetValue(subscription.UserId, out user) || user.State != "active"))
        {
            return KeyCheck.Invalid;
        }

        if (!InScope(subscription, api, state, out var product))
        {
            return KeyCheck.Invalid;
        }

        gatewayRequest.Subscription = subscription;
        gatewayRequest.KeySlot = entry.Slot;
        gatewayRequest.User = user;
        gatewayRequest.Product = product;
        return KeyCheck.Allowed;
    }

    private static bool InScope(GatewaySubscription subscription, GatewayApi api, GatewayState state, out GatewayProduct? product)
    {
        product = null;
        var scope = subscription.Scope.AsSpan().Trim('/');
        if (scope.Length == 0 || scope.Equals("apis", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (scope.StartsWith("apis/", StringComparison.OrdinalIgnoreCase))
        {
            // A subscription to an API covers each of its revisions.
            return scope[5..].Equals(api.IsCurrent ? api.Id : api.ApiId, StringComparison.OrdinalIgnoreCase);
        }

        if (scope.StartsWith("products/", StringComparison.OrdinalIgnoreCase) &&
            state.Products.TryGetValue(scope[9..].ToString(), out var p) &&
            p.ApiIds.Any(id => string.Equals(id, api.Id, StringComparison.OrdinalIgnoreCase)))
        {
            product = p;
            return true;
        }

        return false;
    }
}
