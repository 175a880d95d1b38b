namespace Tollgate.Core.Policies.Expressions.Apim;

/// <summary>
/// <c>GetValueOrDefault</c> on <c>context.Request.MatchedParameters</c>. In a namespace of its own that only policy
/// expressions import: in Tollgate's code it would take over every string dictionary's <c>GetValueOrDefault</c>.
/// </summary>
public static class MatchedParameterExtensions
{
    /// <summary>The value of URL template parameter <paramref name="name"/>, or <paramref name="defaultValue"/> when it is absent.</summary>
    public static string? GetValueOrDefault(this IReadOnlyDictionary<string, string> values, string name, string? defaultValue)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.TryGetValue(name, out var v) ? v : defaultValue;
    }

    /// <summary>The value of <paramref name="name"/>, or null when it is absent.</summary>
    public static string? GetValueOrDefault(this IReadOnlyDictionary<string, string> values, string name) => GetValueOrDefault(values, name, null);
}
