using System.Buffers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.Security;
using Tollgate.Studio.Batch;
using Tollgate.Studio.Data;
using Tollgate.Studio.Datasets;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Storage;
using Tollgate.Studio.WebServices;
using Tollgate.ServiceDefaults;

namespace Tollgate.Studio.Api;

/// <summary>
/// Studio's HTTP surface: its own JSON API under <c>/studio</c> (workspace token as <c>Authorization: Bearer</c>) and the
/// Azure ML Studio (classic) web service protocol under <c>/workspaces/{ws}/services/{endpoint}</c> (and
/// <c>/subscriptions/{id}/services/{endpoint}</c>): RRS <c>execute</c>, BES <c>jobs</c>, <c>swagger.json</c>.
/// </summary>
public static partial class StudioApi
{
    /// <summary>Maps every Studio endpoint.</summary>
    public static IEndpointRouteBuilder MapStudio(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        MapWebServiceProtocol(endpoints.MapGroup("/workspaces/{workspace}/services/{endpoint}"));
        MapWebServiceProtocol(endpoints.MapGroup("/subscriptions/{workspace}/services/{endpoint}"));
        endpoints.MapGet("/studio/apihelp/workspaces/{workspace}/webservices/{service}/endpoints/{endpoint}/{kind?}", HelpAsync).AddEndpointFilter(Errors);
        MapStudioApi(endpoints.MapGroup("/studio").AddEndpointFilter(Errors).AddEndpointFilter(WorkspaceToken));
        endpoints.MapFallback("/workspaces/{**rest}", () => StudioError.NotFound("ResourceNotFound", "No operation matches this path.").ToResult());
        endpoints.MapFallback("/subscriptions/{**rest}", () => StudioError.NotFound("ResourceNotFound", "No operation matches this path.").ToResult());
        return endpoints;
    }

    private static void MapWebServiceProtocol(RouteGroupBuilder group)
    {
        group.AddEndpointFilter(Errors);
        group.MapPost("/execute", ExecuteAsync);
        group.MapGet("/swagger.json", SwaggerAsync);
        group.MapPost("/jobs", SubmitAsync);
        group.MapPost("/jobs/{jobId}/start", StartAsync);
        group.MapGet("/jobs/{jobId}", StatusAsync);
        group.MapDelete("/jobs/{jobId}", DeleteJobAsync);
    }

    // --- filters ---------------------------------------------------------------------------------------------------

