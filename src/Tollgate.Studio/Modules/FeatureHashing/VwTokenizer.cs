using System.Text;

namespace Tollgate.Studio.Modules.FeatureHashing;

/// <summary>
/// Splits a text cell into tokens and hashes each token exactly as Vowpal Wabbit's text parser and
/// <c>hashstring</c> do for the default namespace (docs/studio-protocol.md §5.3 steps 1–2).
/// </summary>
/// <remarks>
/// <para>Tokenisation works on the UTF-8 bytes of the cell:</para>
/// <list type="bullet">
/// <item>The only separators are space (0x20) and horizontal tab (0x09). Runs of separators, and separators at
/// the start or end, produce no empty tokens.</item>
/// <item>There is no lower-casing, stemming, punctuation removal or Unicode normalisation. Non-ASCII
/// characters are never separators: U+00A0 (no-break space), U+3000 (ideographic space) and the like stay inside
/// tokens. Because 0x20 and 0x09 never occur inside a multi-byte UTF-8 sequence, splitting bytes is the same as
/// splitting characters.</item>
/// <item>[I] <c>|</c>, <c>:</c>, CR, LF and the other control characters are token characters, not separators
/// (spec §5.3 step 7). <see cref="HashToken"/> then trims bytes ≤ 0x20 at both ends of a token as VW does,
/// so <c>"day\n"</c> hashes like <c>"day"</c>, and a token made only of such characters (e.g. a lone
/// <c>"\n"</c> between two spaces) trims to empty and hashes to the seed, 0, which is what VW's
/// <c>hashstring</c> returns for it. It still counts as a feature.</item>
/// <item>[I] A .NET string holding an unpaired surrogate is encoded with the UTF-8 replacement character
/// (EF BF BD), the standard <see cref="Encoding.UTF8"/> behaviour.</item>
/// </list>
/// </remarks>
public static class VwTokenizer
{
    /// <summary>Whether <paramref name="b"/> separates tokens (space or tab only).</summary>
    public static bool IsSeparator(byte b) => b is (byte)' ' or (byte)'\t';

    /// <summary>Enumerates the tokens of UTF-8 text without allocating.</summary>
    public static VwTokenEnumerator Tokenize(ReadOnlySpan<byte> utf8) => new(utf8);

    /// <summary>
    /// VW <c>hashstring</c>: trims leading and trailing bytes ≤ 0x20 (never bytes ≥ 0x80); if what is left is made
    /// only of ASCII digits <c>'0'..'9'</c>, returns its decimal value plus <paramref name="seed"/> (unsigned 64-bit
    /// wrap-around, as VW's <c>size_t</c>); otherwise returns MurmurHash3_x86_32 of the trimmed bytes.
    /// </summary>
    /// <remarks>
    /// An empty (or all-control) token returns <paramref name="seed"/>. Signs, decimal points, exponents and
    /// non-ASCII digits disable the digit rule (<c>"-5"</c>, <c>"1.5"</c>, <c>"١٢"</c> are murmur-hashed).
    /// Only the low bits matter for the bucket, so the 64-bit wrap-around of a long digit run has the same result as
    /// VW's 32-bit <c>weight_index</c> of older releases.
    /// </remarks>
    public static ulong HashToken(ReadOnlySpan<byte> token, uint seed = 0)
    {
        int start = 0;
        int end = token.Length;
        while (start < end && token[start] <= 0x20)
        {
            start++;
        }

        while (end > start && token[end - 1] <= 0x20)
        {
            end--;
        }

        ReadOnlySpan<byte> trimmed = token[start..end];
        ulong value = 0;
        foreach (byte b in trimmed)
        {
            uint digit = (uint)(b - (byte)'0');
            if (digit > 9)
            {
                return MurmurHash3.Hash32(trimmed, seed);
            }

            value = unchecked((value * 10) + digit);
        }

        return unchecked(value + seed);
    }

    /// <summary>Test/diagnostic helper: the tokens of <paramref name="text"/> as strings.</summary>
    internal static List<string> TokenizeToStrings(string? text)
    {
        var result = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return result;
        }

        byte[] bytes = Encoding.UTF8.GetBytes(text);
        foreach (ReadOnlySpan<byte> token in Tokenize(bytes))
        {
            result.Add(Encoding.UTF8.GetString(token));
        }

        return result;
    }
}

/// <summary>Allocation-free enumerator over the tokens of UTF-8 text; see <see cref="VwTokenizer"/>.</summary>
public ref struct VwTokenEnumerator
{
    private readonly ReadOnlySpan<byte> _text;
    private int _position;
    private ReadOnlySpan<byte> _current;

    /// <summary>Creates an enumerator over <paramref name="utf8"/>.</summary>
    public VwTokenEnumerator(ReadOnlySpan<byte> utf8)
    {
        _text = utf8;
        _position = 0;
        _current = default;
    }

    /// <summary>The current token (never empty, never containing a space or tab).</summary>
    public readonly ReadOnlySpan<byte> Current => _current;

    /// <summary>Returns this enumerator, for <c>foreach</c>.</summary>
    public readonly VwTokenEnumerator GetEnumerator() => this;

    /// <summary>Advances to the next token.</summary>
    public bool MoveNext()
    {
        int i = _position;
        while (i < _text.Length && VwTokenizer.IsSeparator(_text[i]))
        {
            i++;
        }

        if (i >= _text.Length)
        {
            _position = i;
            _current = default;
            return false;
        }

        int start = i;
        while (i < _text.Length && !VwTokenizer.IsSeparator(_text[i]))
        {
            i++;
        }

        _current = _text[start..i];
        _position = i;
        return true;
    }
}
