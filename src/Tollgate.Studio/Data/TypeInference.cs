namespace Tollgate.Studio.Data;

/// <summary>
/// Infers a column type from sample cells: the first of Int32, Int64, Double, Boolean, DateTime (ISO 8601) that
/// every non-empty cell parses as, else String. Empty cells are missing and do not vote; an all-empty column is String.
/// </summary>
public static class TypeInference
{
    private static readonly ColumnType[] Candidates =
        [ColumnType.Int32, ColumnType.Int64, ColumnType.Double, ColumnType.Boolean, ColumnType.DateTime];

    /// <summary>The narrowest type that fits every non-empty cell of <paramref name="cells"/>.</summary>
    public static ColumnType Infer(IEnumerable<string?> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        Span<bool> fits = stackalloc bool[Candidates.Length];
        fits.Fill(true);
        var remaining = Candidates.Length;
        var sawValue = false;
        foreach (var cell in cells)
        {
            if (string.IsNullOrEmpty(cell))
            {
                continue;
            }

            sawValue = true;
            for (var k = 0; k < Candidates.Length; k++)
            {
                if (fits[k] && !CellText.IsValid(Candidates[k], cell))
                {
                    fits[k] = false;
                    remaining--;
                }
            }

            if (remaining == 0)
            {
                return ColumnType.String;
            }
        }

        return sawValue ? Candidates[fits.IndexOf(true)] : ColumnType.String;
    }
}
