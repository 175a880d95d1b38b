using System.Globalization;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// Maps a character of an attribute value or element text back to its line and column in the XML text. Values are
/// decoded (entities, attribute white space, line ends), so offsets in a value are not offsets in the text: this walks
/// the text from the node's position, decoding as the XML reader did.
/// </summary>
internal sealed class XmlSourceMap(string source, PolicySourceMap map)
{
    private int[]? _lineStarts;

    /// <summary>Locates characters of <paramref name="attribute"/>'s value.</summary>
    public Func<int, (int Line, int Column)> ForAttribute(PolicyAttribute attribute)
    {
        var fallback = map.Map(attribute.Line, attribute.Column);
        var i = Offset(attribute.Line, attribute.Column);
        if (i < 0 || string.CompareOrdinal(source, i, attribute.Name, 0, attribute.Name.Length) != 0)
        {
            return _ => fallback;
        }

        i += attribute.Name.Length;
        while (i < source.Length && (char.IsWhiteSpace(source[i]) || source[i] == '='))
        {
            i++;
        }

        if (i >= source.Length || (source[i] != '"' && source[i] != '\''))
        {
            return _ => fallback;
        }

        var quote = source[i];
        var decoded = new List<(int Offset, char Char)>();
        for (i++; i < source.Length && source[i] != quote;)
        {
            i = Decode(i, decoded, attributeValue: true, entities: true);
        }

        return Build(decoded, attribute.Value, trimmed: false, fallback);
    }

    /// <summary>Locates characters of <paramref name="element"/>'s (trimmed) text.</summary>
    public Func<int, (int Line, int Column)> ForText(PolicyElement element)
    {
        var fallback = map.Map(element.Line, element.Column);
        var decoded = new List<(int Offset, char Char)>();
        foreach (var (line, column, cdata) in element.TextNodes)
        {
            var i = Offset(line, column);
            if (i < 0)
            {
                return _ => fallback;
            }

            if (cdata)
            {
                if (string.CompareOrdinal(source, i, "<![CDATA[", 0, 9) == 0)
                {
                    i += 9;
                }

                while (i < source.Length && string.CompareOrdinal(source, i, "]]>", 0, 3) != 0)
                {
                    i = Decode(i, decoded, attributeValue: false, entities: false);
                }
            }
            else
            {
                while (i < source.Length && source[i] != '<')
                {
                    i = Decode(i, decoded, attributeValue: false, entities: true);
                }
            }
        }

        return Build(decoded, element.Text ?? "", trimmed: true, fallback);
    }

    private Func<int, (int Line, int Column)> Build(List<(int Offset, char Char)> decoded, string value, bool trimmed, (int, int) fallback)
    {
        var text = new string(decoded.Select(d => d.Char).ToArray());
        var leading = trimmed ? text.Length - text.TrimStart().Length : 0;
        if (string.CompareOrdinal(text, leading, value, 0, value.Length) != 0 || value.Length == 0)
        {
            // The walk did not reproduce what the reader decoded: name the node itself rather than a wrong place.
            return _ => fallback;
        }

        var offsets = decoded.Skip(leading).Take(value.Length).Select(d => d.Offset).ToArray();
        return index => Position(offsets[Math.Clamp(index, 0, offsets.Length - 1)]);
    }

    /// <summary>Decodes one character or entity at <paramref name="i"/>; returns the offset after it.</summary>
    private int Decode(int i, List<(int Offset, char Char)> decoded, bool attributeValue, bool entities)
    {
        var c = source[i];
        if (c == '\r')
        {
            decoded.Add((i, attributeValue ? ' ' : '\n'));
            return i + 1 < source.Length && source[i + 1] == '\n' ? i + 2 : i + 1;
        }

        if (attributeValue && (c == '\n' || c == '\t'))
        {
            decoded.Add((i, ' '));
            return i + 1;
        }

        if (c == '&' && entities)
        {
            var end = source.IndexOf(';', i);
            var text = end > i ? Entity(source.AsSpan(i + 1, end - i - 1)) : null;
            if (text is not null)
            {
                foreach (var d in text)
                {
                    decoded.Add((i, d));
                }

                return end + 1;
            }
        }

        decoded.Add((i, c));
        return i + 1;
    }

    private static string? Entity(ReadOnlySpan<char> name)
    {
        switch (name)
        {
            case "lt":
                return "<";
            case "gt":
                return ">";
            case "amp":
                return "&";
            case "quot":
                return "\"";
            case "apos":
                return "'";
        }

        if (name.Length < 2 || name[0] != '#')
        {
            return null;
        }

        var hex = name[1] is 'x' or 'X';
        var digits = hex ? name[2..] : name[1..];
        return int.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF)
            ? char.ConvertFromUtf32(code)
            : null;
    }

    /// <summary>Offset in the text of 1-based (line, column) as the XML reader counts them; -1 when out of range.</summary>
    private int Offset(int line, int column)
    {
        var starts = LineStarts();
        if (line < 1 || line > starts.Length || column < 1)
        {
            return -1;
        }

        var offset = starts[line - 1] + column - 1;
        return offset < source.Length ? offset : -1;
    }

    /// <summary>The author's position of the character at <paramref name="offset"/> of the parsed text.</summary>
    private (int Line, int Column) Position(int offset) => map.Locate(offset);

    private int[] LineStarts() => _lineStarts ??= PolicySourceMap.LineStarts(source);
}
