using System.Globalization;

namespace Tollgate.Core.Policies.Definitions;

/// <summary>How definitions read an element into its config: tolerant readers that fall back to the policy's default.</summary>
internal static class PolicyElementReading
{
    /// <summary>The attribute as a setting; a literal null when the element leaves it out.</summary>
    public static PolicySetting Setting(this PolicyElement element, string attribute) =>
        element.GetAttribute(attribute) is { } a ? PolicySetting.Of(a) : PolicySetting.Literal(null);

    /// <summary>The attribute as a setting, or null when the element leaves it out.</summary>
    public static PolicySetting? OptionalSetting(this PolicyElement element, string attribute) =>
        element.GetAttribute(attribute) is { } a ? PolicySetting.Of(a) : null;

    /// <summary>The attribute as a setting, or <paramref name="defaultValue"/> when the element leaves it out.</summary>
    public static PolicySetting Setting(this PolicyElement element, string attribute, string defaultValue) =>
        element.GetAttribute(attribute) is { } a ? PolicySetting.Of(a) : PolicySetting.Literal(defaultValue);

    /// <summary>The element's text as a setting.</summary>
    public static PolicySetting TextSetting(this PolicyElement element) => PolicySetting.OfText(element);

    /// <summary>The texts of the <c>value</c> children (set-header, set-query-parameter, check-header).</summary>
    public static PolicySetting[] ValueSettings(this PolicyElement element) =>
        element.Children.Where(c => c.Name == "value").Select(PolicySetting.OfText).ToArray();

    /// <summary>A non-negative integer attribute, or <paramref name="defaultValue"/> when absent or not one.</summary>
    public static int Int(this PolicyElement element, string attribute, int defaultValue = 0) =>
        element[attribute] is { } v && int.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : defaultValue;

    /// <summary>A non-negative integer attribute, or null when absent or not one.</summary>
    public static long? Long(this PolicyElement element, string attribute) =>
        element[attribute] is { } v && long.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>A boolean attribute, or <paramref name="defaultValue"/> when absent or not one.</summary>
    public static bool Flag(this PolicyElement element, string attribute, bool defaultValue) =>
        bool.TryParse(element[attribute]?.Trim(), out var value) ? value : defaultValue;

    /// <summary>The first child of that name, or null.</summary>
    public static PolicyElement? Child(this PolicyElement element, string name) => element.Children.FirstOrDefault(c => c.Name == name);

    /// <summary>The children of that name, in document order.</summary>
    public static PolicyElement[] ChildrenNamed(this PolicyElement element, string name) => element.Children.Where(c => c.Name == name).ToArray();

    /// <summary>The children of every <paramref name="list"/> child that are named <paramref name="item"/> (<c>&lt;issuers&gt;&lt;issuer&gt;</c>).</summary>
    public static IEnumerable<PolicyElement> Items(this PolicyElement element, string list, string item) =>
        element.Children.Where(c => c.Name == list).SelectMany(c => c.Children).Where(c => c.Name == item);

    /// <summary>The <c>action</c> of each <paramref name="child"/> child by its <c>name</c> (the last wins): validate-parameters' <c>parameter</c>, validate-headers' <c>header</c>.</summary>
    public static IReadOnlyDictionary<string, PolicySetting> ActionsByName(this PolicyElement element, string child)
    {
        var result = new Dictionary<string, PolicySetting>(StringComparer.Ordinal);
        foreach (var c in element.Children.Where(c => c.Name == child))
        {
            result[c["name"] ?? ""] = c.Setting("action");
        }

        return result;
    }
}
