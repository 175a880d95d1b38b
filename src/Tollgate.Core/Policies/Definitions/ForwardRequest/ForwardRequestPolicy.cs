using System.Globalization;

namespace Tollgate.Core.Policies.Definitions.ForwardRequest;

/// <summary><c>forward-request</c> (backend): sends the request to the backend with a timeout.</summary>
public sealed class ForwardRequestPolicy : PolicyDefinition<ForwardRequestConfig>
{
    private ForwardRequestPolicy()
    {
    }

    public static ForwardRequestPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "forward-request",
        Sections = ["backend"],
        Attributes =
        [
            // A timer holds at most int.MaxValue milliseconds.
            new("timeout", Kind: PolicyValueKind.NonNegativeInteger, Max: int.MaxValue / 1000),
            new("timeout-ms", Kind: PolicyValueKind.NonNegativeInteger, Max: int.MaxValue),
            new("continue-timeout", Kind: PolicyValueKind.NonNegativeInteger),
            new("http-version", Kind: PolicyValueKind.Enumeration, Values: ["1", "2or1", "2"]),
            new("follow-redirects", Kind: PolicyValueKind.Boolean),
            new("buffer-request-body", Kind: PolicyValueKind.Boolean),
            new("buffer-response", Kind: PolicyValueKind.Boolean),
            new("fail-on-error-status-code", Kind: PolicyValueKind.Boolean),
        ],
    };

    /// <remarks>A <c>timeout-ms</c> that is not a number (an expression) is a <see cref="FormatException"/>, as a build failure.</remarks>
    public override ForwardRequestConfig Parse(PolicyElement element) => new(
        element["timeout-ms"] is { } ms ? TimeSpan.FromMilliseconds(long.Parse(ms, CultureInfo.InvariantCulture)) : TimeSpan.FromSeconds(element.Int("timeout", 300)),
        element.Flag("fail-on-error-status-code", false));
}
