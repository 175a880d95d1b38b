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
public sealed record ReportQuery(string Service, ReportDimension Dimension, DateTimeOffset? From, DateTimeOffset? To, TimeSpan? Interval = null, ReportFilter? Filter = null);

/// <summary>APIM's equality filters on reports (<c>apiId eq '…'</c>, …): ids without their collection prefix; null matches all.</summary>
public sealed record ReportFilter(string? ApiId = null, string? OperationId = null, string? ProductId = null, string? SubscriptionId = null, string? UserId = null)
{
    /// <summary>The filter's columns in the request log and their values.</summary>
    public IEnumerable<(string Column, string Value)> Columns()
    {
        if (ApiId is not null)
        {
            yield return ("api_id", ApiId);
        }

        if (OperationId is not null)
        {
            yield return ("operation_id", OperationId);
        }

        if (ProductId is not null)
        {
            yield return ("product_id", ProductId);
        }

        if (SubscriptionId is not null)
        {
            yield return ("subscription_id", SubscriptionId);
        }

        if (UserId is not null)
        {
            yield return ("user_id", UserId);
        }
    }

    public bool Matches(in RequestRecord r) =>
        Is(ApiId, r.ApiId) && Is(OperationId, r.OperationId) && Is(ProductId, r.ProductId) && Is(SubscriptionId, r.SubscriptionId) && Is(UserId, r.UserId);

    private static bool Is(string? wanted, string? actual) => wanted is null || string.Equals(wanted, actual, StringComparison.OrdinalIgnoreCase);
}

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

    /// <summary>The raw records in the range that match the filter, newest last (APIM's <c>byRequest</c>).</summary>
    Task<IReadOnlyList<RequestRecord>> QueryRequestsAsync(string service, DateTimeOffset? from, DateTimeOffset? to, ReportFilter? filter, int top, int skip,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that the batch of request records with this id (<see cref="Core.Analytics.RecordBatch.IdOf"/>) was
    /// taken; false when it was already (a remote gateway sent it again): its records are then not queued twice.
    /// </summary>
    Task<bool> TryMarkBatchReceivedAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Undoes <see cref="TryMarkBatchReceivedAsync"/> for a batch whose records could not all be queued (the gateway sends it again).</summary>
    Task ForgetBatchReceivedAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes at most <paramref name="limit"/> blocks of raw records whose newest record is older than
    /// <paramref name="cutoff"/>, in one short transaction (with the ids of batches received before it); returns how
    /// many blocks went (0: nothing left to delete).
    /// </summary>
    Task<int> DeleteRequestRecordsBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken = default);

    /// <summary>Deletes per-minute aggregates of minutes before <paramref name="cutoff"/>, an hour of them at a time; returns the rows deleted (0: done).</summary>
    Task<int> DeleteAggregatesBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}
