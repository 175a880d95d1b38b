using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Analytics;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Subscriptions;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Analytics;

/// <summary>
/// First in the gateway pipeline. Gives every call a request id (a version-7 GUID: APIM's <c>context.RequestId</c>)
/// that becomes <see cref="HttpContext.TraceIdentifier"/> (so every log line of the call carries it), goes to the
/// backend and back to the client in <see cref="RequestIdHeader"/>; after the response it records the call's
/// metrics and, when the request log is on, queues one <see cref="RequestRecord"/> for the reports, rejected calls
/// included. Queuing never waits: a full channel drops (and counts) the record.
/// </summary>
public sealed class RequestTelemetryMiddleware(RequestDelegate next, TimeProvider time, IServiceProvider services,
    ILogger<RequestTelemetryMiddleware> logger)
{
    /// <summary>The header carrying the gateway's request id, to the backend and back to the client.</summary>
    public const string RequestIdHeader = "x-request-id";

    private static readonly Func<object, Task> AddRequestIdHeader = static state =>
    {
        var context = (HttpContext)state;
        context.Response.Headers[RequestIdHeader] = context.TraceIdentifier;
        return Task.CompletedTask;
    };

    private readonly RequestRecordChannel? _channel = services.GetService<RequestRecordChannel>();

    // A gateway apart from management also journals each record on disk as it queues it (RequestRecordJournal).
    private readonly RequestRecordJournal? _journal = services.GetService<RequestRecordJournal>();

    public async Task InvokeAsync(HttpContext context)
    {
        var started = time.GetUtcNow();
        var start = time.GetTimestamp();
        context.TraceIdentifier = RequestIds.NewId(started);
        context.Response.OnStarting(AddRequestIdHeader, context);
        using var scope = logger.BeginScope(new RequestIdScope(context.TraceIdentifier));
        try
        {
            await next(context);
        }
        finally
        {
            Record(context, started, start);
        }
    }

    private void Record(HttpContext context, DateTimeOffset started, long start)
    {
        var request = context.Features.Get<GatewayRequest>();
        if (request is null && IsInfrastructure(context.Request.Path))
        {
            // Probes are not API calls: they stay out of the reports and the request metrics.
            return;
        }

        // A call is recorded in the request log of the instance its host name named; one of no instance in none.
        var service = request?.State.Snapshot.ServiceName ?? context.Features.Get<Hosting.GatewayInstanceFeature>()?.State.Snapshot.ServiceName;
        var elapsed = time.GetElapsedTime(start);
        var status = context.Response.StatusCode;
        GatewayMetrics.RecordRequest(service, request?.Api.Id, request?.Operation.Id, request?.Product?.Id, status, elapsed,
            request?.BackendStatusCode is null ? null : request.ServiceTime);
        if (_channel is null || string.IsNullOrEmpty(service))
        {
            return;
        }

        var record = new RequestRecord
        {
            Timestamp = started,
            RequestId = context.TraceIdentifier,
            ServiceName = service,
            ApiId = request?.Api.Id,
            OperationId = request?.Operation.Id,
            ProductId = request?.Product?.Id,
            SubscriptionId = request?.Subscription?.Id,
            UserId = request?.User?.Id ?? request?.Subscription?.UserId,
            Method = context.Request.Method,
            Url = Url(context.Request, request?.Api.KeyQueryName ?? Core.Resources.ResourceSchemas.DefaultKeyQuery),
            IpAddress = context.Connection.RemoteIpAddress?.ToString(),
            ResponseCode = status,
            BackendResponseCode = request?.BackendStatusCode,
            RequestSize = context.Request.ContentLength ?? 0,
            ResponseSize = context.Response.ContentLength ?? 0,
            ApiTime = elapsed.TotalMilliseconds,
            ServiceTime = request?.ServiceTime.TotalMilliseconds ?? 0,
            Cache = request?.Cache ?? "none",
            KeySlot = request?.Subscription is null ? null : request.KeySlot,
        };
        if (_journal is not null)
        {
            _journal.Write(record);
        }
        else
        {
            _channel.TryWrite(record);
        }
    }

    /// <summary>Probes (APIM's status endpoint, health): not API calls.</summary>
    public static bool IsInfrastructure(PathString path) =>
        path.Equals(Hosting.GatewayHost.StatusPath, StringComparison.OrdinalIgnoreCase)
        || path.Equals(Observability.LivePath, StringComparison.OrdinalIgnoreCase)
        || path.Equals(Observability.ReadyPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>Path and query, without the subscription key: keys never reach the request log.</summary>
    private static string Url(HttpRequest request, string keyQueryName)
    {
        var query = request.QueryString.Value;
        if (string.IsNullOrEmpty(query))
        {
            return request.Path.Value ?? "/";
        }

        // A percent-encoded name ("subscription%2Dkey") is only visible decoded.
        if (query.Contains(keyQueryName, StringComparison.OrdinalIgnoreCase) || (query.Contains('%') && request.Query.ContainsKey(keyQueryName)))
        {
            var kept = request.Query.Where(q => !string.Equals(q.Key, keyQueryName, StringComparison.OrdinalIgnoreCase))
                .SelectMany(q => q.Value.Select(v => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(v ?? "")));
            var rebuilt = string.Join("&", kept);
            return request.Path.Value + (rebuilt.Length > 0 ? "?" + rebuilt : "");
        }

        return request.Path.Value + query;
    }
}
