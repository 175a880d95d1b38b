namespace Tollgate.Core.Policies;

/// <summary>
/// The replacements made while rewriting a text (named values substituted, expressions escaped), in order, so that an
/// offset in the rewritten text can be traced back to the text the user wrote.
/// </summary>
internal sealed class SourceEdits
{
    private readonly List<(int NewStart, int NewLength, int OldStart, int OldLength)> _edits = [];

    public bool IsEmpty => _edits.Count == 0;

    /// <summary>Records that <paramref name="oldLength"/> characters at <paramref name="oldStart"/> became <paramref name="newLength"/> at <paramref name="newStart"/>.</summary>
    public void Add(int newStart, int newLength, int oldStart, int oldLength) => _edits.Add((newStart, newLength, oldStart, oldLength));

    /// <summary>The offset in the old text of the character at <paramref name="offset"/> of the new one (a replaced character maps to the start of what it replaced).</summary>
    public int ToOld(int offset)
    {
        int lo = 0, hi = _edits.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (_edits[mid].NewStart <= offset)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        if (found < 0)
        {
            return offset;
        }

        var e = _edits[found];
        return offset < e.NewStart + e.NewLength ? e.OldStart : offset - (e.NewStart + e.NewLength) + e.OldStart + e.OldLength;
    }
}

/// <summary>
/// Positions in the XML a policy document was parsed from, traced back to the text its author wrote: named values were
/// substituted and expressions escaped in between, so lines and columns of the parsed text are not the author's.
/// </summary>
internal sealed class PolicySourceMap
{
    private readonly string _parsed;
    private readonly string _original;
    private readonly Func<int, int> _toOriginal;
    private int[]? _parsedLines;
    private int[]? _originalLines;

    public PolicySourceMap(string parsed, string original, Func<int, int> toOriginal)
    {
        _parsed = parsed;
        _original = original;
        _toOriginal = toOriginal;
    }

    /// <summary>No rewriting: positions are the author's.</summary>
    public static PolicySourceMap Identity(string text) => new(text, text, o => o);

    /// <summary>The author's (line, column) of (<paramref name="line"/>, <paramref name="column"/>) in the parsed text; unknown (0) stays unknown.</summary>
    public (int Line, int Column) Map(int line, int column)
    {
        if (line <= 0 || ReferenceEquals(_parsed, _original))
        {
            return (line, column);
        }

        var starts = _parsedLines ??= LineStarts(_parsed);
        if (line > starts.Length)
        {
            return (line, column);
        }

        return Locate(Math.Min(starts[line - 1] + Math.Max(column, 1) - 1, _parsed.Length));
    }

    /// <summary>The author's (line, column) of the character at <paramref name="offset"/> of the parsed text.</summary>
    public (int Line, int Column) Locate(int offset)
    {
        var original = Math.Clamp(_toOriginal(offset), 0, _original.Length);
        var starts = _originalLines ??= LineStarts(_original);
        var line = Array.BinarySearch(starts, original);
        if (line < 0)
        {
            line = ~line - 1;
        }

        return (line + 1, original - starts[line] + 1);
    }

    /// <summary>Start offsets of the lines of <paramref name="text"/>, counting line ends as the XML reader does (\r\n, \n or \r).</summary>
    internal static int[] LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
            {
                starts.Add(i + 1);
            }
        }

        return [.. starts];
    }
}
