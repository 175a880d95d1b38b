using System.Globalization;

namespace Tollgate.Portal.Analytics;

/// <summary>
/// One of APIM's seven reports over a time range with optional filters, as the management API takes it
/// (<c>reports/{report}?$filter=timestamp ge datetime'…' and timestamp le datetime'…' and apiId eq '…'</c>).
/// </summary>
public sealed record ReportQuery(string Report, DateTimeOffset From, DateTimeOffset To, IReadOnlyDictionary<string, string> Filters, string? Interval = null)
{
    /// <summary>The reports and their labels, in APIM's order.</summary>
    public static readonly IReadOnlyList<(string Report, string Label)> Reports =
    [
        ("byApi", "By API"), ("byOperation", "By operation"), ("byProduct", "By product"), ("bySubscription", "By subscription"),
        ("byUser", "By user"), ("byTime", "Over time"), ("byRequest", "Requests"),
    ];

    /// <summary>The dimensions a report can be filtered by (the management API's <c>$filter</c> fields).</summary>
    public static readonly IReadOnlyList<(string Field, string Label)> FilterFields =
    [
        ("apiId", "API"), ("operationId", "Operation"), ("productId", "Product"), ("subscriptionId", "Subscription"), ("userId", "User"),
    ];

    /// <summary>The dashboard's ranges: label, length and the byTime bucket that gives a readable number of bars.</summary>
    public static readonly IReadOnlyList<(string Key, string Label, TimeSpan Length, string Interval)> Ranges =
    [
        ("hour", "Last hour", TimeSpan.FromHours(1), "PT15M"),
        ("day", "Last day", TimeSpan.FromDays(1), "PT1H"),
        ("week", "Last 7 days", TimeSpan.FromDays(7), "PT6H"),
        ("month", "Last 30 days", TimeSpan.FromDays(30), "P1D"),
    ];

    public static bool IsReport(string? report) => Reports.Any(r => r.Report == report);

    /// <summary>
    /// The query as the analytics page and its CSV download read it from their address: an unknown report is byApi,
    /// the range defaults to the day before <paramref name="now"/>, byTime's interval to an hour.
    /// </summary>
    public static ReportQuery FromAddress(string? report, string? from, string? to, string? interval, Func<string, string?> filter, DateTimeOffset now)
    {
        var end = ParseTime(to) ?? now;
        var start = ParseTime(from) ?? end.AddDays(-1);
        var filters = FilterFields.ToDictionary(f => f.Field, f => filter(f.Field) ?? "");
        return new ReportQuery(IsReport(report) ? report! : "byApi", start, end, filters, interval ?? "PT1H");
    }

    /// <summary>A <c>datetime-local</c> value (or any invariant date and time), taken as UTC; null when it is not one.</summary>
    public static DateTimeOffset? ParseTime(string? text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>A count of a report row (0 when absent).</summary>
    public static long Count(System.Text.Json.Nodes.JsonObject row, string field) =>
        row[field] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    /// <summary>
    /// A time as a <c>datetime-local</c> value (minutes). The end of a range is rounded up, so a range that ends
    /// "now" still holds the calls of the current minute.
    /// </summary>
    public static string ToLocalInput(DateTimeOffset time, bool roundUp = false)
    {
        var utc = time.UtcDateTime;
        var minute = new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, DateTimeKind.Utc);
        if (roundUp && minute < utc)
        {
            minute = minute.AddMinutes(1);
        }

        return minute.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
    }

    /// <summary>The management API's relative path and query for this report (without api-version).</summary>
    public string Path(bool csv = false)
    {
        var clauses = new List<string>
        {
            $"timestamp ge datetime'{From.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)}'",
            $"timestamp le datetime'{To.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)}'",
        };
        foreach (var (field, value) in Filters.Where(f => !string.IsNullOrWhiteSpace(f.Value)).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            clauses.Add($"{field} eq '{value.Trim().Replace("'", "''", StringComparison.Ordinal)}'");
        }

        var query = "?$filter=" + Uri.EscapeDataString(string.Join(" and ", clauses));
        if (Report == "byTime")
        {
            query += "&interval=" + Uri.EscapeDataString(Interval ?? "PT1H");
        }

        return $"/reports/{Report}{query}" + (csv ? "&format=csv" : "");
    }
}
