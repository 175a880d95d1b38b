namespace Tollgate.Core.Analytics;

/// <summary>
/// One call through the gateway, rejected ones included (APIM's request report record, docs/apim-compatibility.md §3.8).
/// A struct, so queuing it in the bounded channel does not allocate per request.
/// </summary>
public readonly record struct RequestRecord
{
    public required DateTimeOffset Timestamp { get; init; }

    public required string RequestId { get; init; }

    public required string ServiceName { get; init; }

    public string? ApiId { get; init; }

    public string? OperationId { get; init; }

    public string? ProductId { get; init; }

    public string? SubscriptionId { get; init; }

    public string? UserId { get; init; }

    public required string Method { get; init; }

    /// <summary>Path and query as received, with the subscription-key query parameter removed.</summary>
    public required string Url { get; init; }

    public string? IpAddress { get; init; }

    public required int ResponseCode { get; init; }

    /// <summary>The backend's status, or null when the call never reached the backend.</summary>
    public int? BackendResponseCode { get; init; }

    public long RequestSize { get; init; }

    public long ResponseSize { get; init; }

    /// <summary>Total time in the gateway, milliseconds.</summary>
    public double ApiTime { get; init; }

    /// <summary>Time waiting for the backend, milliseconds (0 when not forwarded).</summary>
    public double ServiceTime { get; init; }

    /// <summary><c>none</c>, <c>hit</c> or <c>miss</c>.</summary>
    public string Cache { get; init; }

    /// <summary>
    /// Which of the subscription's keys let the call in (<see cref="Gateway.SubscriptionKeySlots"/>: primary,
    /// secondary, previousPrimary, previousSecondary); null without a key. Never the key.
    /// </summary>
    public string? KeySlot { get; init; }
}
