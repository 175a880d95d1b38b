using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Management.Api;

namespace Tollgate.Management.Services;

/// <summary>
/// The <c>$filter</c> subset APIM accepts on lists: <c>field eq|ne|gt|ge|lt|le 'value'</c>,
/// <c>contains|startswith|endswith(field,'value')</c>, joined with <c>and</c>/<c>or</c>, <c>not</c> and parentheses.
/// Fields are <c>name</c> or a property (<c>displayName</c> or <c>properties/displayName</c>). Comparison is case-insensitive.
/// </summary>
public sealed class ODataFilter
{
    private readonly Func<Func<string, JsonNode?>, bool> _predicate;

    private ODataFilter(Func<Func<string, JsonNode?>, bool> predicate) => _predicate = predicate;

    /// <summary>Parses a filter; the allowed field names are checked so a typo is reported, not silently unmatched.</summary>
    public static ODataFilter Parse(string text, IReadOnlyCollection<string> fields)
    {
        var parser = new Parser(text, fields);
        var predicate = parser.ParseOr();
        parser.SkipSpaces();
        if (!parser.AtEnd)
        {
            throw parser.Error("unexpected text");
        }

        return new ODataFilter(predicate);
    }

    /// <summary>Evaluates against a resource; <paramref name="field"/> resolves a field name to its JSON value.</summary>
    public bool Matches(Func<string, JsonNode?> field) => _predicate(field);

    private sealed class Parser(string text, IReadOnlyCollection<string> fields)
    {
        private int _pos;

        public bool AtEnd => _pos >= text.Length;

        public ArmException Error(string what) =>
            ArmException.Validation("$filter", $"Invalid $filter at position {_pos}: {what}. Supported: field eq 'value', contains(field,'value'), startswith, endswith, and, or, not.");

        public void SkipSpaces()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        public Func<Func<string, JsonNode?>, bool> ParseOr()
        {
            var left = ParseAnd();
            while (TryKeyword("or"))
            {
                var right = ParseAnd();
                var l = left;
                left = f => l(f) || right(f);
            }

            return left;
        }

        private Func<Func<string, JsonNode?>, bool> ParseAnd()
        {
            var left = ParseUnary();
            while (TryKeyword("and"))
            {
                var right = ParseUnary();
                var l = left;
                left = f => l(f) && right(f);
            }

            return left;
        }

        private Func<Func<string, JsonNode?>, bool> ParseUnary()
        {
            SkipSpaces();
            if (TryKeyword("not"))
            {
                var inner = ParseUnary();
                return f => !inner(f);
            }

            if (Peek('('))
            {
                _pos++;
                var inner = ParseOr();
                Expect(')');
                return inner;
            }

            var ident = ReadIdentifier();
            SkipSpaces();
            if (Peek('('))
            {
                var function = ident.ToLowerInvariant();
                if (function is not ("contains" or "startswith" or "endswith" or "substringof"))
                {
                    throw Error($"unknown function '{ident}'");
                }

                _pos++;
                var field = Field(ReadIdentifier());
                Expect(',');
                var value = ReadLiteral();
                Expect(')');
                return function switch
                {
                    "contains" or "substringof" => f => Text(f(field))?.Contains(value, StringComparison.OrdinalIgnoreCase) == true,
                    "startswith" => f => Text(f(field))?.StartsWith(value, StringComparison.OrdinalIgnoreCase) == true,
                    _ => f => Text(f(field))?.EndsWith(value, StringComparison.OrdinalIgnoreCase) == true,
                };
            }

            var name = Field(ident);
            SkipSpaces();
            var op = ReadIdentifier().ToLowerInvariant();
            var literal = ReadLiteral();
            return op switch
            {
                "eq" => f => Compare(f(name), literal) == 0,
                "ne" => f => Compare(f(name), literal) != 0,
                "gt" => f => Compare(f(name), literal) > 0,
                "ge" => f => Compare(f(name), literal) >= 0,
                "lt" => f => Compare(f(name), literal) < 0,
                "le" => f => Compare(f(name), literal) <= 0,
                _ => throw Error($"unknown operator '{op}'"),
            };
        }

        private string Field(string ident)
        {
            var name = ident.StartsWith("properties/", StringComparison.OrdinalIgnoreCase) ? ident["properties/".Length..] : ident;
            var known = fields.FirstOrDefault(f => string.Equals(f, name, StringComparison.OrdinalIgnoreCase));
            return known ?? throw ArmException.Validation("$filter", $"'{ident}' is not a field that can be filtered on here; use one of: {string.Join(", ", fields)}.");
        }

        private static string? Text(JsonNode? node) => node switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => node.ToJsonString(),
        };

        private static int Compare(JsonNode? node, string literal)
        {
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number &&
                double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) &&
                double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return value.CompareTo(number);
            }

            return string.Compare(Text(node) ?? "null", literal, StringComparison.OrdinalIgnoreCase);
        }

        private bool TryKeyword(string keyword)
        {
            SkipSpaces();
            if (_pos + keyword.Length <= text.Length &&
                string.Compare(text, _pos, keyword, 0, keyword.Length, StringComparison.OrdinalIgnoreCase) == 0 &&
                (_pos + keyword.Length == text.Length || !char.IsLetterOrDigit(text[_pos + keyword.Length])))
            {
                _pos += keyword.Length;
                return true;
            }

            return false;
        }

        private bool Peek(char c) => _pos < text.Length && text[_pos] == c;

        private void Expect(char c)
        {
            SkipSpaces();
            if (!Peek(c))
            {
                throw Error($"expected '{c}'");
            }

            _pos++;
        }

        private string ReadIdentifier()
        {
            SkipSpaces();
            var start = _pos;
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] is '/' or '_' or '.'))
            {
                _pos++;
            }

            return _pos > start ? text[start.._pos] : throw Error("expected a name");
        }

        private string ReadLiteral()
        {
            SkipSpaces();
            if (Peek('\''))
            {
                _pos++;
                var sb = new System.Text.StringBuilder();
                while (_pos < text.Length)
                {
                    if (text[_pos] == '\'')
                    {
                        if (_pos + 1 < text.Length && text[_pos + 1] == '\'')
                        {
                            sb.Append('\'');
                            _pos += 2;
                            continue;
                        }

                        _pos++;
                        return sb.ToString();
                    }

                    sb.Append(text[_pos++]);
                }

                throw Error("unterminated string");
            }

            var start = _pos;
            while (_pos < text.Length && !char.IsWhiteSpace(text[_pos]) && text[_pos] != ')')
            {
                _pos++;
            }

            return _pos > start ? text[start.._pos] : throw Error("expected a value");
        }
    }
}
