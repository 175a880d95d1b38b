using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using Tollgate.Core.Resources;
using Tollgate.Management.Api;
using Tollgate.Management.Services;

namespace Tollgate.Management.Analytics;

/// <summary>
/// <c>reports/byApi|byOperation|byProduct|bySubscription|byUser|byTime|byRequest</c> with APIM's
/// <c>$filter=timestamp ge datetime'…' and timestamp le datetime'…'</c> (optionally <c>and apiId|operationId|productId|
/// subscriptionId|userId eq '…'</c>, ids with or without their collection prefix) and, for byTime, <c>interval</c>
/// (ISO 8601 duration, a multiple of 15 minutes). <see cref="ToCsv"/> turns any of them into CSV.
/// </summary>
public static partial class ReportsEndpoint
{
    public static async Task<JsonObject> QueryAsync(IAnalyticsStore store, ServiceScope scope, string report, string? filter, string? interval, int? top, int? skip, CancellationToken ct)
    {
        var (from, to, equals) = ParseFilter(filter);
        if (report.Equals("byRequest", StringComparison.OrdinalIgnoreCase))
        {
            var records = await store.QueryRequestsAsync(scope.Name, from, to, equals, top ?? 100, skip ?? 0, ct);
            var array = new JsonArray();
            foreach (var r in records)
            {
                array.Add(new JsonObject
                {
                    ["apiId"] = Id("apis", r.ApiId), ["operationId"] = r.ApiId is null || r.OperationId is null ? null : $"/apis/{r.ApiId}/operations/{r.OperationId}",
                    ["productId"] = Id("products", r.ProductId), ["userId"] = Id("users", r.UserId), ["subscriptionId"] = Id("subscriptions", r.SubscriptionId),
                    ["method"] = r.Method, ["url"] = r.Url, ["ipAddress"] = r.IpAddress, ["backendResponseCode"] = r.BackendResponseCode?.ToString(CultureInfo.InvariantCulture),
                    ["responseCode"] = r.ResponseCode, ["responseSize"] = r.ResponseSize, ["requestSize"] = r.RequestSize, ["cache"] = r.Cache,
                    ["apiTime"] = r.ApiTime, ["serviceTime"] = r.ServiceTime, ["requestId"] = r.RequestId,
                    ["timestamp"] = r.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                });
            }

            return new JsonObject { ["value"] = array, ["count"] = array.Count, ["nextLink"] = null };
        }

        var dimension = report.ToLowerInvariant() switch
        {
            "byapi" => ReportDimension.Api,
            "byoperation" => ReportDimension.Operation,
            "byproduct" => ReportDimension.Product,
            "bysubscription" => ReportDimension.Subscription,
            "byuser" => ReportDimension.User,
            "bytime" => ReportDimension.Time,
            _ => throw new ArmException(404, "ResourceNotFound", $"Unknown report '{report}'; use byApi, byOperation, byProduct, bySubscription, byUser, byTime or byRequest."),
        };
        TimeSpan? bucket = null;
        if (dimension == ReportDimension.Time)
        {
            bucket = ParseInterval(interval);
        }

        var rows = await store.QueryReportAsync(new ReportQuery(scope.Name, dimension, from, to, bucket, equals), ct);
        var value = new JsonArray();
        foreach (var row in rows.Skip(skip ?? 0).Take(top ?? 1000))
        {
            var name = dimension switch
            {
                ReportDimension.Api => row.ApiId,
                ReportDimension.Operation => row.OperationId,
                ReportDimension.Product => row.ProductId,
                ReportDimension.Subscription => row.SubscriptionId,
                ReportDimension.User => row.UserId,
                _ => null,
            };
            var json = new JsonObject
            {
                ["name"] = name,
                ["apiId"] = Id("apis", row.ApiId),
                ["operationId"] = row.ApiId is null || row.OperationId is null ? null : $"/apis/{row.ApiId}/operations/{row.OperationId}",
                ["productId"] = Id("products", row.ProductId),
                ["subscriptionId"] = Id("subscriptions", row.SubscriptionId),
                ["userId"] = Id("users", row.UserId),
                ["callCountSuccess"] = row.CallCountSuccess,
                ["callCountBlocked"] = row.CallCountBlocked,
                ["callCountFailed"] = row.CallCountFailed,
                ["callCountOther"] = row.CallCountOther,
                ["callCountTotal"] = row.CallCountTotal,
                ["bandwidth"] = row.Bandwidth,
                ["cacheHitCount"] = row.CacheHitCount,
                ["cacheMissCount"] = row.CacheMissCount,
                ["apiTimeAvg"] = row.ApiTimeAvg,
                ["apiTimeMin"] = row.ApiTimeMin,
                ["apiTimeMax"] = row.ApiTimeMax,
                ["serviceTimeAvg"] = row.ServiceTimeAvg,
                ["serviceTimeMin"] = row.ServiceTimeMin,
                ["serviceTimeMax"] = row.ServiceTimeMax,
            };
            if (row.Timestamp is { } ts)
            {
                json["timestamp"] = ts.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                json["interval"] = XmlConvert.ToString(bucket!.Value);
            }

            value.Add(json);
        }

        return new JsonObject { ["value"] = value, ["count"] = value.Count, ["nextLink"] = null };
    }

