using System.Data.Common;
using System.Globalization;
using Tollgate.Core.Analytics;
using Tollgate.Management.Analytics;

namespace Tollgate.Management.Persistence;

/// <summary>The request log and its reports, in the same database as the resources.</summary>
public abstract partial class SqlResourceStore
{
    private const string RecordColumns =
        "request_id, api_id, operation_id, product_id, subscription_id, user_id, method, url, ip_address, response_code, backend_response_code, request_size, response_size, api_time, service_time, cache";

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

        // One prepared single-row statement, re-bound per row: Microsoft.Data.Sqlite keeps it compiled between
        // executions, and (measured) it beats multi-row VALUES lists, whose parameters are looked up by name.
        await using var insert = InsertCommand(connection, tx, 1);
        for (var i = 0; i < records.Count; i++)
        {
            Bind(insert, records, i, 1);
            await insert.Command.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    private const int RecordFields = 18;

    private sealed class InsertBlock(DbCommand command, DbParameter[] parameters) : IAsyncDisposable
    {
        public DbCommand Command { get; } = command;

        public DbParameter[] Parameters { get; } = parameters;

        public ValueTask DisposeAsync() => Command.DisposeAsync();
    }

    private static InsertBlock InsertCommand(DbConnection connection, DbTransaction tx, int rows)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        var parameters = new DbParameter[rows * RecordFields];
        var sql = new System.Text.StringBuilder($"INSERT INTO request_records (service, ts_ms, {RecordColumns}) VALUES ");
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ",(");
            for (var f = 0; f < RecordFields; f++)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = $"p{r}_{f}";
                cmd.Parameters.Add(p);
                parameters[(r * RecordFields) + f] = p;
                sql.Append(f == 0 ? "" : ",").Append("@p").Append(r).Append('_').Append(f);
            }

            sql.Append(')');
        }

        cmd.CommandText = sql.ToString();
        return new InsertBlock(cmd, parameters);
    }

    private static void Bind(InsertBlock block, IReadOnlyList<RequestRecord> records, int offset, int rows)
    {
        for (var r = 0; r < rows; r++)
        {
            var rec = records[offset + r];
            var p = block.Parameters.AsSpan(r * RecordFields, RecordFields);
            p[0].Value = rec.ServiceName.ToLowerInvariant();
            p[1].Value = rec.Timestamp.ToUnixTimeMilliseconds();
            p[2].Value = rec.RequestId;
            p[3].Value = (object?)rec.ApiId ?? DBNull.Value;
            p[4].Value = (object?)rec.OperationId ?? DBNull.Value;
            p[5].Value = (object?)rec.ProductId ?? DBNull.Value;
            p[6].Value = (object?)rec.SubscriptionId ?? DBNull.Value;
            p[7].Value = (object?)rec.UserId ?? DBNull.Value;
            p[8].Value = rec.Method;
            p[9].Value = rec.Url;
            p[10].Value = (object?)rec.IpAddress ?? DBNull.Value;
            p[11].Value = rec.ResponseCode;
            p[12].Value = (object?)rec.BackendResponseCode ?? DBNull.Value;
            p[13].Value = rec.RequestSize;
            p[14].Value = rec.ResponseSize;
            p[15].Value = rec.ApiTime;
            p[16].Value = rec.ServiceTime;
            p[17].Value = rec.Cache ?? "none";
        }
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
        cmd.CommandText = $"SELECT ts_ms, {RecordColumns} FROM request_records WHERE {where} ORDER BY ts_ms, request_id LIMIT {top} OFFSET {skip}";
        AddParameters(cmd, args);
        var list = new List<RequestRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            list.Add(new RequestRecord
            {
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture)),
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
