using Microsoft.AspNetCore.Http;
using Tollgate.Gateway.Subscriptions;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tollgate.Gateway.Configuration;

/// <summary>
/// The backend path of an API served at a path of its own (a version of a Segment version set, <c>/echo/v2/…</c>, or
/// a non-current revision, <c>/echo;rev=3/…</c>): what follows that path is forwarded, as for any API what follows
/// its URL suffix. A path a policy rewrote (<c>rewrite-uri</c> puts it under the API's own path) loses the API's path.
/// </summary>
public sealed class RoutePathTransforms : ITransformProvider
{
    /// <summary>Route metadata set on the transformers of APIs served at a path of their own.</summary>
    public const string Metadata = "tollgate.routePath";

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Metadata?.ContainsKey(Metadata) != true)
        {
            return;
        }

        context.AddRequestTransform(transform =>
        {
            if (transform.HttpContext.Features.Get<GatewayRequest>() is { } request)
            {
                var routed = string.Equals(transform.HttpContext.Request.Path.Value, request.RoutedPath, StringComparison.Ordinal);
                var prefix = routed ? request.Entry.RoutePath : request.Api.Path;
                if (prefix.Length > 0 && transform.Path.StartsWithSegments("/" + prefix, StringComparison.OrdinalIgnoreCase, out var rest))
                {
                    transform.Path = rest;
                }
            }

            return ValueTask.CompletedTask;
        });
    }
}
