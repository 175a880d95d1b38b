namespace Tollgate.Core.Analytics;

/// <summary>APIM's classification of a call by its response status (docs/apim-compatibility.md §3.8), shared by reports and metrics.</summary>
public enum CallOutcome
{
    /// <summary>Status ≤ 301, 304 or 307.</summary>
    Success,

    /// <summary>401, 403 or 429: refused by the gateway's access rules, rate limits or quotas.</summary>
    Blocked,

    /// <summary>400 or 500–600.</summary>
    Failed,

    /// <summary>Everything else (404, 405, 302, …).</summary>
    Other,
}

public static class CallOutcomes
{
    public static CallOutcome Classify(int status) => status switch
    {
        <= 301 or 304 or 307 => CallOutcome.Success,
        401 or 403 or 429 => CallOutcome.Blocked,
        400 or (>= 500 and <= 600) => CallOutcome.Failed,
        _ => CallOutcome.Other,
    };

    /// <summary>The lower-case name used in metrics labels (no allocation).</summary>
    public static string Label(this CallOutcome outcome) => outcome switch
    {
        CallOutcome.Success => "success",
        CallOutcome.Blocked => "blocked",
        CallOutcome.Failed => "failed",
        _ => "other",
    };
}
