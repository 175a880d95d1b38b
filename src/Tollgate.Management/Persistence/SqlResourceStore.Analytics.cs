using System.Data.Common;
using System.Globalization;
using Tollgate.Core.Analytics;
using Tollgate.Management.Analytics;

namespace Tollgate.Management.Persistence;

/// <summary>
/// The request log and its reports, in the same database as the resources. A writer batch becomes a handful of
/// per-minute aggregate upserts (the reports read those: exact counts, sums, minima and maxima) and one row holding
/// the batch's raw records (byRequest reads those), so storing a call costs a few hundred nanoseconds, not a row insert.
/// </summary>
public abstract partial class SqlResourceStore
{
    private const string Dimensions = "api_id, operation_id, product_id, subscription_id, user_id";
    private const string Measures = "success, blocked, failed, total, bandwidth, cache_hit, cache_miss, api_time_sum, api_time_min, api_time_max, service_time_sum, service_time_min, service_time_max";

    public async Task InsertRequestRecordsAsync(IReadOnlyList<RequestRecord> records, CancellationToken cancellationToken = default)
    {
        if (records.Count == 0)
        {
            return;
        }

        var minutes = new Dictionary<MinuteKey, MinuteTotals>();
        foreach (var r in records)
        {
            var key = new MinuteKey(r.ServiceName.ToLowerInvariant(), r.Timestamp.ToUnixTimeMilliseconds() / 60_000 * 60_000,
                r.ApiId ?? "", r.OperationId ?? "", r.ProductId ?? "", r.SubscriptionId ?? "", r.UserId ?? "");
            if (!minutes.TryGetValue(key, out var totals))
            {
                totals = new MinuteTotals();
                minutes[key] = totals;
            }

            totals.Add(r);
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await BeginWriteAsync(connection, cancellationToken);
        await using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = tx;
            string[] columns = ["service", "minute_ms", "api_id", "operation_id", "product_id", "subscription_id", "user_id",
                "success", "blocked", "failed", "total", "bandwidth", "cache_hit", "cache_miss",
                "api_time_sum", "api_time_min", "api_time_max", "service_time_sum", "service_time_min", "service_time_max"];
            upsert.CommandText = $"""
                INSERT INTO request_minutes ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => "@" + c))})
                ON CONFLICT (service, minute_ms, {Dimensions}) DO UPDATE SET
                  success = request_minutes.success + excluded.success, blocked = request_minutes.blocked + excluded.blocked,
                  failed = request_minutes.failed + excluded.failed, total = request_minutes.total + excluded.total,
                  bandwidth = request_minutes.bandwidth + excluded.bandwidth, cache_hit = request_minutes.cache_hit + excluded.cache_hit,
                  cache_miss = request_minutes.cache_miss + excluded.cache_miss,
                  api_time_sum = request_minutes.api_time_sum + excluded.api_time_sum,
                  api_time_min = CASE WHEN excluded.api_time_min < request_minutes.api_time_min THEN excluded.api_time_min ELSE request_minutes.api_time_min END,
                  api_time_max = CASE WHEN excluded.api_time_max > request_minutes.api_time_max THEN excluded.api_time_max ELSE request_minutes.api_time_max END,
                  service_time_sum = request_minutes.service_time_sum + excluded.service_time_sum,
                  service_time_min = CASE WHEN excluded.service_time_min < request_minutes.service_time_min THEN excluded.service_time_min ELSE request_minutes.service_time_min END,
                  service_time_max = CASE WHEN excluded.service_time_max > request_minutes.service_time_max THEN excluded.service_time_max ELSE request_minutes.service_time_max END
                """;
            var p = columns.Select(c =>
            {
                var parameter = upsert.CreateParameter();
                parameter.ParameterName = c;
                upsert.Parameters.Add(parameter);
                return parameter;
            }).ToArray();
            foreach (var (key, t) in minutes)
            {
                object[] values =
                [
                    key.Service, key.MinuteMs, key.Api, key.Operation, key.Product, key.Subscription, key.User,
                    t.Success, t.Blocked, t.Failed, t.Total, t.Bandwidth, t.CacheHit, t.CacheMiss,
                    t.ApiTimeSum, t.ApiTimeMin, t.ApiTimeMax, t.ServiceTimeSum, t.ServiceTimeMin, t.ServiceTimeMax,
                ];
                for (var i = 0; i < values.Length; i++)
                {
                    p[i].Value = values[i];
                }

                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        // Raw records in blocks of consecutive records of one instance (gateways of one instance: usually one block
        // per RequestRecordCodec.BlockSize records).
        for (var start = 0; start < records.Count;)
        {
            var service = records[start].ServiceName;
            var end = start + 1;
            while (end < records.Count && end - start < RequestRecordCodec.BlockSize && string.Equals(records[end].ServiceName, service, StringComparison.OrdinalIgnoreCase))
            {
                end++;
            }

            long first = long.MaxValue, last = long.MinValue;
            for (var i = start; i < end; i++)
            {
                var ms = records[i].Timestamp.ToUnixTimeMilliseconds();
                first = Math.Min(first, ms);
                last = Math.Max(last, ms);
            }

            await ExecuteAsync(connection, tx, "INSERT INTO request_batches (service, first_ms, last_ms, records, payload) VALUES (@s, @f, @l, @n, @p)", cancellationToken,
                ("s", service.ToLowerInvariant()), ("f", first), ("l", last), ("n", end - start), ("p", RequestRecordCodec.Encode(records, start, end - start)));
            start = end;
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ReportRow>> QueryReportAsync(ReportQuery query, CancellationToken cancellationToken = default)
    {
        var interval = (long)(query.Interval ?? TimeSpan.FromMinutes(15)).TotalMilliseconds;
        var (groupColumns, notEmpty) = query.Dimension switch
        {
            ReportDimension.Api => ("api_id", "api_id"),
            ReportDimension.Operation => ("api_id, operation_id", "operation_id"),
            ReportDimension.Product => ("product_id", "product_id"),
            ReportDimension.Subscription => ("subscription_id, product_id, user_id", "subscription_id"),
            ReportDimension.User => ("user_id", "user_id"),
            _ => ($"(minute_ms / {interval}) * {interval}", null),
        };
        var where = "service = @service";
        var args = new List<(string, object?)> { ("service", query.Service.ToLowerInvariant()) };
        if (query.From is { } from)
        {
            // Aggregates are per minute: a range starting inside a minute includes that whole minute.
            where += " AND minute_ms >= @from";
            args.Add(("from", from.ToUnixTimeMilliseconds() / 60_000 * 60_000));
        }

        if (query.To is { } to)
        {
            where += " AND minute_ms <= @to";
            args.Add(("to", to.ToUnixTimeMilliseconds()));
        }

        if (notEmpty is not null)
        {
            where += $" AND {notEmpty} <> ''";
        }

        foreach (var (column, value) in query.Filter?.Columns() ?? [])
        {
            where += $" AND {column} = @f_{column}";
            args.Add(("f_" + column, value));
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            SELECT {groupColumns}, SUM(success), SUM(blocked), SUM(failed), SUM(total), SUM(bandwidth), SUM(cache_hit), SUM(cache_miss),
                   SUM(api_time_sum), MIN(api_time_min), MAX(api_time_max), SUM(service_time_sum), MIN(service_time_min), MAX(service_time_max)
            FROM request_minutes WHERE {where} GROUP BY {groupColumns} ORDER BY {groupColumns}
            """;
        AddParameters(cmd, args);
        var rows = new List<ReportRow>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var groups = groupColumns.Split(',').Length;
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) || reader.GetString(i) is not { Length: > 0 } s ? null : s;
            long Long(int i) => reader.IsDBNull(i) ? 0 : Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);
            double Double(int i) => reader.IsDBNull(i) ? 0 : Convert.ToDouble(reader.GetValue(i), CultureInfo.InvariantCulture);
            var success = Long(groups);
            var blocked = Long(groups + 1);
            var failed = Long(groups + 2);
            var total = Long(groups + 3);
            rows.Add(new ReportRow
            {
                ApiId = query.Dimension is ReportDimension.Api or ReportDimension.Operation ? Text(0) : null,
                OperationId = query.Dimension == ReportDimension.Operation ? Text(1) : null,
                ProductId = query.Dimension == ReportDimension.Product ? Text(0) : query.Dimension == ReportDimension.Subscription ? Text(1) : null,
                SubscriptionId = query.Dimension == ReportDimension.Subscription ? Text(0) : null,
                UserId = query.Dimension == ReportDimension.User ? Text(0) : query.Dimension == ReportDimension.Subscription ? Text(2) : null,
                Timestamp = query.Dimension == ReportDimension.Time ? DateTimeOffset.FromUnixTimeMilliseconds(Long(0)) : null,
                CallCountSuccess = success,
                CallCountBlocked = blocked,
                CallCountFailed = failed,
                CallCountTotal = total,
                CallCountOther = total - success - blocked - failed,
                Bandwidth = Long(groups + 4),
                CacheHitCount = Long(groups + 5),
                CacheMissCount = Long(groups + 6),
                ApiTimeAvg = total == 0 ? 0 : Double(groups + 7) / total,
                ApiTimeMin = Double(groups + 8),
                ApiTimeMax = Double(groups + 9),
                ServiceTimeAvg = total == 0 ? 0 : Double(groups + 10) / total,
                ServiceTimeMin = Double(groups + 11),
                ServiceTimeMax = Double(groups + 12),
            });
        }

        return rows;
    }

    public async Task<IReadOnlyList<RequestRecord>> QueryRequestsAsync(string service, DateTimeOffset? from, DateTimeOffset? to, ReportFilter? filter, int top, int skip,
        CancellationToken cancellationToken = default)
    {
        var fromMs = from?.ToUnixTimeMilliseconds() ?? long.MinValue;
        var toMs = to?.ToUnixTimeMilliseconds() ?? long.MaxValue;
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT payload FROM request_batches WHERE service = @service AND last_ms >= @from AND first_ms <= @to ORDER BY first_ms";
        AddParameters(cmd, [("service", service.ToLowerInvariant()), ("from", fromMs), ("to", toMs)]);
        var list = new List<RequestRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            foreach (var r in RequestRecordCodec.Decode((byte[])reader.GetValue(0), service))
            {
                var ms = r.Timestamp.ToUnixTimeMilliseconds();
                if (ms >= fromMs && ms <= toMs && (filter is null || filter.Matches(r)))
                {
                    list.Add(r);
                }
            }
        }

        return list.OrderBy(r => r.Timestamp).ThenBy(r => r.RequestId, StringComparer.Ordinal).Skip(skip).Take(top).ToList();
    }

    public async Task<bool> TryMarkBatchReceivedAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO received_batches (id, received_ms) VALUES (@id, @now) ON CONFLICT (id) DO NOTHING";
        AddParameters(cmd, [("id", id), ("now", now.ToUnixTimeMilliseconds())]);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task ForgetBatchReceivedAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM received_batches WHERE id = @id";
        AddParameters(cmd, [("id", id)]);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> DeleteRequestRecordsBeforeAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken = default)
    {
        // A bounded delete per transaction: the writer (the only other writer of these tables) waits for one short
        // transaction at most; the gateways never wait, they only hand records to the channel.
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await BeginWriteAsync(connection, cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"DELETE FROM request_batches WHERE {RowIdColumn} IN (SELECT {RowIdColumn} FROM request_batches WHERE last_ms < @cutoff LIMIT @limit)";
        AddParameters(cmd, [("cutoff", cutoff.ToUnixTimeMilliseconds()), ("limit", limit)]);
        var deleted = await cmd.ExecuteNonQueryAsync(cancellationToken);
        await using (var batches = connection.CreateCommand())
        {
            batches.Transaction = tx;
            batches.CommandText = "DELETE FROM received_batches WHERE received_ms < @cutoff";
            AddParameters(batches, [("cutoff", cutoff.ToUnixTimeMilliseconds())]);
            await batches.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task<int> DeleteAggregatesBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var oldest = await ScalarAsync(connection, null, "SELECT MIN(minute_ms) FROM request_minutes", cancellationToken);
        var cutoffMs = cutoff.ToUnixTimeMilliseconds();
        if (oldest is null or DBNull || Convert.ToInt64(oldest, CultureInfo.InvariantCulture) >= cutoffMs)
        {
            return 0;
        }

        var upTo = Math.Min(cutoffMs, Convert.ToInt64(oldest, CultureInfo.InvariantCulture) + 3_600_000);
        await using var tx = await BeginWriteAsync(connection, cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "DELETE FROM request_minutes WHERE minute_ms < @upTo";
        AddParameters(cmd, [("upTo", upTo)]);
        var deleted = await cmd.ExecuteNonQueryAsync(cancellationToken);
        await using (var batches = connection.CreateCommand())
        {
            batches.Transaction = tx;
            batches.CommandText = "DELETE FROM received_batches WHERE received_ms < @cutoff";
            AddParameters(batches, [("cutoff", cutoff.ToUnixTimeMilliseconds())]);
            await batches.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    /// <summary>The engine's implicit row id (SQLite <c>rowid</c>, PostgreSQL <c>ctid</c>), for bounded deletes.</summary>
    protected abstract string RowIdColumn { get; }

    private static void AddParameters(DbCommand cmd, IEnumerable<(string Name, object? Value)> args)
    {
        foreach (var (name, value) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
    }

    private readonly record struct MinuteKey(string Service, long MinuteMs, string Api, string Operation, string Product, string Subscription, string User);

    /// <summary>APIM's classification (docs/apim-compatibility.md §3.8): success = status ≤ 301, 304 or 307; blocked = 401, 403, 429; failed = 400 or 500–600.</summary>
    private sealed class MinuteTotals
    {
        public long Success { get; private set; }

        public long Blocked { get; private set; }

        public long Failed { get; private set; }

        public long Total { get; private set; }

        public long Bandwidth { get; private set; }

        public long CacheHit { get; private set; }

        public long CacheMiss { get; private set; }

        public double ApiTimeSum { get; private set; }

        public double ApiTimeMin { get; private set; } = double.MaxValue;

        public double ApiTimeMax { get; private set; }

        public double ServiceTimeSum { get; private set; }

        public double ServiceTimeMin { get; private set; } = double.MaxValue;

        public double ServiceTimeMax { get; private set; }

        public void Add(in RequestRecord r)
        {
            switch (CallOutcomes.Classify(r.ResponseCode))
            {
                case CallOutcome.Success:
                    Success++;
                    break;
                case CallOutcome.Blocked:
                    Blocked++;
                    break;
                case CallOutcome.Failed:
                    Failed++;
                    break;
            }

            Total++;
            Bandwidth += r.RequestSize + r.ResponseSize;
            CacheHit += r.Cache == "hit" ? 1 : 0;
            CacheMiss += r.Cache == "miss" ? 1 : 0;
            ApiTimeSum += r.ApiTime;
            ApiTimeMin = Math.Min(ApiTimeMin, r.ApiTime);
            ApiTimeMax = Math.Max(ApiTimeMax, r.ApiTime);
            ServiceTimeSum += r.ServiceTime;
            ServiceTimeMin = Math.Min(ServiceTimeMin, r.ServiceTime);
            ServiceTimeMax = Math.Max(ServiceTimeMax, r.ServiceTime);
        }
    }
}
