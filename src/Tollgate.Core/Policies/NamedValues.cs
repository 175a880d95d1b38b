using System.Text;
using System.Text.RegularExpressions;

namespace Tollgate.Core.Policies;

/// <summary>A named value as policies see it: <c>{{name}}</c> (its display name) stands for <see cref="Value"/>.</summary>
/// <param name="Name">The display name written between the braces.</param>
/// <param name="Value">The text substituted; null for a Key Vault reference this installation cannot read.</param>
/// <param name="Secret">Secret values never appear in messages: they are shown as <c>{{name}}</c>.</param>
public sealed record NamedValue(string Name, string? Value, bool Secret);

/// <summary>
/// The named values of an instance, substituted into policy documents and fragments as APIM does: textually, before the
/// document is parsed, wherever <c>{{name}}</c> appears (attribute values, element text, expressions). A value may
/// itself be a policy expression (<c>@(DateTime.UtcNow.ToString())</c>); it is not searched for further references.
/// Names are matched ignoring case. A missing <c>{{body…}}</c> or <c>{{context…}}</c> is a Liquid output, left as written.
/// </summary>
public sealed partial class NamedValues
{
    private readonly Dictionary<string, NamedValue> _byName;
    private readonly (string Value, string Name)[] _secrets;

    public NamedValues(IEnumerable<NamedValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _byName = new Dictionary<string, NamedValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var v in values)
        {
            _byName[v.Name] = v;
        }

        // Longest first, so a secret that contains another is hidden whole.
        _secrets = _byName.Values.Where(v => v.Secret && !string.IsNullOrEmpty(v.Value))
            .Select(v => (v.Value!, "{{" + v.Name + "}}"))
            .OrderByDescending(s => s.Item1.Length)
            .ToArray();
    }

    /// <summary>
    /// SHA-256 (hex) of every named value (name, value, secret or not): equal for two sets that substitute the same.
    /// Secrets enter only the hash.
    /// </summary>
    public string Fingerprint => _fingerprint ??= ComputeFingerprint();

    private string? _fingerprint;

    private string ComputeFingerprint()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var v in _byName.Values.OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase))
        {
            sb.Append(v.Name.ToLowerInvariant()).Append('\n').Append(v.Secret ? 's' : 'p').Append(v.Value is null ? "-" : v.Value.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append(':').Append(v.Value).Append('\n');
        }

        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>No named values: every reference is missing.</summary>
    public static NamedValues None { get; } = new([]);

    /// <summary>The named value called <paramref name="name"/> (ignoring case), or null.</summary>
    public NamedValue? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The <c>{{name}}</c> references of <paramref name="text"/>, in order.</summary>
    public static IEnumerable<(string Name, int Offset, int Length)> References(string text)
    {
        foreach (Match m in Reference().Matches(text))
        {
            yield return (m.Groups[1].Value, m.Index, m.Length);
        }
    }

    /// <summary>
    /// <paramref name="text"/> with every reference replaced by its value, the replacements made (to trace positions
    /// back), and the references that name no value (left as written), with their offsets.
    /// </summary>
    internal (string Text, SourceEdits Edits, IReadOnlyList<(string Name, int Offset, string Why)> Missing) Substitute(string text)
    {
        var edits = new SourceEdits();
        var missing = new List<(string, int, string)>();
        if (!text.Contains("{{", StringComparison.Ordinal))
        {
            return (text, edits, missing);
        }

        var sb = new StringBuilder(text.Length);
        var at = 0;
        foreach (var (name, offset, length) in References(text))
        {
            sb.Append(text, at, offset - at);
            at = offset + length;
            if (!_byName.TryGetValue(name, out var value))
            {
                // {{body.x}} and {{context.x}} are Liquid outputs (set-body template="liquid"), not named values.
                if (IsLiquidOutput(name))
                {
                    sb.Append(text, offset, length);
                    continue;
                }

                missing.Add((name, offset, $"Named value '{name}' does not exist."));
                sb.Append(text, offset, length);
                continue;
            }

            if (value.Value is null)
            {
                missing.Add((name, offset, $"Named value '{name}' is a Key Vault reference; this installation cannot read Key Vault, so give it a value (secret: true) instead."));
                sb.Append(text, offset, length);
                continue;
            }

            edits.Add(sb.Length, value.Value.Length, offset, length);
            sb.Append(value.Value);
        }

        sb.Append(text, at, text.Length - at);
        return (sb.ToString(), edits, missing);
    }

    private static bool IsLiquidOutput(string name) =>
        name is "body" or "context" || name.StartsWith("body.", StringComparison.Ordinal) || name.StartsWith("context.", StringComparison.Ordinal);

    /// <summary><paramref name="message"/> with every secret value shown as its <c>{{name}}</c>.</summary>
    public string Redact(string message)
    {
        if (_secrets.Length == 0 || string.IsNullOrEmpty(message))
        {
            return message;
        }

        foreach (var (value, name) in _secrets)
        {
            message = message.Replace(value, name, StringComparison.Ordinal);
        }

        return message;
    }

    [GeneratedRegex(@"\{\{([A-Za-z0-9\-._]+)\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();
}