    /// <summary>Every failure becomes the Studio error envelope; nothing escapes as an unhandled exception.</summary>
    private static async ValueTask<object?> Errors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        // The host may already have given the request an id (and logged under it); otherwise one of our own.
        context.HttpContext.Response.Headers.TryAdd("x-ms-request-id", Guid.NewGuid().ToString());
        try
        {
            return await next(context);
        }
        catch (StudioError error)
        {
            return error.ToResult();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(context.HttpContext.RequestServices.GetRequiredService<StudioOptions>()).ToResult();
        }
        catch (BadHttpRequestException ex)
        {
            return StudioError.BadArgument("RequestBodyInvalid", "The request could not be read: " + ex.Message).ToResult();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The client went away (mid-upload, say): nothing to answer, nothing to log.
            return Results.Empty;
        }
        catch (Exception ex)
        {
            var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tollgate.Studio");
            Log.Unexpected(logger, context.HttpContext.Request.Path, ex);
            return new StudioError("InternalError", new StudioErrorDetail("UnknownError", "Execution encountered an internal error.")).ToResult();
        }
    }

    /// <summary>Studio's own API takes the workspace authorization token as <c>Authorization: Bearer</c>.</summary>
    private static async ValueTask<object?> WorkspaceToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var workspace = context.HttpContext.RequestServices.GetRequiredService<StudioWorkspace>().Current;
        if (BearerKey(context.HttpContext.Request) is not { } token || KeyDigest.Of(token) != KeyDigest.Of(workspace.AuthorizationToken))
        {
            return new StudioError("Unauthorized", new StudioErrorDetail("AdminRequestUnauthorized", "Invalid workspace authorization token provided.")).ToResult();
        }

        return await next(context);
    }

    internal static string? BearerKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString().Trim();
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && header[..space].Equals("Bearer", StringComparison.OrdinalIgnoreCase) && header[(space + 1)..].Trim() is { Length: > 0 } key ? key : null;
    }

    // --- the web service protocol ----------------------------------------------------------------------------------

    /// <summary>Finds the endpoint, checks the key and the api-version (in that order).</summary>
    private static async Task<ScoringService> AuthorizeAsync(HttpContext context, string workspace, string endpoint, bool requireKey = true)
    {
        var services = context.RequestServices;
        if (!string.Equals(workspace, services.GetRequiredService<StudioWorkspace>().Current.Id, StringComparison.OrdinalIgnoreCase))
        {
            throw StudioError.NotFound("WorkspaceNotFound", $"Workspace '{workspace}' was not found.");
        }

        var service = await services.GetRequiredService<WebServiceCatalog>().GetEndpointAsync(endpoint.ToLowerInvariant(), context.RequestAborted)
            ?? throw StudioError.NotFound("WebServiceNotFound", $"Web service '{endpoint}' was not found in workspace '{workspace}'.");
        if (requireKey && (BearerKey(context.Request) is not { } key || !service.IsValidKey(key)))
        {
            throw StudioError.Unauthorized();
        }

        var version = context.Request.Query["api-version"].ToString();
        if ((requireKey || version.Length > 0) && version != "2.0")
        {
            throw StudioError.BadVersion(version);
        }

        return service;
    }

    private static StudioError TooLarge(StudioOptions options) => new("MemoryQuotaViolation",
        new StudioErrorDetail("RequestBodyTooLarge", $"The request body is larger than the limit of {options.MaxRequestBodyBytes} bytes (Tollgate:Studio:MaxRequestBodyBytes)."));

    /// <summary>Reads the body up to the limit; a larger body is a 413 without reading the rest.</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext context, StudioOptions options, Action<HttpContext, long>? progress = null)
    {
        var limit = options.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            throw TooLarge(options);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = null; // the limit below applies, with Studio's error
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(context.Request.ContentLength ?? 4096, limit) + 1);
        while (true)
        {
            var memory = buffer.GetMemory(8192);
            var read = await context.Request.Body.ReadAsync(memory, context.RequestAborted);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            progress?.Invoke(context, buffer.WrittenCount);
            if (buffer.WrittenCount > limit)
            {
                throw TooLarge(options);
            }
        }
    }

    private static async Task<IResult> ExecuteAsync(HttpContext context, string workspace, string endpoint, StudioOptions options, DatasetService datasets)
    {
        var service = await AuthorizeAsync(context, workspace, endpoint);
        if (service.ModelOutputNames.Count > 0)
        {
            throw new StudioError("InvalidOperation", new StudioErrorDetail("ModelOutputRequiresBatch",
                $"Output '{service.ModelOutputNames[0]}' returns a trained model: call this training web service through BES (POST …/jobs), whose job writes the model to an .ilearner blob.",
                service.ModelOutputNames[0]));
        }

        // The whole body is read (and size-limited) before the call takes a concurrency slot: a client that trickles its
        // upload holds a connection, never one of the endpoint's MaxConcurrentCalls.
        var hooks = context.RequestServices.GetService<RequestResponseHooks>();
        var body = await ReadBodyAsync(context, options, hooks?.BodyProgress);
        if (!service.TryEnter())
        {
            throw new StudioError("ServiceUnavailable", new StudioErrorDetail("RequestThrottled",
                $"Request was throttled for {service.Record.EndpointId} endpoint. The maximum concurrency for the endpoint is {service.Record.MaxConcurrentCalls}."));
        }

        try
        {
            if (hooks?.WhileHoldingSlot is { } hook)
            {
                await hook(service.Record.EndpointId, context.RequestAborted);
            }

            var (inputs, globalParameters) = RequestResponseService.Parse(body, service);
            var graph = service.Compile(globalParameters);
            var outputs = await RequestResponseService.ExecuteAsync(graph, service, inputs,
                d => datasets.ReadAsync(d, DataBatch.DefaultSize, context.RequestAborted), context.RequestAborted);
            var query = context.Request.Query;
            var details = query["details"].ToString().Equals("true", StringComparison.OrdinalIgnoreCase);
            var swagger = query["format"].ToString().Equals("swagger", StringComparison.OrdinalIgnoreCase);
            var buffer = new ArrayBufferWriter<byte>();
            RequestResponseService.WriteResults(buffer, graph, outputs, details, swagger, options.OmitColumnNamesWithoutDetails);
            return Results.Bytes(buffer.WrittenMemory, "application/json; charset=utf-8");
        }
        finally
        {
            service.Exit();
        }
    }

    private static async Task<IResult> SwaggerAsync(HttpContext context, string workspace, string endpoint, StudioOptions options, StudioWorkspace current)
    {
        var service = await AuthorizeAsync(context, workspace, endpoint, requireKey: false);
        return Results.Content(ServiceDocuments.Swagger(options, current.Current.Id, service).ToJsonString(), "application/json; charset=utf-8");
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, string workspace, string endpoint, StudioOptions options, BatchService batch)
    {
        var service = await AuthorizeAsync(context, workspace, endpoint);
        var body = await ReadBodyAsync(context, options);
        var jobId = await batch.SubmitAsync(service, body, context.RequestAborted);
        return Results.Content(System.Text.Json.JsonSerializer.Serialize(jobId), "application/json; charset=utf-8");
    }

    private static async Task<JobRecord> JobAsync(HttpContext context, string workspace, string endpoint, string jobId)
    {
        var service = await AuthorizeAsync(context, workspace, endpoint);
        return await context.RequestServices.GetRequiredService<StudioStore>().GetJobAsync(service.Record.EndpointId, jobId.ToLowerInvariant(), context.RequestAborted)
            ?? throw StudioError.NotFound("JobNotFound", $"Job '{jobId}' was not found for this web service.");
    }

    private static async Task<IResult> StartAsync(HttpContext context, string workspace, string endpoint, string jobId, BatchService batch)
    {
        var job = await JobAsync(context, workspace, endpoint, jobId);
        await batch.StartAsync(job, context.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> StatusAsync(HttpContext context, string workspace, string endpoint, string jobId, BatchService batch)
    {
        var job = await JobAsync(context, workspace, endpoint, jobId);
        return Results.Content(batch.Status(job).ToJsonString(), "application/json; charset=utf-8");
    }

    private static async Task<IResult> DeleteJobAsync(HttpContext context, string workspace, string endpoint, string jobId, BatchService batch)
    {
        var job = await JobAsync(context, workspace, endpoint, jobId);
        await batch.DeleteAsync(job, context.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> HelpAsync(HttpContext context, string workspace, string service, string endpoint, string? kind, StudioOptions options, StudioWorkspace current)
    {
        var scoring = await AuthorizeAsync(context, workspace, endpoint, requireKey: false);
        if (!string.Equals(scoring.Record.Id, service, StringComparison.OrdinalIgnoreCase) || kind is not (null or "score" or "jobs" or "update"))
        {
            throw StudioError.NotFound("WebServiceNotFound", "No such help page.");
        }

        return Results.Content(ServiceDocuments.HelpPage(options, current.Current.Id, scoring, kind), "text/html; charset=utf-8");
    }

    private static partial class Log
    {
        [Microsoft.Extensions.Logging.LoggerMessage(EventIds.StudioRequestFailed, LogLevel.Error, "Studio request {Path} failed unexpectedly.")]
        public static partial void Unexpected(ILogger logger, string path, Exception exception);

        [Microsoft.Extensions.Logging.LoggerMessage(EventIds.OnnxModelImported, LogLevel.Information, "ONNX model {ModelId} imported as \"{Name}\".")]
        public static partial void OnnxImported(ILogger logger, string modelId, string name);

        [Microsoft.Extensions.Logging.LoggerMessage(EventIds.OnnxModelRefused, LogLevel.Warning, "ONNX model \"{Name}\" refused: {Error}")]
        public static partial void OnnxRefused(ILogger logger, string name, string error);
    }
}
