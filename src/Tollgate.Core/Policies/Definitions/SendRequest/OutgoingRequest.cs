using Tollgate.Core.Policies.Definitions.SetHeader;

namespace Tollgate.Core.Policies.Definitions.SendRequest;

/// <summary>What send-request and send-one-way-request share: the children that describe the request, and how they are read.</summary>
internal static class OutgoingRequest
{
    /// <summary>The children of <c>send-request</c> and <c>send-one-way-request</c>: the request they send.</summary>
    public static readonly PolicyElementSpec[] Children =
    [
        new PolicyElementSpec { Name = "set-url", AllowsText = true, Extra = SchemaParts.RequireText },
        new PolicyElementSpec { Name = "set-method", AllowsText = true, Extra = SchemaParts.RequireText },
        SetHeaderPolicy.Instance.Schema,
        SetBody.SetBodyPolicy.Instance.Schema,
    ];

    /// <summary>In mode <c>new</c> (the default) the request needs a <c>set-url</c>.</summary>
    public static Action<PolicyElement, string, Action<string, string>> RequiresSetUrl(string policy) => (el, path, report) =>
    {
        if (el["mode"] is null or "new" && !el.Children.Any(c => c.Name == "set-url"))
        {
            report(path, $"Policy '{policy}' requires a 'set-url' element when mode is 'new'.");
        }
    };

    public static SendRequestConfig Parse(PolicyElement element, string? variable) => new(
        element["mode"] == "copy",
        variable,
        TimeSpan.FromSeconds(element.Int("timeout", 60)),
        element.Flag("ignore-error", false),
        element.Child("set-url")?.TextSetting(),
        element.Child("set-method")?.TextSetting(),
        element.ChildrenNamed("set-header").Select(SetHeaderPolicy.Instance.Parse).ToArray(),
        element.Child("set-body")?.TextSetting());
}
