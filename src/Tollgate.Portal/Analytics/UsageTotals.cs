using System.Globalization;
using System.Text.Json.Nodes;

namespace Tollgate.Portal.Analytics;

/// <summary>
/// The totals of report rows (byTime buckets, or bySubscription rows): calls by APIM's classes, bandwidth, and the
/// response time averaged over calls (each row's <c>apiTimeAvg</c> weighted by its calls).
/// </summary>
public sealed record UsageTotals(long Calls, long Success, long Blocked, long Failed, long Bandwidth, double AvgMs)
{
    public static UsageTotals Of(IEnumerable<JsonObject> rows)
    {
        long calls = 0, success = 0, blocked = 0, failed = 0, bandwidth = 0;
        double weightedMs = 0;
        foreach (var r in rows)
        {
            var n = ReportQuery.Count(r, "callCountTotal");
            calls += n;
            success += ReportQuery.Count(r, "callCountSuccess");
            blocked += ReportQuery.Count(r, "callCountBlocked");
            failed += ReportQuery.Count(r, "callCountFailed");
            bandwidth += ReportQuery.Count(r, "bandwidth");
            weightedMs += Number(r, "apiTimeAvg") * n;
        }

        return new UsageTotals(calls, success, blocked, failed, bandwidth, calls == 0 ? 0 : weightedMs / calls);
    }

    /// <summary>
    /// A byTime report's buckets over the whole range, one per <paramref name="interval"/> from the bucket holding
    /// <paramref name="from"/> to the one holding <paramref name="to"/> (buckets are aligned on the Unix epoch, as the
    /// management API makes them): the report leaves out buckets without calls, a chart needs them as zeros. A row the
    /// grid does not expect is kept, in time order.
    /// </summary>
    public static IReadOnlyList<(DateTimeOffset Start, JsonObject Row)> Buckets(IEnumerable<JsonObject> rows, DateTimeOffset from, DateTimeOffset to, TimeSpan interval)
    {
        var byStart = new SortedDictionary<DateTimeOffset, JsonObject>();
        foreach (var row in rows)
        {
            if (DateTimeOffset.TryParse((string?)row["timestamp"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            {
                byStart[t.ToUniversalTime()] = row;
            }
        }

        if (interval > TimeSpan.Zero && to >= from)
        {
            var step = interval.Ticks;
            var first = new DateTimeOffset(DateTimeOffset.UnixEpoch.Ticks + (from.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) / step * step, TimeSpan.Zero);
            for (var start = first; start <= to && byStart.Count < 10_000; start = start.AddTicks(step))
            {
                byStart.TryAdd(start, new JsonObject { ["timestamp"] = start.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) });
            }
        }

        return byStart.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    /// <summary>A number of a report row (0 when absent).</summary>
    public static double Number(JsonObject row, string field) => row[field] is JsonValue v && v.TryGetValue<double>(out var n) ? n : 0;

    /// <summary>The rows of a report answer (<c>value</c>).</summary>
    public static IEnumerable<JsonObject> Rows(JsonObject? body) => (body?["value"] as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>Bytes as B, KB, MB or GB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (bytes / 1024.0 / 1024).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1024.0 / 1024 / 1024).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
    };

    /// <summary>A renewal period in seconds as people say it (60 → "1 minute", 604800 → "7 days").</summary>
    public static string Period(long seconds) => seconds switch
    {
        <= 0 => "—",
        _ when seconds % 86400 == 0 => Plural(seconds / 86400, "day"),
        _ when seconds % 3600 == 0 => Plural(seconds / 3600, "hour"),
        _ when seconds % 60 == 0 => Plural(seconds / 60, "minute"),
        _ => Plural(seconds, "second"),
    };

    private static string Plural(long n, string unit) => n == 1 ? $"1 {unit}" : $"{n.ToString(CultureInfo.InvariantCulture)} {unit}s";
}
