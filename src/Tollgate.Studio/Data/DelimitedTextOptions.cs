namespace Tollgate.Studio.Data;

/// <summary>How to read or write a delimited text file (CSV or TSV) with a header row.</summary>
public sealed record DelimitedTextOptions
{
    /// <summary>The default number of rows used to infer column types.</summary>
    public const int DefaultInferenceRows = 1000;

    /// <summary>Comma-separated values.</summary>
    public static DelimitedTextOptions Csv { get; } = new();

    /// <summary>Tab-separated values.</summary>
    public static DelimitedTextOptions Tsv { get; } = new() { Delimiter = '\t' };

    /// <summary>The field delimiter: <c>,</c> for CSV, a tab for TSV.</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>
    /// The expected columns when reading. The header must name exactly these columns (in any order); each cell is
    /// parsed as its column's type. When null, the types are inferred from the first <see cref="InferenceRows"/> rows.
    /// </summary>
    public DataSchema? Schema { get; init; }

    /// <summary>
    /// With a <see cref="Schema"/>: whether header columns that are not in the schema are skipped (true) or an error
    /// (false, the default). Batch inputs use true: a file may carry more columns than the web service reads.
    /// </summary>
    public bool IgnoreExtraColumns { get; init; }

    /// <summary>How many data rows type inference looks at (they are held in memory meanwhile).</summary>
    public int InferenceRows { get; init; } = DefaultInferenceRows;

    /// <summary>The number of rows per <see cref="DataBatch"/> when reading.</summary>
    public int BatchSize { get; init; } = DataBatch.DefaultSize;

    /// <summary>
    /// The options for a file name by its extension: <c>.tsv</c> (and <c>.tab</c>) is TSV, <c>.csv</c> or anything else CSV.
    /// </summary>
    public static DelimitedTextOptions ForFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path);
        return extension.Equals(".tsv", StringComparison.OrdinalIgnoreCase) || extension.Equals(".tab", StringComparison.OrdinalIgnoreCase)
            ? Tsv
            : Csv;
    }
}
