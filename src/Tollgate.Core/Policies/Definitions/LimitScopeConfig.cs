namespace Tollgate.Core.Policies.Definitions;

/// <summary>
/// An <c>api</c> child of <c>rate-limit</c> or <c>quota</c> (or an <c>operation</c> child of one): a further counter for
/// the calls to that API or operation, matched by <c>id</c>, else by <c>name</c>.
/// </summary>
/// <param name="Id">The API's or operation's id, if given.</param>
/// <param name="Name">The API's or operation's display name, if given.</param>
/// <param name="Calls">Calls allowed per period; null when not given.</param>
/// <param name="Bandwidth">Kilobytes allowed per period (quota only); null when not given.</param>
/// <param name="RenewalPeriod">The period in seconds.</param>
/// <param name="Operations">The operation children of an <c>api</c>.</param>
public sealed record LimitScopeConfig(string? Id, string? Name, int? Calls, long? Bandwidth, int RenewalPeriod, IReadOnlyList<LimitScopeConfig> Operations)
{
    /// <summary>The schema of an <c>api</c> or <c>operation</c> child: quota's take bandwidth and any period, rate-limit's need calls and 1 to 300 seconds.</summary>
    internal static PolicyElementSpec Spec(string name, bool bandwidth, IReadOnlyList<PolicyElementSpec> children)
    {
        List<PolicyAttributeSpec> attrs =
        [
            new("name", AllowsExpressions: false),
            new("id", AllowsExpressions: false),
            new("calls", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger),
            new("renewal-period", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Max: bandwidth ? null : 300, Min: bandwidth ? null : 1),
        ];
        if (bandwidth)
        {
            attrs.Add(new("bandwidth", AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger));
        }
        else
        {
            attrs[2] = attrs[2] with { Required = true };
        }

        return new PolicyElementSpec { Name = name, Attributes = attrs, Children = children };
    }

    /// <summary>The <c>api</c> children of a rate-limit or quota element, each with its <c>operation</c> children.</summary>
    internal static LimitScopeConfig[] ParseApis(PolicyElement element) => Parse(element, "api");

    private static LimitScopeConfig[] Parse(PolicyElement element, string childName) =>
        element.Children.Where(c => c.Name == childName).Select(child => new LimitScopeConfig(
            child["id"],
            child["name"],
            Absent(child.Int("calls", -1)),
            child.Long("bandwidth"),
            child.Int("renewal-period"),
            childName == "api" ? Parse(child, "operation") : [])).ToArray();

    /// <summary>A count the element leaves out (or that is no count) reads as -1: none.</summary>
    private static int? Absent(int value) => value < 0 ? null : value;

    /// <summary>quota and quota-by-key need a limit of calls, of bandwidth, or both.</summary>
    internal static void RequireCallsOrBandwidth(PolicyElement el, string path, Action<string, string> report)
    {
        if (el.GetAttribute("calls") is null && el.GetAttribute("bandwidth") is null)
        {
            report(path, $"Policy '{el.Name}' requires at least one of the attributes 'calls' and 'bandwidth'.");
        }
    }
}
