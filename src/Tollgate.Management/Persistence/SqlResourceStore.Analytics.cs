using System.Data.Common;
using System.Globalization;
using Tollgate.Core.Analytics;
using Tollgate.Management.Analytics;

namespace Tollgate.Management.Persistence;

/// <summary>The request log and its reports, in the same database as the resources.</summary>
public abstract partial class SqlResourceStore
{
    private const string RecordColumns =
        "ts, request_id, api_id, operation_id, product_id, subscription_id, user_id, method, url, ip_address, response_code, backend_response_code, request_size, response_size, api_time, service_time, cache";

    // APIM's classification (apim-semantics.md §3.8): success = status ≤ 301, 304 or 307; blocked = 401, 403, 429;
    // failed = 400 or 500–600; other = the rest.
    private const string Aggregates = """
        SUM(CASE WHEN response_code <= 301 OR response_code IN (304, 307) THEN 1 ELSE 0 END),
        SUM(CASE WHEN response_code IN (401, 403, 429) THEN 1 ELSE 0 END),
        SUM(CASE WHEN response_code = 400 OR (response_code >= 500 AND response_code <= 600) THEN 1 ELSE 0 END),
        COUNT(*),
        SUM(request_size + response_size),
        SUM(CASE WHEN cache = 'hit' THEN 1 ELSE 0 END),
        SUM(CASE WHEN cache = 'miss' THEN 1 ELSE 0 END),
        AVG(api_time), MIN(api_time), MAX(api_time), AVG(service_time), MIN(service_time), MAX(service_time)
        """;

    public async Task InsertRequestRecordsAsync(IReadOnlyList<RequestRecord> records, CancellationToken cancellationToken = default)
    {
        if (records.Count == 0)
        {
            return;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await BeginWriteAsync(connection, cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            INSERT INTO request_records (service, ts_ms, {RecordColumns})
            VALUES (@service, @ts_ms, @ts, @request_id, @api_id, @operation_id, @product_id, @subscription_id, @user_id, @method, @url, @ip_address,
                    @response_code, @backend_response_code, @request_size, @response_size, @api_time, @service_time, @cache)
            """;
        string[] names = ["service", "ts_ms", "ts", "request_id", "api_id", "operation_id", "product_id", "subscription_id", "user_id", "method", "url", "ip_address",
            "response_code", "backend_response_code", "request_size", "response_size", "api_time", "service_time", "cache"];
        var parameters = names.Select(n =>
        {
            var p = cmd.CreateParameter();
            p.ParameterName = n;
            cmd.Parameters.Add(p);
            return p;
        }).ToArray();
        foreach (var r in records)
        {
            object?[] values =
            [
                r.ServiceName.ToLowerInvariant(), r.Timestamp.ToUnixTimeMilliseconds(), r.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), r.RequestId,
                r.ApiId, r.OperationId, r.ProductId, r.SubscriptionId, r.UserId, r.Method, r.Url, r.IpAddress,
                r.ResponseCode, r.BackendResponseCode, r.RequestSize, r.ResponseSize, r.ApiTime, r.ServiceTime, r.Cache ?? "none",
            ];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ReportRow>> QueryReportAsync(ReportQuery query, CancellationToken cancellationToken = default)
    {
        var interval = (long)(query.Interval ?? TimeSpan.FromMinutes(15)).TotalMilliseconds;
        var (groupColumns, notNull) = query.Dimension switch
        {
            ReportDimension.Api => ("api_id", "api_id"),
            ReportDimension.Operation => ("api_id, operation_id", "operation_id"),
            ReportDimension.Product => ("product_id", "product_id"),
            ReportDimension.Subscription => ("subscription_id, product_id, user_id", "subscription_id"),
            ReportDimension.User => ("user_id", "user_id"),
            _ => ($"(ts_ms / {interval}) * {interval}", null),
        };
        var (where, args) = Where(query.Service, query.From, query.To);
        if (notNull is not null)
        {
            where += $" AND {notNull} IS NOT NULL";
        }

        if (query.ApiId is not null)
        {
            where += " AND api_id = @api";
            args.Add(("api", query.ApiId));
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {groupColumns}, {Aggregates} FROM request_records WHERE {where} GROUP BY {groupColumns} ORDER BY {groupColumns}";
        AddParameters(cmd, args);
        var rows = new List<ReportRow>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var groups = groupColumns.Split(',').Length;
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
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
                ApiTimeAvg = Double(groups + 7),
                ApiTimeMin = Double(groups + 8),
                ApiTimeMax = Double(groups + 9),
                ServiceTimeAvg = Double(groups + 10),
                ServiceTimeMin = Double(groups + 11),
                ServiceTimeMax = Double(groups + 12),
            });
        }

        return rows;
    }

    public async Task<IReadOnlyList<RequestRecord>> QueryRequestsAsync(string service, DateTimeOffset? from, DateTimeOffset? to, int top, int skip, CancellationToken cancellationToken = default)
    {
        var (where, args) = Where(service, from, to);
        await using var connection = await OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {RecordColumns} FROM request_records WHERE {where} ORDER BY ts_ms, request_id LIMIT {top} OFFSET {skip}";
        AddParameters(cmd, args);
        var list = new List<RequestRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            list.Add(new RequestRecord
            {
                Timestamp = DateTimeOffset.Parse(reader.GetString(0), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                RequestId = reader.GetString(1),
                ServiceName = service,
                ApiId = Text(2),
                OperationId = Text(3),
                ProductId = Text(4),
                SubscriptionId = Text(5),
                UserId = Text(6),
                Method = reader.GetString(7),
                Url = reader.GetString(8),
                IpAddress = Text(9),
                ResponseCode = Convert.ToInt32(reader.GetValue(10), CultureInfo.InvariantCulture),
                BackendResponseCode = reader.IsDBNull(11) ? null : Convert.ToInt32(reader.GetValue(11), CultureInfo.InvariantCulture),
                RequestSize = Convert.ToInt64(reader.GetValue(12), CultureInfo.InvariantCulture),
                ResponseSize = Convert.ToInt64(reader.GetValue(13), CultureInfo.InvariantCulture),
                ApiTime = Convert.ToDouble(reader.GetValue(14), CultureInfo.InvariantCulture),
                ServiceTime = Convert.ToDouble(reader.GetValue(15), CultureInfo.InvariantCulture),
                Cache = reader.GetString(16),
            });
        }

        return list;
    }

    private static (string Where, List<(string Name, object? Value)> Args) Where(string service, DateTimeOffset? from, DateTimeOffset? to)
    {
        var where = "service = @service";
        var args = new List<(string, object?)> { ("service", service.ToLowerInvariant()) };
        if (from is { } f)
        {
            where += " AND ts_ms >= @from";
            args.Add(("from", f.ToUnixTimeMilliseconds()));
        }

        if (to is { } t)
        {
            where += " AND ts_ms <= @to";
            args.Add(("to", t.ToUnixTimeMilliseconds()));
        }

        return (where, args);
    }

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
}
