using System.Text;

namespace Tollgate.Core.Policies;

/// <summary>
/// APIM's policy documents (format <c>rawxml</c>, and most published samples) carry C# expressions unescaped:
/// <c>value="@(context.Request.Headers.GetValueOrDefault("X", ""))"</c>, <c>&lt;set-body&gt;@{ var b = body.As&lt;JObject&gt;(); … }&lt;/set-body&gt;</c>.
/// That is not well-formed XML; this escapes the characters XML reserves inside every expression (found by scanning
/// C# brackets, strings and comments) so the document parses. Already escaped documents (format <c>xml</c>) come out
/// unchanged: an <c>&amp;</c> that starts an entity is left alone.
/// </summary>
internal static class RawPolicyXml
{
    public static string Normalize(string xml) => Normalize(xml, new SourceEdits());

    /// <summary>As <see cref="Normalize(string)"/>, recording every character it escaped in <paramref name="edits"/>.</summary>
    public static string Normalize(string xml, SourceEdits edits)
    {
        if (!xml.Contains("@(", StringComparison.Ordinal) && !xml.Contains("@{", StringComparison.Ordinal))
        {
            return xml;
        }

        var sb = new StringBuilder(xml.Length + 64);
        var i = 0;
        while (i < xml.Length)
        {
            if (Starts(xml, i, "<!--"))
            {
                i = CopyUntil(xml, i, "-->", sb);
            }
            else if (Starts(xml, i, "<![CDATA["))
            {
                i = CopyUntil(xml, i, "]]>", sb);
            }
            else if (Starts(xml, i, "<?"))
            {
                i = CopyUntil(xml, i, "?>", sb);
            }
            else if (xml[i] == '<')
            {
                i = CopyTag(xml, i, sb, edits);
            }
            else if (IsExpressionStart(xml, i))
            {
                i = CopyExpression(xml, i, sb, quote: '\0', edits);
            }
            else
            {
                sb.Append(xml[i++]);
            }
        }

        return sb.ToString();
    }

    private static bool Starts(string s, int i, string what) => string.CompareOrdinal(s, i, what, 0, what.Length) == 0;

    private static bool IsExpressionStart(string s, int i) => s[i] == '@' && i + 1 < s.Length && (s[i + 1] == '(' || s[i + 1] == '{');

    private static int CopyUntil(string s, int i, string end, StringBuilder sb)
    {
        var at = s.IndexOf(end, i, StringComparison.Ordinal);
        var stop = at < 0 ? s.Length : at + end.Length;
        sb.Append(s, i, stop - i);
        return stop;
    }

    /// <summary>Copies a tag, escaping expressions in its attribute values.</summary>
    private static int CopyTag(string s, int i, StringBuilder sb, SourceEdits edits)
    {
        while (i < s.Length)
        {
            var c = s[i];
            if (c is '"' or '\'')
            {
                sb.Append(c);
                i++;
                var start = i;
                while (i < s.Length && char.IsWhiteSpace(s[i]))
                {
                    i++;
                }

                if (i < s.Length && IsExpressionStart(s, i))
                {
                    sb.Append(s, start, i - start);
                    i = CopyExpression(s, i, sb, quote: c, edits);
                }
                else
                {
                    i = start;
                }

                while (i < s.Length && s[i] != c)
                {
                    sb.Append(s[i++]);
                }

                if (i < s.Length)
                {
                    sb.Append(s[i++]);
                }

                continue;
            }

            sb.Append(c);
            i++;
            if (c == '>')
            {
                break;
            }
        }

        return i;
    }

    /// <summary>Copies <c>@(…)</c> or <c>@{…}</c> up to its matching bracket, escaping XML's reserved characters inside.</summary>
    private static int CopyExpression(string s, int i, StringBuilder sb, char quote, SourceEdits edits)
    {
        var open = s[i + 1];
        var close = open == '(' ? ')' : '}';
        sb.Append('@').Append(open);
        i += 2;
        var depth = 1;
        while (i < s.Length && depth > 0)
        {
            var c = s[i];
            if (c == '"' || c == '\'' || (c == '@' && i + 1 < s.Length && s[i + 1] == '"') || (c == '$' && i + 1 < s.Length && s[i + 1] == '"'))
            {
                i = CopyLiteral(s, i, sb, quote, edits);
                continue;
            }

            if (c == '/' && i + 1 < s.Length && (s[i + 1] == '/' || s[i + 1] == '*'))
            {
                var end = s[i + 1] == '/' ? s.IndexOf('\n', i) : s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                var stop = end < 0 ? s.Length : s[i + 1] == '/' ? end : end + 2;
                while (i < stop)
                {
                    Escape(s, i++, sb, quote, edits);
                }

                continue;
            }

            if (c == open)
            {
                depth++;
            }
            else if (c == close)
            {
                depth--;
            }

            Escape(s, i++, sb, quote, edits);
        }

        return i;
    }

    private static int CopyLiteral(string s, int i, StringBuilder sb, char quote, SourceEdits edits)
    {
        var verbatim = s[i] == '@';
        if (s[i] is '@' or '$')
        {
            sb.Append(s[i++]);
        }

        var delimiter = s[i];
        Escape(s, i++, sb, quote, edits);
        while (i < s.Length)
        {
            var c = s[i];
            if (!verbatim && c == '\\' && i + 1 < s.Length)
            {
                Escape(s, i++, sb, quote, edits);
                Escape(s, i++, sb, quote, edits);
                continue;
            }

            if (c == delimiter)
            {
                if (verbatim && i + 1 < s.Length && s[i + 1] == delimiter)
                {
                    Escape(s, i++, sb, quote, edits);
                    Escape(s, i++, sb, quote, edits);
                    continue;
                }

                Escape(s, i++, sb, quote, edits);
                break;
            }

            Escape(s, i++, sb, quote, edits);
        }

        return i;
    }

    private static void Escape(string s, int i, StringBuilder sb, char quote, SourceEdits edits)
    {
        var c = s[i];
        var entity = c switch
        {
            '<' => "&lt;",
            '>' => "&gt;",
            '&' when !StartsEntity(s, i) => "&amp;",
            '"' when quote == '"' => "&quot;",
            '\'' when quote == '\'' => "&apos;",

            // An attribute's line breaks and tabs would become spaces (XML normalizes attribute values), and a // comment
            // would then swallow the rest of the code: written as character references they are kept.
            '\n' when quote != '\0' => "&#10;",
            '\r' when quote != '\0' => "&#13;",
            '\t' when quote != '\0' => "&#9;",
            _ => null,
        };
        if (entity is null)
        {
            sb.Append(c);
            return;
        }

        edits.Add(sb.Length, entity.Length, i, 1);
        sb.Append(entity);
    }

    private static bool StartsEntity(string s, int i)
    {
        var semicolon = s.IndexOf(';', i + 1, Math.Min(10, s.Length - i - 1));
        if (semicolon < 0)
        {
            return false;
        }

        var name = s.AsSpan(i + 1, semicolon - i - 1);
        return name is "lt" or "gt" or "amp" or "quot" or "apos" || (name.Length > 1 && name[0] == '#');
    }
}
