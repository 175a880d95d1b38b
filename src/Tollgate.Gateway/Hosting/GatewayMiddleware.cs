using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Policies.Runtime;
using Tollgate.Gateway.Subscriptions;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Hosting;

/// <summary>
/// Runs in YARP's proxy pipeline after route matching: resolves the operation, checks the subscription key,
/// then forwards; backend failures become APIM-style 502/504 bodies with a log line, never an unhandled exception.
/// </summary>
public sealed partial class GatewayMiddleware(RequestDelegate next, SnapshotProxyConfigProvider config, TimeProvider time, ILogger<GatewayMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context) =>
        // The instance was resolved by host name before routing (GatewayInstanceMiddleware holds its policies).
        InvokeAsync(context, context.Features.Get<GatewayInstanceFeature>()?.State ?? config.State);

    private async Task InvokeAsync(HttpContext context, GatewayState state)
    {
        var route = context.GetReverseProxyFeature().Route.Config.RouteId;
        if (!state.Operations.TryGetValue(route, out var entry))
        {
            await GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.OperationNotFound, GatewayErrors.OperationNotFound);
            return;
        }

        var api = entry.Api;
        if (!AllowsScheme(api.Protocols, context.Request.Scheme))
        {
            await GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.ResourceNotFound, GatewayErrors.ResourceNotFound);
            return;
        }

        var request = new GatewayRequest { State = state, Entry = entry };
        context.Features.Set(request);
        var check = SubscriptionKeyValidator.Validate(context.Request, request, time.GetUtcNow());
        if (Policies.Handlers.CorsHandler.IsPreflight(context.Request) && !HttpMethods.IsOptions(entry.Operation.Method))
        {
            // A preflight carries no subscription key (browsers send none): cors policies of global, API and
            // operation scope answer it; product scope only when a key in the query string names the product.
            var preflight = state.Policies.Find(route)?.For(check == KeyCheck.Allowed ? request.Product : null);
            if (preflight is null || preflight.Cors.Length == 0)
            {
                await GatewayErrors.WriteAsync(context, 404, GatewayErrorKind.OperationNotFound, GatewayErrors.OperationNotFound);
                return;
            }

            await PolicyExecutor.RunPreflightAsync(context, request, state.Policies.Find(route)!, preflight);
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

        if (state.Policies.Find(route) is { } policies && policies.For(request.Product) is { } pipeline)
        {
            if (pipeline.Problem is { } problem)
            {
                // A stored document that cannot be loaded fails the operations it applies to, nothing else.
                await GatewayErrors.WriteAsync(context, 500, GatewayErrorKind.PolicyNotLoaded, problem);
                return;
            }

            await PolicyExecutor.RunAsync(context, request, policies, pipeline, next);
            return;
        }

        if (string.IsNullOrEmpty(api.ServiceUrl))
        {
            await GatewayErrors.WriteAsync(context, 500, GatewayErrorKind.BackendNotConfigured, $"API '{api.Id}' has no backend: set its serviceUrl.");
            return;
        }

        var forwarding = time.GetTimestamp();
        await next(context);
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

    private static bool AllowsScheme(IReadOnlyList<string> protocols, string scheme)
    {
        foreach (var p in protocols)
        {
            if (string.Equals(p, scheme, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.BackendFailed, LogLevel.Warning, "Request {RequestId} to {Api}/{Operation}: backend failed with {Error}. {Detail}")]
        public static partial void BackendFailed(ILogger logger, string requestId, string api, string operation, ForwarderError error, string? detail);

        [LoggerMessage(EventIds.ClientConnectionFailure, LogLevel.Information, "Request {RequestId} to {Api}/{Operation}: ClientConnectionFailure ({Error}). {Detail}")]
        public static partial void ClientFailed(ILogger logger, string requestId, string api, string operation, ForwarderError error, string? detail);
    }
}
