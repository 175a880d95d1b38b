using System.Globalization;

namespace Tollgate.Studio.Data;

/// <summary>
/// The text form of cell values, shared by CSV/TSV files and the string cells of RRS (docs/studio-protocol.md §1.2/§1.3):
/// invariant culture, round-trip doubles, ISO 8601 dates, <c>True</c>/<c>False</c>, and an empty cell for a missing value.
/// </summary>
public static class CellText
{
    /// <summary>The ISO 8601 shapes accepted for <see cref="ColumnType.DateTime"/> (invariant culture, round-trip kind).</summary>
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-ddTHH:mm",
        "yyyy-MM-ddTHH:mmK",
        "yyyy-MM-ddTHH:mm:ss",
        "yyyy-MM-ddTHH:mm:ssK",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd HH:mm:ssK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
    ];

    /// <summary>Parses an integer (optional sign, surrounding white space allowed).</summary>
    public static bool TryParseInt32(ReadOnlySpan<char> text, out int value) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    /// <summary>Parses a 64-bit integer (optional sign, surrounding white space allowed).</summary>
    public static bool TryParseInt64(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    /// <summary>Parses a number with invariant culture (decimal point, exponent, <c>NaN</c>, <c>Infinity</c>; no thousands separators).</summary>
    public static bool TryParseDouble(ReadOnlySpan<char> text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>Parses <c>true</c> or <c>false</c>, case-insensitive, surrounding white space allowed.</summary>
    public static bool TryParseBoolean(ReadOnlySpan<char> text, out bool value) => bool.TryParse(text.Trim(), out value);

    /// <summary>Parses an ISO 8601 date or date-time (see the accepted shapes in the remarks of <see cref="CellText"/>).</summary>
    public static bool TryParseDateTime(ReadOnlySpan<char> text, out DateTime value) =>
        DateTime.TryParseExact(text.Trim(), DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out value);

    /// <summary>Whether <paramref name="text"/> is a valid non-missing value of <paramref name="type"/>.</summary>
    public static bool IsValid(ColumnType type, ReadOnlySpan<char> text) => type switch
    {
        ColumnType.String => true,
        ColumnType.Int32 => TryParseInt32(text, out _),
        ColumnType.Int64 => TryParseInt64(text, out _),
        ColumnType.Double => TryParseDouble(text, out _),
        ColumnType.Boolean => TryParseBoolean(text, out _),
        ColumnType.DateTime => TryParseDateTime(text, out _),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown column type."),
    };

    /// <summary>Formats a double so that it parses back to the same value (<c>"R"</c>, invariant).</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Formats a date-time as ISO 8601 round-trip (<c>"o"</c>), e.g. <c>2024-01-02T03:04:05.0000000</c>.</summary>
    public static string Format(DateTime value) => value.ToString("o", CultureInfo.InvariantCulture);

    /// <summary>Formats a Boolean as <c>True</c> / <c>False</c>.</summary>
    public static string Format(bool value) => value ? "True" : "False";

    /// <summary>Formats a boxed cell value, or returns null for a missing value.</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        string s => s,
        double d => Format(d),
        DateTime t => Format(t),
        bool b => Format(b),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>The name used in messages for a type, e.g. "Int32".</summary>
    internal static string Describe(ColumnType type) => type.ToString();
}
