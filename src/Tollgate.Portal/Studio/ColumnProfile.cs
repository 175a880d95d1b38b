using System.Globalization;
using System.Text.Json.Nodes;

namespace Tollgate.Portal.Studio;

/// <summary>One bar of a histogram: its range's label and how many values fell in it.</summary>
public sealed record HistogramBin(string Label, int Count);

/// <summary>
/// What Visualize adds to Studio's per-column statistics, from the rows it shows: the median, the standard deviation
/// and a histogram (equal-width bins for numbers, the most frequent values for text).
/// </summary>
public sealed record ColumnProfile(double? Median, double? StandardDeviation, IReadOnlyList<HistogramBin> Bins)
{
    public const int MaxBins = 10;

    /// <summary>The profile of column <paramref name="column"/> of <paramref name="rows"/>; null when it has no values.</summary>
    public static ColumnProfile? Of(IReadOnlyList<JsonArray> rows, int column)
    {
        var texts = rows.Select(r => column < r.Count ? (string?)r[column] : null).Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).ToList();
        if (texts.Count == 0)
        {
            return null;
        }

        var numbers = new List<double>(texts.Count);
        foreach (var text in texts)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
            {
                // Text: the most frequent values.
                var top = texts.GroupBy(t => t, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                    .Take(MaxBins).Select(g => new HistogramBin(g.Key, g.Count())).ToList();
                // Every value different (review texts): no chart worth drawing.
                return new ColumnProfile(null, null, top.All(b => b.Count == 1) ? [] : top);
            }

            numbers.Add(number);
        }

        numbers.Sort();
        var n = numbers.Count;
        var median = n % 2 == 1 ? numbers[n / 2] : (numbers[(n / 2) - 1] + numbers[n / 2]) / 2;
        var mean = numbers.Average();
        var deviation = n > 1 ? Math.Sqrt(numbers.Sum(x => (x - mean) * (x - mean)) / (n - 1)) : 0;
        return new ColumnProfile(median, deviation, EqualWidth(numbers));
    }

    /// <summary>Equal-width bins between the smallest and the largest value (one bin per value when there are few distinct integers).</summary>
    private static List<HistogramBin> EqualWidth(List<double> sorted)
    {
        double min = sorted[0], max = sorted[^1];
        var distinct = sorted.Distinct().ToList();
        if (distinct.Count <= MaxBins && distinct.All(d => d == Math.Floor(d)))
        {
            return distinct.Select(d => new HistogramBin(d.ToString(CultureInfo.InvariantCulture), sorted.Count(x => x == d))).ToList();
        }

        var width = (max - min) / MaxBins;
        var counts = new int[MaxBins];
        foreach (var x in sorted)
        {
            counts[Math.Min(MaxBins - 1, (int)((x - min) / width))]++;
        }

        return counts.Select((count, i) => new HistogramBin(
            $"{(min + (i * width)).ToString("G4", CultureInfo.InvariantCulture)} to {(min + ((i + 1) * width)).ToString("G4", CultureInfo.InvariantCulture)}", count)).ToList();
    }

    /// <summary>The histogram in words (the chart's accessible name).</summary>
    public string Describe(string column) => $"Histogram of {column}: " + string.Join(", ", Bins.Select(b => $"{b.Label}: {b.Count}"));
}
