namespace Tollgate.Studio.Data;

/// <summary>
/// A delimited text file could not be read: a malformed record (such as a broken quote), a wrong number of
/// fields, a header that does not fit the schema, or a cell that is not a valid value of its column's type.
/// </summary>
public sealed class DataFormatException : FormatException
{
    /// <summary>Creates the exception; the message names the row, the column (if any) and the problem.</summary>
    public DataFormatException(long rowNumber, string? columnName, string problem, Exception? innerException = null)
        : base(BuildMessage(rowNumber, columnName, problem), innerException)
    {
        RowNumber = rowNumber;
        ColumnName = columnName;
        Problem = problem;
    }

    /// <summary>The 1-based record number in the file, the header row being row 1.</summary>
    public long RowNumber { get; }

    /// <summary>The column concerned, or null when the problem is not about one column.</summary>
    public string? ColumnName { get; }

    /// <summary>What is wrong, without the row and column.</summary>
    public string Problem { get; }

    private static string BuildMessage(long rowNumber, string? columnName, string problem) =>
        columnName is null ? $"Row {rowNumber}: {problem}" : $"Row {rowNumber}, column '{columnName}': {problem}";
}
