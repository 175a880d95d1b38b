namespace Tollgate.Core.Policies.Definitions;

/// <summary>The response headers and variables <c>rate-limit</c> and <c>rate-limit-by-key</c> may set.</summary>
/// <param name="RetryAfterHeader">Header of the seconds to wait on a rejection; <c>Retry-After</c> unless renamed.</param>
/// <param name="RetryAfterVariable">Variable of the seconds to wait on a rejection, if any.</param>
/// <param name="RemainingHeader">Header of the calls left in the window, if any.</param>
/// <param name="RemainingVariable">Variable of the calls left in the window, if any.</param>
/// <param name="TotalHeader">Header of the calls allowed in the window, if any.</param>
public sealed record RateLimitOutputs(string RetryAfterHeader, string? RetryAfterVariable, string? RemainingHeader, string? RemainingVariable, string? TotalHeader)
{
    internal static readonly PolicyAttributeSpec[] Attributes =
    [
        new("retry-after-header-name"),
        new("retry-after-variable-name"),
        new("remaining-calls-header-name"),
        new("remaining-calls-variable-name"),
        new("total-calls-header-name"),
    ];

    internal static RateLimitOutputs Parse(PolicyElement element) => new(
        element["retry-after-header-name"] is { Length: > 0 } h ? h : "Retry-After",
        element["retry-after-variable-name"],
        element["remaining-calls-header-name"],
        element["remaining-calls-variable-name"],
        element["total-calls-header-name"]);
}
