using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Subscriptions;
using Yarp.ReverseProxy.Forwarder;
using Tollgate.ServiceDefaults;
using System.Runtime.ExceptionServices;

namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// Runs a pipeline for one request: inbound, backend (forward-request, by default), outbound; on an error the rest of
/// the section is skipped and on-error runs with <c>context.LastError</c>. Failures become responses, never exceptions.
/// </summary>
public static partial class PolicyExecutor
{
    internal static readonly PolicyLocation DefaultForward = new("forward-request", "", "backend", "forward-request", "");

    /// <summary>Runs <paramref name="pipeline"/>; <paramref name="forward"/> sends the request to the backend (YARP's forwarder).</summary>
    internal static Task RunAsync(HttpContext http, GatewayRequest request, OperationPolicies operation, PolicyPipeline pipeline, RequestDelegate forward) =>
        RunAsync(PolicyContext.Rent(http, request, operation, request.State.Policies, forward, pipeline), pipeline);

    /// <summary>
    /// A CORS preflight: the pipeline's inbound cors policies in order; the first that matches (or terminates) answers,
    /// and when none does the answer is an empty 200 (APIM's <c>terminate-unmatched-request</c> rules).
    /// </summary>
    internal static async Task RunPreflightAsync(HttpContext http, GatewayRequest request, OperationPolicies operation, PolicyPipeline pipeline)
    {
        var context = new PolicyContext(http, request, operation, request.State.Policies) { Pipeline = pipeline };
        try
        {
            var answered = false;
            foreach (var cors in pipeline.Cors)
            {
                if (cors.AnswerPreflight(context))
                {
                    answered = true;
                    break;
                }
            }

            if (!answered)
            {
                context.StartResponse(200);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Failed(context, pipeline.Cors[0], e);
        }

        await context.CompleteAsync();
    }

    /// <summary>Runs the pipeline, then returns the context to the pool (not when the run throws: it is then left to the GC).</summary>
    /// <remarks>
    /// Runs synchronously as long as every section does (in-process counters, no body to read, a backend that answered
    /// at once): no async state machine then. At the first section that did not complete, <see cref="RunRestAsync"/>
    /// awaits it and goes on from there; the two paths do the same steps in the same order.
    /// </remarks>
    internal static Task RunAsync(PolicyContext context, PolicyPipeline pipeline)
    {
        if (pipeline.BuffersRequestBody)
        {
            return RunRestAsync(context, pipeline, Stage.Start, default);
        }

        PolicyStep step;
        try
        {
            var pending = InboundAsync(pipeline, context);
            if (!pending.IsCompletedSuccessfully)
            {
                return RunRestAsync(context, pipeline, Stage.Inbound, pending);
            }

            step = pending.Result;
            if (step == PolicyStep.Continue)
            {
                pending = BackendAsync(pipeline, context);
                if (!pending.IsCompletedSuccessfully)
                {
                    return RunRestAsync(context, pipeline, Stage.Backend, pending);
                }

                step = pending.Result;
                if (step == PolicyStep.Continue)
                {
                    pending = OutboundAsync(pipeline, context);
                    if (!pending.IsCompletedSuccessfully)
                    {
                        return RunRestAsync(context, pipeline, Stage.Outbound, pending);
                    }

                    step = pending.Result;
                }
            }

            if (step == PolicyStep.Error)
            {
                pending = OnErrorAsync(pipeline, context);
                if (!pending.IsCompletedSuccessfully)
                {
                    return RunRestAsync(context, pipeline, Stage.OnError, pending);
                }

                _ = pending.Result;
            }
        }
        catch (OperationCanceledException) when (context.Http.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
            context.Return();
            return Task.CompletedTask;
        }
        catch (Exception e)
        {
            return Rethrow(ExceptionDispatchInfo.Capture(e));
        }

        ValueTask completing;
        try
        {
            completing = context.CompleteAsync();
        }
        catch (Exception e)
        {
            return Rethrow(ExceptionDispatchInfo.Capture(e));
        }

        if (!completing.IsCompletedSuccessfully)
        {
            return CompleteRestAsync(context, completing);
        }

        completing.GetAwaiter().GetResult();
        context.Return();
        return Task.CompletedTask;
    }

    // Each section starts here, for both paths (RunAsync and RunRestAsync).
    private static ValueTask<PolicyStep> InboundAsync(PolicyPipeline pipeline, PolicyContext context)
    {
        context.Section = "inbound";
        return RunSectionAsync(pipeline.Inbound, context);
    }

    /// <summary>
    /// The backend section: its policies; else, when it was left empty by default (no scope wrote one without
    /// <c>&lt;base/&gt;</c>), APIM's default <c>forward-request</c>; else (an emptied backend) nothing is forwarded.
    /// </summary>
    private static ValueTask<PolicyStep> BackendAsync(PolicyPipeline pipeline, PolicyContext context)
    {
        context.Section = "backend";
        return pipeline.Backend.Length > 0 ? RunSectionAsync(pipeline.Backend, context)
            : pipeline.ForwardsWhenBackendIsEmpty ? ForwardAsync(context, null, DefaultForward)
            : ValueTask.FromResult(PolicyStep.Continue);
    }

    private static ValueTask<PolicyStep> OutboundAsync(PolicyPipeline pipeline, PolicyContext context)
    {
        // A backend section that forwarded nothing (APIM's "do not forward" example): outbound starts from an empty
        // 200, as context.Response is never null there in APIM.
        if (!context.HasResponse)
        {
            context.StartResponse(200);
        }

        context.Section = "outbound";
        return RunSectionAsync(pipeline.Outbound, context);
    }

    private static ValueTask<PolicyStep> OnErrorAsync(PolicyPipeline pipeline, PolicyContext context)
    {
        context.Section = "on-error";
        context.HasResponse = true;
        return RunSectionAsync(pipeline.OnError, context);
    }

    /// <summary>Where <see cref="RunRestAsync"/> picks up: the section whose (pending) result it is given.</summary>
    private enum Stage
    {
        Start,
        Inbound,
        Backend,
        Outbound,
        OnError,
    }

    /// <summary>The pipeline from <paramref name="stage"/> on, awaiting <paramref name="pending"/> (that section's result) first.</summary>
    private static async Task RunRestAsync(PolicyContext context, PolicyPipeline pipeline, Stage stage, ValueTask<PolicyStep> pending)
    {
        var step = PolicyStep.Continue;
        try
        {
            if (stage == Stage.Start)
            {
                if (pipeline.BuffersRequestBody)
                {
                    await context.BufferRequestBodyAsync();
                }

                pending = InboundAsync(pipeline, context);
                stage = Stage.Inbound;
            }

            if (stage == Stage.Inbound)
            {
                step = await pending;
                if (step == PolicyStep.Continue)
                {
                    pending = BackendAsync(pipeline, context);
                    stage = Stage.Backend;
                }
            }

            if (stage == Stage.Backend)
            {
                step = await pending;
                if (step == PolicyStep.Continue)
                {
                    pending = OutboundAsync(pipeline, context);
                    stage = Stage.Outbound;
                }
            }

            if (stage == Stage.Outbound)
            {
                step = await pending;
            }

            if (stage == Stage.OnError)
            {
                await pending;
            }
            else if (step == PolicyStep.Error)
            {
                await OnErrorAsync(pipeline, context);
            }
        }
        catch (OperationCanceledException) when (context.Http.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
            context.Return();
            return;
        }

        await context.CompleteAsync();
        context.Return();
    }

    private static async Task CompleteRestAsync(PolicyContext context, ValueTask completing)
    {
        await completing;
        context.Return();
    }

    /// <summary>A task that fails as the async method it stands for would have (canceled for an OperationCanceledException).</summary>
    private static async Task Rethrow(ExceptionDispatchInfo error)
    {
        await Task.CompletedTask;
        error.Throw();
    }

    /// <summary>Runs the policies of a section (or of a branch of choose, retry) in order until one does not continue.</summary>
    public static ValueTask<PolicyStep> RunSectionAsync(PolicyHandler[] handlers, PolicyContext context) => RunFromAsync(handlers, 0, context);

    private static ValueTask<PolicyStep> RunFromAsync(PolicyHandler[] handlers, int start, PolicyContext context)
    {
        for (var i = start; i < handlers.Length; i++)
        {
            ValueTask<PolicyStep> pending;
            try
            {
                pending = handlers[i].ExecuteAsync(context);
            }
            catch (Exception e) when (e is not OperationCanceledException || !context.Http.RequestAborted.IsCancellationRequested)
            {
                return ValueTask.FromResult(Failed(context, handlers[i], e));
            }

            if (!pending.IsCompletedSuccessfully)
            {
                return AwaitAsync(pending, handlers, i, context);
            }

            var step = pending.Result;
            if (step != PolicyStep.Continue)
            {
                return ValueTask.FromResult(step);
            }
        }

        return ValueTask.FromResult(PolicyStep.Continue);
    }

    private static async ValueTask<PolicyStep> AwaitAsync(ValueTask<PolicyStep> pending, PolicyHandler[] handlers, int index, PolicyContext context)
    {
        PolicyStep step;
        try
        {
            step = await pending;
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.Http.RequestAborted.IsCancellationRequested)
        {
            return Failed(context, handlers[index], e);
        }

        return step != PolicyStep.Continue ? step : await RunFromAsync(handlers, index + 1, context);
    }

    /// <summary>A policy threw: the error goes to on-error as LastError, the client gets a 500 unless on-error says otherwise.</summary>
    internal static PolicyStep Failed(PolicyContext context, PolicyHandler handler, Exception e)
    {
        // A request body refused as a tree (a DTD, too deeply nested) is the client's fault, whoever read it.
        var rejected = e as BodyRejectedException ?? e.InnerException as BodyRejectedException;
        var (reason, message) = e switch
        {
            _ when rejected is not null => ("InvalidBody", rejected.Message),
            ExpressionBudgetExceededException => ("ExpressionValueEvaluationFailure", e.Message),
            PolicyExpressionException => ("ExpressionValueEvaluationFailure", e.Message),
            CounterStoreException => ("CounterStoreUnavailable", "The rate-limit and quota counters cannot be reached."),
            ArgumentException => ("InvalidPolicyValue", e.Message),
            _ => ("PolicyFailure", e.Message),
        };
        var logger = context.Runtime.Services?.Logger;
        if (logger is not null)
        {
            Log.PolicyFailed(logger, context.Http.TraceIdentifier, handler.Location.Name, handler.Location.Scope, context.Section, reason, e.Message);
        }

        context.Fail(PolicyFailure.From(handler.Location, reason, message, handler.Location.Name));
        if (rejected is { ClientRequest: true })
        {
            context.SetErrorResponse(400, rejected.Message);
        }
        else
        {
            context.SetErrorResponse(500, "Internal server error");
        }

        return PolicyStep.Error;
    }

    /// <summary>
    /// Sends the request to the backend (the API's serviceUrl, or set-backend-service's) through YARP. A timeout, an
    /// unreachable backend or an invalid response is a forward-request error: 504 or 502 and on-error.
    /// </summary>
    internal static ValueTask<PolicyStep> ForwardAsync(PolicyContext context, TimeSpan? timeout, PolicyLocation location)
    {
        var request = context.Gateway;
        if (timeout is not null || context.ForwardTimeout is not null || (request.Backend?.CircuitBreaker is not null && context.Runtime.Services?.Breakers is not null)
            || (!context.BackendOverridden && string.IsNullOrEmpty(request.Api.ServiceUrl)))
        {
            return ForwardWithChecksAsync(context, timeout, location);
        }

        // No timeout and no circuit breaker: the same steps as ForwardWithChecksAsync, synchronously when the backend
        // answered at once (no async state machine), else awaited in ForwardedAsync.
        var http = context.Http;
        BeginForward(context);

        var time = context.Runtime.Time;
        var started = time.GetTimestamp();
        Task forwarding;
        try
        {
            forwarding = context.Forward!(http);
        }
        catch (Exception e)
        {
            request.ServiceTime = time.GetElapsedTime(started);
            context.EndCapture();
            return RethrowStep(ExceptionDispatchInfo.Capture(e));
        }

        if (!forwarding.IsCompletedSuccessfully)
        {
            return ForwardedAsync(context, forwarding, started, location);
        }

        request.ServiceTime = time.GetElapsedTime(started);
        context.EndCapture();
        return ValueTask.FromResult(Forwarded(context, location));
    }

    /// <summary>
    /// What every forward does first: the request body as policies left it, and the response either captured (for
    /// outbound policies that change it) or given the headers policies set once it starts.
    /// </summary>
    private static void BeginForward(PolicyContext context)
    {
        context.PrepareRequestBody();
        if (context.Pipeline!.CapturesResponse)
        {
            context.BeginCapture();
        }
        else if (context.HasPendingHeaders)
        {
            context.Http.Response.OnStarting(ApplyPendingHeaders, context.TakePendingHeaders());
        }
    }

    private static async ValueTask<PolicyStep> ForwardedAsync(PolicyContext context, Task forwarding, long started, PolicyLocation location)
    {
        try
        {
            await forwarding;
        }
        finally
        {
            context.Gateway.ServiceTime = context.Runtime.Time.GetElapsedTime(started);
            context.EndCapture();
        }

        return Forwarded(context, location);
    }

    /// <summary>After a forward without timeout or circuit breaker: the backend's status, or the error YARP reported.</summary>
    private static PolicyStep Forwarded(PolicyContext context, PolicyLocation location)
    {
        var http = context.Http;
        var request = context.Gateway;
        context.HasResponse = true;
        var error = http.Features.Get<IForwarderErrorFeature>();
        if (error is null)
        {
            request.BackendStatusCode = http.Response.StatusCode;
            // A WebSocket handshake the backend accepted (101): YARP has relayed the frames until either side closed,
            // so there is no response left for outbound policies (APIM runs a WebSocket API's policies on the handshake).
            return http.Response.StatusCode == StatusCodes.Status101SwitchingProtocols ? PolicyStep.Return : PolicyStep.Continue;
        }

        var timedOut = error.Error == ForwarderError.RequestTimedOut;
        var logger = context.Runtime.Services?.Logger;
        if (!timedOut && Errors.GatewayErrors.IsClientFailure(error.Error))
        {
            // The client went away or stopped sending: not a backend failure (no 502, no on-error).
            if (logger is not null)
            {
                Log.ClientFailed(logger, http.TraceIdentifier, request.Api.Id, request.Operation.Id, error.Error.ToString(), error.Exception?.Message);
            }

            Errors.GatewayErrors.ClientFailed(http);
            return PolicyStep.Return;
        }

        if (logger is not null)
        {
            Log.BackendFailed(logger, http.TraceIdentifier, request.Api.Id, request.Operation.Id, timedOut ? "Timeout" : error.Error.ToString(), error.Exception?.Message);
        }

        var message = timedOut ? "The backend did not respond in time." : "The backend could not be reached or sent an invalid response.";
        context.Fail(PolicyFailure.From(location, timedOut ? "Timeout" : "BackendConnectionFailure", message, "forward-request"));
        if (!http.Response.HasStarted)
        {
            context.SetErrorResponse(timedOut ? 504 : 502, message);
            context.Http.Features.Set<Errors.IGatewayErrorFeature>(null);
        }

        return PolicyStep.Error;
    }

    private static async ValueTask<PolicyStep> RethrowStep(ExceptionDispatchInfo error)
    {
        await Task.CompletedTask;
        error.Throw();
        return PolicyStep.Error;
    }

    /// <summary>Stops a forward's timeout when the response that starts is the backend's 101 (a relayed WebSocket).</summary>
    private static Task StopTimeoutOnUpgrade(object state)
    {
        var (http, timer) = ((HttpContext, CancellationTokenSource))state;
        if (http.Response.StatusCode == StatusCodes.Status101SwitchingProtocols)
        {
            try
            {
                timer.CancelAfter(Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The forward already ended: nothing left to stop.
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The forward with everything: a timeout, the backend's circuit breaker, the missing-backend check.</summary>
    private static async ValueTask<PolicyStep> ForwardWithChecksAsync(PolicyContext context, TimeSpan? timeout, PolicyLocation location)
    {
        var http = context.Http;
        var request = context.Gateway;
        if (!context.BackendOverridden && string.IsNullOrEmpty(request.Api.ServiceUrl))
        {
            context.Fail(PolicyFailure.From(location, "BackendNotConfigured", $"API '{request.Api.Id}' has no backend: set its serviceUrl."));
            context.SetErrorResponse(500, $"API '{request.Api.Id}' has no backend: set its serviceUrl.");
            return PolicyStep.Error;
        }

        var breakers = request.Backend?.CircuitBreaker is null ? null : context.Runtime.Services?.Breakers;
        if (breakers is not null && await breakers.IsOpenAsync(context.Runtime.KeyPrefix, request.Backend!, context.Runtime.Time.GetUtcNow()))
        {
            // A retry after a failure that opened the circuit: the backend is not called again until it closes.
            return await SetBackendService.SetBackendHandler.Unavailable(context, location, $"Backend '{request.Backend!.Id}' is unavailable: its circuit breaker is open.");
        }

        BeginForward(context);

        var time = context.Runtime.Time;
        // RequestAborted is read only with a timeout (on a DefaultHttpContext, reading it allocates its feature).
        CancellationToken aborted = default;
        CancellationTokenSource? timer = null;
        CancellationTokenSource? linked = null;
        timeout ??= context.ForwardTimeout;
        if (timeout is { } t)
        {
            aborted = http.RequestAborted;
            timer = new CancellationTokenSource(t, time);
            linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, timer.Token);
            http.RequestAborted = linked.Token;
            if (request.Api.IsWebSocket)
            {
                // APIM's forward-request timeout is the wait for the backend's response headers: once the backend has
                // accepted the handshake (101), the relayed connection lasts until a side closes it or goes idle.
                http.Response.OnStarting(StopTimeoutOnUpgrade, (http, timer));
            }
        }

        var started = time.GetTimestamp();
        try
        {
            await context.Forward!(http);
        }
        finally
        {
            request.ServiceTime = time.GetElapsedTime(started);
            if (linked is not null)
            {
                http.RequestAborted = aborted;
                linked.Dispose();
            }

            context.EndCapture();
        }

        var timedOut = timer?.IsCancellationRequested == true && !aborted.IsCancellationRequested;
        timer?.Dispose();
        context.HasResponse = true;
        var error = http.Features.Get<IForwarderErrorFeature>();
        if (error is null && !timedOut)
        {
            request.BackendStatusCode = http.Response.StatusCode;
            if (breakers is not null && await breakers.RecordAsync(context.Runtime.KeyPrefix, request.Backend!, http.Response.StatusCode, RetryAfter(http.Response), context.Runtime.Time.GetUtcNow()))
            {
                CircuitOpened(context, request.Backend!, http.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            // A relayed WebSocket (101): nothing left for outbound policies, as in Forwarded.
            return http.Response.StatusCode == StatusCodes.Status101SwitchingProtocols ? PolicyStep.Return : PolicyStep.Continue;
        }

        timedOut |= error?.Error == ForwarderError.RequestTimedOut;
        var logger = context.Runtime.Services?.Logger;
        if (!timedOut && Errors.GatewayErrors.IsClientFailure(error!.Error))
        {
            // The client went away or stopped sending: not a backend failure (no 502, no on-error).
            if (logger is not null)
            {
                Log.ClientFailed(logger, http.TraceIdentifier, request.Api.Id, request.Operation.Id, error.Error.ToString(), error.Exception?.Message);
            }

            Errors.GatewayErrors.ClientFailed(http);
            return PolicyStep.Return;
        }

        if (logger is not null)
        {
            Log.BackendFailed(logger, http.TraceIdentifier, request.Api.Id, request.Operation.Id, timedOut ? "Timeout" : error!.Error.ToString(), error?.Exception?.Message);
        }

        if (breakers is not null && await breakers.RecordAsync(context.Runtime.KeyPrefix, request.Backend!, null, null, context.Runtime.Time.GetUtcNow()))
        {
            CircuitOpened(context, request.Backend!, timedOut ? "Timeout" : error!.Error.ToString());
        }

        var message = timedOut ? "The backend did not respond in time." : "The backend could not be reached or sent an invalid response.";
        context.Fail(PolicyFailure.From(location, timedOut ? "Timeout" : "BackendConnectionFailure", message, "forward-request"));
        if (!http.Response.HasStarted)
        {
            context.SetErrorResponse(timedOut ? 504 : 502, message);
            context.Http.Features.Set<Errors.IGatewayErrorFeature>(null);
        }

        return PolicyStep.Error;
    }

    private static void CircuitOpened(PolicyContext context, Core.Gateway.GatewayBackend backend, string failure)
    {
        if (context.Runtime.Services?.Logger is { } logger)
        {
            Log.CircuitOpened(logger, context.Http.TraceIdentifier, backend.Id, failure, backend.CircuitBreaker!.Count, backend.CircuitBreaker.Interval);
        }
    }

    /// <summary>A response's Retry-After in seconds (the circuit breaker's acceptRetryAfter), if it has one.</summary>
    private static TimeSpan? RetryAfter(HttpResponse response) =>
        int.TryParse(response.Headers.RetryAfter, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static readonly Func<object, Task> ApplyPendingHeaders = static state =>
    {
        ((PendingHeaders)state).Apply();
        return Task.CompletedTask;
    };

    private static partial class Log
    {
        [LoggerMessage(EventIds.PolicyFailed, LogLevel.Warning, "Request {RequestId}: policy {Policy} ({Scope}, {Section}) failed: {Reason}: {Message}")]
        public static partial void PolicyFailed(ILogger logger, string requestId, string policy, string scope, string section, string reason, string message);

        [LoggerMessage(EventIds.BackendFailed, LogLevel.Warning, "Request {RequestId} to {Api}/{Operation}: backend failed with {Error}. {Detail}")]
        public static partial void BackendFailed(ILogger logger, string requestId, string api, string operation, string error, string? detail);

        [LoggerMessage(EventIds.BackendCircuitOpened, LogLevel.Warning, "Request {RequestId}: the circuit breaker of backend {Backend} opened after {Failure} ({Count} failures within {Interval}).")]
        public static partial void CircuitOpened(ILogger logger, string requestId, string backend, string failure, int count, TimeSpan interval);

        [LoggerMessage(EventIds.ClientConnectionFailure, LogLevel.Information, "Request {RequestId} to {Api}/{Operation}: ClientConnectionFailure ({Error}). {Detail}")]
        public static partial void ClientFailed(ILogger logger, string requestId, string api, string operation, string error, string? detail);
    }
}
