namespace Tollgate.Core.Policies.Definitions;

/// <summary>Schema pieces several policies share: value lists, common children and checks.</summary>
internal static class SchemaParts
{
    public static readonly string[] InboundOnly = ["inbound"];

    /// <summary>set-header's and set-query-parameter's <c>exists-action</c>.</summary>
    public static readonly string[] ExistsActions = ["override", "skip", "append", "delete"];

    /// <summary>The actions of the validation policies.</summary>
    public static readonly string[] ValidationActions = ["ignore", "prevent", "detect"];

    /// <summary>A <c>&lt;value&gt;</c> child holding text (set-header, set-query-parameter, check-header).</summary>
    public static readonly PolicyElementSpec Value = new() { Name = "value", AllowsText = true };

    /// <summary><c>caching-type</c> of the cache policies.</summary>
    public static readonly PolicyAttributeSpec CachingType =
        new("caching-type", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["internal", "external", "prefer-external"]);

    /// <summary><c>&lt;parameter name action/&gt;</c>, <c>&lt;header name action/&gt;</c>: the action for one name.</summary>
    public static PolicyElementSpec NamedAction(string name) => new()
    {
        Name = name,
        Attributes = [new("name", Required: true, AllowsExpressions: false), new("action", Required: true, Kind: PolicyValueKind.Enumeration, Values: ValidationActions)],
    };

    /// <summary>The element must hold a value as its text.</summary>
    public static void RequireText(PolicyElement el, string path, Action<string, string> report)
    {
        if (string.IsNullOrWhiteSpace(el.Text))
        {
            report(path, $"Policy '{el.Name}' requires a value as its text, e.g. <{el.Name}>POST</{el.Name}>.");
        }
    }

    /// <summary>The element must have a <paramref name="child"/> child.</summary>
    public static void RequireChild(PolicyElement el, string path, string child, Action<string, string> report)
    {
        if (!el.Children.Any(c => c.Name == child))
        {
            report(path, $"Policy '{el.Name}' requires a '{child}' element.");
        }
    }
}
