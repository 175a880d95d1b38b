using Tollgate.Gateway.Subscriptions;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tollgate.Gateway.Configuration;

/// <summary>
/// Removes the subscription-key query parameter before forwarding, as APIM does. The query string is only rebuilt
/// when the key came from it, so calls with the key in the header pay nothing.
/// </summary>
public sealed class SubscriptionKeyTransforms : ITransformProvider
{
    /// <summary>Route metadata naming the API's key query parameter.</summary>
    public const string QueryNameMetadata = "tollgate.keyQuery";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Metadata?.TryGetValue(QueryNameMetadata, out var name) != true || string.IsNullOrEmpty(name))
        {
            return;
        }

        context.AddRequestTransform(transform =>
        {
            // The validator read the key from the (decoded) query only when the header was absent; the query is
            // rebuilt only then, and matching by decoded name also removes "subscription%2Dkey=…".
            if (transform.HttpContext.Features.Get<GatewayRequest>()?.KeyFromQuery == true)
            {
                transform.Query.Collection.Remove(name);
            }

            return ValueTask.CompletedTask;
        });
    }
}
