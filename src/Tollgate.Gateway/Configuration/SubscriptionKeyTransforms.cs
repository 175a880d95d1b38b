using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tollgate.Gateway.Configuration;

/// <summary>
/// Removes the subscription-key query parameter before forwarding, as APIM does. The query string is only parsed
/// when it mentions the parameter, so calls with the key in the header pay nothing.
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
            var query = transform.HttpContext.Request.QueryString.Value;
            if (query is not null && query.Contains(name, StringComparison.OrdinalIgnoreCase))
            {
                transform.Query.Collection.Remove(name);
            }

            return ValueTask.CompletedTask;
        });
    }
}
