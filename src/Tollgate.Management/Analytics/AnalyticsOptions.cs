namespace Tollgate.Management.Analytics;

/// <summary><c>Tollgate:Analytics</c>: the request log and how long it is kept.</summary>
public sealed class AnalyticsOptions
{
    /// <summary>Whether the gateway records every call for the reports (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long raw request records (byRequest) are kept; default 7 days.</summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long the per-minute aggregates behind every other report are kept; default 400 days.</summary>
    public TimeSpan AggregateRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>How often retention runs; default hourly (and once at start).</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);
}
