using System.Diagnostics;
using System.Diagnostics.Metrics;
using Tollgate.Core.Analytics;
using Tollgate.ServiceDefaults;

namespace Tollgate.Gateway.Analytics;

/// <summary>
/// The gateway's OpenTelemetry instruments (meter <c>Tollgate.Gateway</c>), exported at <c>/metrics</c>:
/// <c>tollgate_gateway_requests_total</c> by instance (<c>service</c>), api, operation, product and outcome (APIM's success / blocked /
/// failed / other), <c>tollgate_gateway_request_duration_seconds</c> and <c>tollgate_gateway_backend_duration_seconds</c>
/// histograms, and <c>tollgate_gateway_rejections_total</c> by policy (rate-limit, quota, …).
/// </summary>
public static class GatewayMetrics
{
    private static readonly Meter Meter = new(TollgateTelemetry.GatewayMeter);

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        "tollgate.gateway.requests", "{request}", "Calls through the gateway, rejected ones included.");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "tollgate.gateway.request.duration", "s", "Time in the gateway from the request to the end of the response.");

    private static readonly Histogram<double> BackendDuration = Meter.CreateHistogram<double>(
        "tollgate.gateway.backend.duration", "s", "Time waiting for the backend, for calls that were forwarded.");

    private static readonly Counter<long> Rejections = Meter.CreateCounter<long>(
        "tollgate.gateway.rejections", "{request}", "Calls refused by a policy (rate-limit, quota, ip-filter, …).");

    private static readonly Counter<long> Shipped = Meter.CreateCounter<long>(
        "tollgate.gateway.records.shipped", "{record}", "Request records a remote gateway delivered to management.");

    private static readonly Counter<long> Buffered = Meter.CreateCounter<long>(
        "tollgate.gateway.records.buffered", "{record}", "Request records a remote gateway kept on disk because management could not take them.");

    private static readonly Counter<long> Unbuffered = Meter.CreateCounter<long>(
        "tollgate.gateway.records.unbuffered", "{record}", "Buffered request records delivered later.");

    private static readonly Counter<long> BufferDropped = Meter.CreateCounter<long>(
        "tollgate.gateway.records.dropped", "{record}", "Request records a remote gateway dropped: its buffer on disk was full.");

    private static readonly Counter<long> Refused = Meter.CreateCounter<long>(
        "tollgate.gateway.records.refused", "{record}", "Request records management refused as malformed.");

    public static void RecordsShipped(int count) => Shipped.Add(count);

    public static void RecordsBuffered(int count) => Buffered.Add(count);

    public static void RecordsUnbuffered(int count) => Unbuffered.Add(count);

    public static void RecordsDropped(int count) => BufferDropped.Add(count);

    public static void RecordsRefused(int count) => Refused.Add(count);

    /// <summary>Records one finished call.</summary>
    public static void RecordRequest(string? service, string? api, string? operation, string? product, int status, TimeSpan duration, TimeSpan? backend)
    {
        var outcome = CallOutcomes.Classify(status).Label();
        if (Requests.Enabled)
        {
            var tags = new TagList { { "service", service ?? "" }, { "api", api ?? "" }, { "operation", operation ?? "" }, { "product", product ?? "" }, { "outcome", outcome } };
            Requests.Add(1, tags);
        }

        if (Duration.Enabled)
        {
            Duration.Record(duration.TotalSeconds, new TagList { { "service", service ?? "" }, { "api", api ?? "" }, { "outcome", outcome } });
        }

        if (backend is { } b && BackendDuration.Enabled)
        {
            BackendDuration.Record(b.TotalSeconds, new KeyValuePair<string, object?>("service", service ?? ""), new KeyValuePair<string, object?>("api", api ?? ""));
        }
    }

    /// <summary>Records a call refused by a policy, e.g. <c>rate-limit</c> or <c>quota</c>.</summary>
    public static void RecordRejection(string policy, Subscriptions.GatewayRequest request) =>
        Rejections.Add(1, new TagList
        {
            { "policy", policy }, { "service", request.State.Snapshot.ServiceName }, { "api", request.Api.Id }, { "product", request.Product?.Id ?? "" },
        });
}
