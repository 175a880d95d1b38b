using Microsoft.AspNetCore.Http;
using Tollgate.Core.Analytics;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Subscriptions;

namespace Tollgate.Gateway.Analytics;

/// <summary>
/// First in the gateway pipeline: after the response, queues one <see cref="RequestRecord"/> for every call,
/// rejected ones included. Queuing never waits: a full channel drops (and counts) the record.
/// </summary>
public sealed class RequestRecordingMiddleware(RequestDelegate next, RequestRecordChannel channel, SnapshotProxyConfigProvider config, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = time.GetUtcNow();
        var start = time.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var request = context.Features.Get<GatewayRequest>();
            channel.TryWrite(new RequestRecord
            {
                Timestamp = started,
                RequestId = context.TraceIdentifier,
                ServiceName = request?.State.Snapshot.ServiceName ?? config.State.Snapshot.ServiceName,
                ApiId = request?.Api.Id,
                OperationId = request?.Operation.Id,
                ProductId = request?.Product?.Id,
                SubscriptionId = request?.Subscription?.Id,
                UserId = request?.User?.Id ?? request?.Subscription?.UserId,
                Method = context.Request.Method,
                Url = Url(context.Request, request?.Api.KeyQueryName ?? Core.Resources.ResourceSchemas.DefaultKeyQuery),
                IpAddress = context.Connection.RemoteIpAddress?.ToString(),
                ResponseCode = context.Response.StatusCode,
                BackendResponseCode = request?.BackendStatusCode,
                RequestSize = context.Request.ContentLength ?? 0,
                ResponseSize = context.Response.ContentLength ?? 0,
                ApiTime = time.GetElapsedTime(start).TotalMilliseconds,
                ServiceTime = request?.ServiceTime.TotalMilliseconds ?? 0,
                Cache = "none",
            });
        }
    }

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
