using System.Globalization;
using System.Text.Json.Nodes;

namespace Tollgate.Core.Resources;

/// <summary>
/// The time values of a subscription's key lifecycle (Tollgate extensions of the subscription contract): ISO-8601
/// date-times (<c>primaryKeyExpiresAt</c>) and ISO-8601 durations (<c>keyRotation.interval</c>, <c>.overlap</c>),
/// parsed and written one way everywhere.
/// </summary>
public static class KeyLifetimes
{
    /// <summary>The shortest rotation interval: rotating more often than hourly only multiplies keys in flight.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromHours(1);

    /// <summary>Parses an ISO-8601 date-time with a time of day and an offset or <c>Z</c> (2027-01-31T12:00:00Z).</summary>
    public static bool TryParseTime(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || !text.Contains('T', StringComparison.OrdinalIgnoreCase)
            || !(text.EndsWith('Z') || text.EndsWith('z') || HasOffset(text)))
        {
            return false;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out value);
    }

    private static bool HasOffset(string text)
    {
        var t = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        var tail = text[(t + 1)..];
        return tail.Contains('+') || tail.Contains('-');
    }

    /// <summary>The form Tollgate writes date-times in: UTC, seconds, <c>Z</c>.</summary>
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>Parses an ISO-8601 duration (P90D, PT12H, P1DT6H); no years or months (their length varies).</summary>
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || !text.StartsWith('P') || text.Contains('Y') || (text.Contains('M') && !text.Contains('T'))
            || (text.IndexOf('M') is var m && m >= 0 && m < text.IndexOf('T')))
        {
            return false;
        }

        try
        {
            value = System.Xml.XmlConvert.ToTimeSpan(text);
            return value >= TimeSpan.Zero;
        }
        catch (FormatException)
        {
            return false;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>The form Tollgate writes durations in (P7D, PT1H30M).</summary>
    public static string FormatDuration(TimeSpan value) => System.Xml.XmlConvert.ToString(value);

    /// <summary>Schema check of a date-time field.</summary>
    public static string? CheckTime(JsonNode value) =>
        TryParseTime(value.GetValue<string>(), out _) ? null
            : $"'{value.GetValue<string>()}' is not an ISO-8601 date-time with a time zone (such as 2027-01-31T12:00:00Z).";

    /// <summary>Schema check of a duration field.</summary>
    public static string? CheckDuration(JsonNode value) =>
        TryParseDuration(value.GetValue<string>(), out _) ? null
            : $"'{value.GetValue<string>()}' is not an ISO-8601 duration in days, hours, minutes or seconds (such as P90D or PT12H).";

    /// <summary>What is wrong with a rotation schedule, naming the field (<c>keyRotation.overlap</c>), or null.</summary>
    public static ValidationError? RotationProblem(TimeSpan interval, TimeSpan overlap) =>
        interval < MinimumInterval ? new ValidationError("keyRotation.interval", $"'interval' must be at least {FormatDuration(MinimumInterval)}.")
        : overlap >= interval ? new ValidationError("keyRotation.overlap", "'overlap' must be shorter than 'interval': the old keys stop working before the next rotation.")
        : null;

    /// <summary>
    /// The form of times the server records (a key made, a key last used): UTC to the millisecond, as
    /// <c>createdDate</c>, so that a use just after a key was made is told from one just before.
    /// </summary>
    public static string FormatPrecise(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>The time to the millisecond (UTC), as <see cref="FormatPrecise"/> keeps it.</summary>
    public static DateTimeOffset Millisecond(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
}
