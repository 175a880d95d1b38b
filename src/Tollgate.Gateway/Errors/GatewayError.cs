using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tollgate.Gateway.Errors;

/// <summary>Why the gateway itself answered instead of the backend.</summary>
public enum GatewayErrorKind
{
    None,
    SubscriptionKeyNotFound,
    SubscriptionKeyInvalid,
    OperationNotFound,
    ResourceNotFound,
    BackendNotConfigured,
    BackendConnectionFailure,
    BackendTimeout,

    /// <summary>The client went away or stopped sending its body (APIM's <c>ClientConnectionFailure</c>): not the backend's fault.</summary>
    ClientConnectionFailure,
    PolicyNotLoaded,
}

/// <summary>The gateway's error on this request, for later middleware, logs and analytics.</summary>
public interface IGatewayErrorFeature
{
    GatewayErrorKind Kind { get; }

    string Message { get; }
}

/// <summary>Writes APIM's error bodies: <c>{ "statusCode": 401, "message": "..." }</c>.</summary>
public static class GatewayErrors
{
    public const string MissingKey = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.";
    public const string InvalidKey = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";
    public const string OperationNotFound = "Unable to match incoming request to an operation.";
    public const string ResourceNotFound = "Resource not found";

    public static Task WriteAsync(HttpContext context, int statusCode, GatewayErrorKind kind, string message)
    {
        context.Features.Set<IGatewayErrorFeature>(new Feature(kind, message));
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.Clear();
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(statusCode, message), GatewayJsonContext.Default.ErrorBody);
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>
    /// Whether a forwarding error is the client's doing (it aborted, or its request body failed or stopped coming)
    /// rather than the backend's: such calls are never reported as 502 "backend could not be reached".
    /// </summary>
    public static bool IsClientFailure(Yarp.ReverseProxy.Forwarder.ForwarderError error) => error is
        Yarp.ReverseProxy.Forwarder.ForwarderError.RequestCanceled or Yarp.ReverseProxy.Forwarder.ForwarderError.RequestBodyCanceled
        or Yarp.ReverseProxy.Forwarder.ForwarderError.RequestBodyClient or Yarp.ReverseProxy.Forwarder.ForwarderError.ResponseBodyCanceled
        or Yarp.ReverseProxy.Forwarder.ForwarderError.ResponseBodyClient or Yarp.ReverseProxy.Forwarder.ForwarderError.UpgradeRequestCanceled
        or Yarp.ReverseProxy.Forwarder.ForwarderError.UpgradeRequestClient or Yarp.ReverseProxy.Forwarder.ForwarderError.UpgradeResponseCanceled
        or Yarp.ReverseProxy.Forwarder.ForwarderError.UpgradeResponseClient;

    /// <summary>
    /// Records a client failure: <see cref="GatewayErrorKind.ClientConnectionFailure"/>, and 400 without a body when
    /// nothing was sent yet (the client is most likely gone; the request log shows 400, never a backend failure).
    /// </summary>
    public static void ClientFailed(HttpContext context)
    {
        context.Features.Set<IGatewayErrorFeature>(new Feature(GatewayErrorKind.ClientConnectionFailure, "The client closed the connection or stopped sending the request body."));
        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
        }
    }

    private sealed record Feature(GatewayErrorKind Kind, string Message) : IGatewayErrorFeature;
}

/// <summary>APIM's gateway error body.</summary>
public sealed record ErrorBody(int StatusCode, string Message);

[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorBody))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class GatewayJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
