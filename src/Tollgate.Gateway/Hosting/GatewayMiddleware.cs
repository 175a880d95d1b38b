using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Gateway.Subscriptions;
using Yarp.ReverseProxy.Forwarder;
using Microsoft.AspNetCore.Routing;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Hosting;

/// <summary>
/// The gateway's request pipeline after the instance is resolved: matches the operation (<see cref="GatewayState.Match"/>),
/// checks the subscription key, runs the policies and forwards (<see cref="GatewayForwarder"/>); backend failures
/// become APIM-style 502/504 bodies with a log line, never an unhandled exception. Requests for the gateway's own
/// endpoints (status, health) go on to routing.
/// </summary>
public sealed partial class GatewayMiddleware(RequestDelegate next, SnapshotProxyConfigProvider config, GatewayForwarder forwarder, TimeProvider time, ILogger<GatewayMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (Analytics.RequestTelemetryMiddleware.IsInfrastructure(context.Request.Path))
        {
            return next(context);
        }

        // The instance was resolved by host name (GatewayInstanceMiddleware holds its policies).
        return InvokeAsync(context, context.Features.Get<GatewayInstanceFeature>()?.State ?? config.State);
    }

    private async Task InvokeAsync(HttpContext context, GatewayState state)
    {
        var values = new RouteValueDictionary();
        var matched = state.Match(context.Request, values, out var apiMatched);
        if (matched is null)
        {
            await (apiMatched
                ? GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.OperationNotFound, GatewayErrors.OperationNotFound)
                : GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.ResourceNotFound, GatewayErrors.ResourceNotFound));
            return;
        }

        if (values.Count > 0)
        {
            context.Request.RouteValues = values;
        }

        var route = matched.RouteId;
        var entry = matched.Entry;
        var api = entry.Api;
        if (!AllowsScheme(api.Protocols, context.Request))
        {
            await GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.ResourceNotFound, GatewayErrors.ResourceNotFound);
            return;
        }

        var request = new GatewayRequest { State = state, Entry = entry, RoutedPath = context.Request.Path.Value };
        context.Features.Set(request);
        var check = SubscriptionKeyValidator.Validate(context.Request, request, time.GetUtcNow());
        if (Policies.Cors.CorsHandler.IsPreflight(context.Request) && !HttpMethods.IsOptions(entry.Operation.Method))
        {
            // A preflight carries no subscription key (browsers send none): cors policies of global, API and
            // operation scope answer it; product scope only when a key in the query string names the product.
            var preflight = state.Policies.Find(matched)?.For(check == KeyCheck.Allowed ? request.Product : null);
            if (preflight is null || preflight.Cors.Length == 0)
            {
                await GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.OperationNotFound, GatewayErrors.OperationNotFound);
                return;
            }

            await PolicyExecutor.RunPreflightAsync(context, request, state.Policies.Find(matched)!, preflight);
            return;
        }

        switch (check)
        {
            case KeyCheck.Missing:
                await GatewayErrors.WriteAsync(context, 401, GatewayErrorKind.SubscriptionKeyNotFound, GatewayErrors.MissingKey);
                return;
            case KeyCheck.Invalid:
                await GatewayErrors.WriteAsync(context, 401, GatewayErrorKind.SubscriptionKeyInvalid, GatewayErrors.InvalidKey);
                return;
        }

        if (state.Policies.Find(matched) is { } policies && policies.For(request.Product) is { } pipeline)
        {
            if (pipeline.Problem is { } problem)
            {
                // A stored document that cannot be loaded fails the operations it applies to, nothing else.
                await GatewayErrors.WriteAsync(context, 500, GatewayErrorKind.PolicyNotLoaded, problem);
                return;
            }

            await PolicyExecutor.RunAsync(context, request, policies, pipeline, forwarder.Forward);
            return;
        }

        if (string.IsNullOrEmpty(api.ServiceUrl))
        {
            await GatewayErrors.WriteAsync(context, 500, GatewayErrorKind.BackendNotConfigured, $"API '{api.Id}' has no backend: set its serviceUrl.");
            return;
        }

        var forwarding = time.GetTimestamp();
        await forwarder.ForwardAsync(context);
        request.ServiceTime = time.GetElapsedTime(forwarding);

        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null)
        {
            request.BackendStatusCode = context.Response.StatusCode;
            return;
        }

        if (GatewayErrors.IsClientFailure(error.Error))
        {
            Log.ClientFailed(logger, context.TraceIdentifier, api.Id, entry.Operation.Id, error.Error, error.Exception?.Message);
            GatewayErrors.ClientFailed(context);
            return;
        }

        var timedOut = error.Error == ForwarderError.RequestTimedOut;
        Log.BackendFailed(logger, context.TraceIdentifier, api.Id, entry.Operation.Id, error.Error, error.Exception?.Message);

        await GatewayErrors.WriteAsync(context, timedOut ? 504 : 502,
            timedOut ? GatewayErrorKind.BackendTimeout : GatewayErrorKind.BackendConnectionFailure,
            timedOut ? "The backend did not respond in time." : "The backend could not be reached or sent an invalid response.");
    }

    /// <summary>
    /// Whether the API's protocols admit the call: http and https by name; a WebSocket handshake (an HTTP/1.1 GET
    /// asking to upgrade to websocket) over http is ws, over https wss, as APIM's protocols name them.
    /// </summary>
    private static bool AllowsScheme(IReadOnlyList<string> protocols, HttpRequest request)
    {
        var scheme = request.Scheme;
        var webSocket = IsWebSocketHandshake(request);
        foreach (var p in protocols)
        {
            if (string.Equals(p, scheme, StringComparison.OrdinalIgnoreCase)
                || (webSocket && string.Equals(p, scheme == "https" ? "wss" : "ws", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWebSocketHandshake(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);

    private static partial class Log
    {
        [LoggerMessage(EventIds.BackendFailed, LogLevel.Warning, "Request {RequestId} to {Api}/{Operation}: backend failed with {Error}. {Detail}")]
        public static partial void BackendFailed(ILogger logger, string requestId, string api, string operation, ForwarderError error, string? detail);

        [LoggerMessage(EventIds.ClientConnectionFailure, LogLevel.Information, "Request {RequestId} to {Api}/{Operation}: ClientConnectionFailure ({Error}). {Detail}")]
        public static partial void ClientFailed(ILogger logger, string requestId, string api, string operation, ForwarderError error, string? detail);
    }
}
