using Tollgate.Core.Analytics;

namespace Tollgate.Management.Analytics;

/// <summary>What a report groups by (APIM's <c>reports/by…</c>).</summary>
public enum ReportDimension
{
    Api,
    Operation,
    Product,
    Subscription,
    User,
    Time,
}

/// <summary>A report query: instance, dimension, time range (inclusive) and, for <see cref="ReportDimension.Time"/>, the bucket size.</summary>
public sealed record ReportQuery(string Service, ReportDimension Dimension, DateTimeOffset? From, DateTimeOffset? To, TimeSpan? Interval = null, string? ApiId = null);

/// <summary>One aggregated report row (APIM's ReportRecordContract).</summary>
public sealed record ReportRow
{
    public string? ApiId { get; init; }

    public string? OperationId { get; init; }

    public string? ProductId { get; init; }

    public string? SubscriptionId { get; init; }

    public string? UserId { get; init; }

    public DateTimeOffset? Timestamp { get; init; }

    public long CallCountSuccess { get; init; }

    public long CallCountBlocked { get; init; }

    public long CallCountFailed { get; init; }

    public long CallCountOther { get; init; }

    public long CallCountTotal { get; init; }

    public long Bandwidth { get; init; }

    public long CacheHitCount { get; init; }

    public long CacheMissCount { get; init; }

    public double ApiTimeAvg { get; init; }

    public double ApiTimeMin { get; init; }

    public double ApiTimeMax { get; init; }

    public double ServiceTimeAvg { get; init; }

    public double ServiceTimeMin { get; init; }

    public double ServiceTimeMax { get; init; }
}

/// <summary>Storage of the request log and the reports over it; the same SQLite/PostgreSQL database as the resources.</summary>
public interface IAnalyticsStore
{
    Task InsertRequestRecordsAsync(IReadOnlyList<RequestRecord> records, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ReportRow>> QueryReportAsync(ReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>The raw records in the range, newest last (APIM's <c>byRequest</c>).</summary>
    Task<IReadOnlyList<RequestRecord>> QueryRequestsAsync(string service, DateTimeOffset? from, DateTimeOffset? to, int top, int skip, CancellationToken cancellationToken = default);
}
