using Tollgate.Gateway.Analytics;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tollgate.Gateway.Configuration;

/// <summary>
/// Sends the gateway's request id to the backend in <see cref="RequestTelemetryMiddleware.RequestIdHeader"/>
/// (replacing one the client sent), so the backend's logs and the gateway's name the same call.
/// </summary>
public sealed class RequestIdTransforms : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.AddRequestTransform(static transform =>
    {
        var headers = transform.ProxyRequest.Headers;
        headers.Remove(RequestTelemetryMiddleware.RequestIdHeader);
        headers.TryAddWithoutValidation(RequestTelemetryMiddleware.RequestIdHeader, transform.HttpContext.TraceIdentifier);
        return ValueTask.CompletedTask;
    });
}