    private static string? Id(string collection, string? id) => id is null ? null : $"/{collection}/{id}";

    private static TimeSpan ParseInterval(string? interval)
    {
        if (string.IsNullOrEmpty(interval))
        {
            throw ArmException.Validation("interval", "'interval' is required for byTime: an ISO 8601 duration that is a multiple of 15 minutes, e.g. PT15M or PT1H.");
        }

        TimeSpan value;
        try
        {
            value = XmlConvert.ToTimeSpan(interval);
        }
        catch (FormatException)
        {
            throw ArmException.Validation("interval", $"'{interval}' is not an ISO 8601 duration such as PT15M.");
        }

        if (value <= TimeSpan.Zero || value.Ticks % TimeSpan.FromMinutes(15).Ticks != 0)
        {
            throw ArmException.Validation("interval", $"'{interval}' must be a positive multiple of 15 minutes.");
        }

        return value;
    }

    private static (DateTimeOffset? From, DateTimeOffset? To, ReportFilter? Match) ParseFilter(string? filter)
    {
        DateTimeOffset? from = null, to = null;
        ReportFilter? equals = null;
        if (string.IsNullOrWhiteSpace(filter))
        {
            return (from, to, equals);
        }

        foreach (var clause in AndSplit().Split(filter.Trim()))
        {
            var time = TimestampClause().Match(clause);
            if (time.Success)
            {
                if (!DateTimeOffset.TryParse(time.Groups[2].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
                {
                    throw ArmException.Validation("$filter", $"'{time.Groups[2].Value}' is not a date and time.");
                }

                switch (time.Groups[1].Value.ToLowerInvariant())
                {
                    case "ge": from = at; break;
                    case "gt": from = at.AddMilliseconds(1); break;
                    case "le": to = at; break;
                    default: to = at.AddMilliseconds(-1); break;
                }

                continue;
            }

            var eq = EqualsClause().Match(clause);
            if (eq.Success)
            {
                // "/apis/echo", "echo" and, for operations, "/apis/echo/operations/get" all name the same thing.
                var value = eq.Groups[2].Value.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
                    ?? throw ArmException.Validation("$filter", $"'{clause}' names no id.");
                equals ??= new ReportFilter();
                equals = eq.Groups[1].Value.ToLowerInvariant() switch
                {
                    "apiid" => equals with { ApiId = value },
                    "operationid" => equals with { OperationId = value },
                    "productid" => equals with { ProductId = value },
                    "subscriptionid" => equals with { SubscriptionId = value },
                    _ => equals with { UserId = value },
                };
                continue;
            }

            throw ArmException.Validation("$filter", $"Unsupported $filter clause '{clause}'. Use timestamp ge|gt|le|lt datetime'…' and apiId|operationId|productId|subscriptionId|userId eq '…'.");
        }

        return (from, to, equals);
    }

    [GeneratedRegex(@"\s+and\s+", RegexOptions.IgnoreCase)]
    private static partial Regex AndSplit();

    [GeneratedRegex(@"^timestamp\s+(ge|gt|le|lt)\s+datetime'([^']+)'$", RegexOptions.IgnoreCase)]
    private static partial Regex TimestampClause();

    [GeneratedRegex(@"^(apiId|operationId|productId|subscriptionId|userId)\s+eq\s+'([^']+)'$", RegexOptions.IgnoreCase)]
    private static partial Regex EqualsClause();

    /// <summary>
    /// A report's rows as CSV (RFC 4180, header row, invariant culture), the columns in the order of the JSON rows
    /// (the union over rows, so a column missing from the first row is still there).
    /// </summary>
    public static string ToCsv(JsonObject report)
    {
        var rows = report["value"]?.AsArray().Select(r => r!.AsObject()).ToList() ?? [];
        using var table = new System.Data.DataTable("report") { Locale = CultureInfo.InvariantCulture };
        foreach (var name in rows.SelectMany(r => r.Select(p => p.Key)).Distinct(StringComparer.Ordinal))
        {
            table.Columns.Add(name, typeof(string));
        }

        foreach (var row in rows)
        {
            var values = new object[table.Columns.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = row[table.Columns[i].ColumnName] switch
                {
                    null => DBNull.Value,
                    JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("R", CultureInfo.InvariantCulture),
                    JsonValue v when v.TryGetValue<long>(out var l) => l.ToString(CultureInfo.InvariantCulture),
                    JsonValue v when v.TryGetValue<int>(out var n) => n.ToString(CultureInfo.InvariantCulture),
                    var node => node.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString(),
                };
            }

            table.Rows.Add(values);
        }

        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = Sylvan.Data.Csv.CsvDataWriter.Create(text))
        {
            using var reader = table.CreateDataReader();
            csv.Write(reader);
        }

        return text.ToString();
    }
}
