using Tollgate.Security;
using System.Globalization;
using System.Text.Json;

namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// The file <see cref="InMemoryQuotaStore"/> keeps its counts in (default <c>{data}/quota-counters.json</c>):
/// <code>
/// {
///   "format": "tollgate-quota-counters",
///   "version": 1,
///   "savedAt": "2025-01-06T10:00:00.000+00:00",
///   "counters": [
///     { "key": "sub:1|product:starter", "windowStart": "2025-01-06T00:00:00.000+00:00", "periodSeconds": 604800, "calls": 12, "bandwidthBytes": 0 },
///     { "key": "lifetime:x", "windowStart": null, "periodSeconds": 0, "calls": 3, "bandwidthBytes": 2048 }
///   ]
/// }
/// </code>
/// A window is identified by its start and length (<c>periodSeconds</c> 0 and <c>windowStart</c> null: never renews);
/// on load, counters whose window has already ended are dropped, and a later acquire with a rule whose window differs
/// starts from zero. Written to <c>{file}.{random}.tmp</c> in the same directory, flushed to disk, then renamed over
/// the file, so a crash leaves either the old or the new file, never half of one.
/// </summary>
public static class QuotaCountersFile
{
    public const string Format = "tollgate-quota-counters";
    public const int Version = 1;
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffzzz";

    /// <summary>One key's counts.</summary>
    public readonly record struct Entry(string Key, QuotaWindow Window, long Calls, long Bytes);

    /// <summary>Writes the entries atomically (temporary file, flush to disk, rename).</summary>
    public static void Write(string path, DateTimeOffset savedAt, IEnumerable<Entry> entries)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        PrivateFiles.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, PrivateFiles.Options(FileMode.CreateNew)))
            {
                using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    json.WriteStartObject();
                    json.WriteString("format", Format);
                    json.WriteNumber("version", Version);
                    json.WriteString("savedAt", savedAt.ToUniversalTime().ToString(TimestampFormat, CultureInfo.InvariantCulture));
                    json.WriteStartArray("counters");
                    foreach (var entry in entries)
                    {
                        json.WriteStartObject();
                        json.WriteString("key", entry.Key);
                        if (entry.Window.Start is { } start)
                        {
                            json.WriteString("windowStart", start.ToString(TimestampFormat, CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            json.WriteNull("windowStart");
                        }

                        json.WriteNumber("periodSeconds", entry.Window.PeriodMilliseconds / 1000);
                        json.WriteNumber("calls", entry.Calls);
                        json.WriteNumber("bandwidthBytes", entry.Bytes);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Reads the entries; an absent file has none.</summary>
    /// <exception cref="InvalidDataException">The file is not a quota counters file this version understands.</exception>
    public static IReadOnlyList<Entry> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format
                || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != Version
                || !root.TryGetProperty("counters", out var counters) || counters.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"'{path}' is not a {Format} file of version {Version}.");
            }

            var entries = new List<Entry>(counters.GetArrayLength());
            foreach (var item in counters.EnumerateArray())
            {
                var key = item.GetProperty("key").GetString() ?? throw new InvalidDataException($"'{path}': a counter has no key.");
                var periodSeconds = item.GetProperty("periodSeconds").GetInt64();
                var startElement = item.GetProperty("windowStart");
                var window = periodSeconds == 0
                    ? QuotaWindow.Forever
                    : new QuotaWindow(
                        DateTimeOffset.Parse(startElement.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds(),
                        checked(periodSeconds * 1000));
                entries.Add(new Entry(key, window, item.GetProperty("calls").GetInt64(), item.GetProperty("bandwidthBytes").GetInt64()));
            }

            return entries;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new InvalidDataException($"'{path}' is not a readable {Format} file: {ex.Message}", ex);
        }
    }
}
