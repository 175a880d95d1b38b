namespace Tollgate.Core.Policies.Definitions.SetHeader;

/// <summary><c>set-header</c>: overrides, skips, appends or deletes a request header (inbound, backend) or response header.</summary>
public sealed class SetHeaderPolicy : PolicyDefinition<SetHeaderConfig>
{
    private SetHeaderPolicy()
    {
    }

    public static SetHeaderPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "set-header",
        Attributes = [new("name", Required: true), new("exists-action", Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ExistsActions)],
        Children = [SchemaParts.Value],
        Extra = static (element, path, report) =>
        {
            // A literal name that is not an HTTP field name (RFC 9110 token) would be dropped on the way out; deleting one is
            // harmless (no message carries it), so only setting one is refused.
            if (element.GetAttribute("name") is { IsExpression: false } name && !IsFieldName(name.Value) && element["exists-action"] != "delete")
            {
                report(path + "/@name", $"Attribute 'name' of 'set-header' must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces), not '{name.Value}'.");
            }
        },
    };

    private static bool IsFieldName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    public override SetHeaderConfig Parse(PolicyElement element) => new(element["name"] ?? "", element["exists-action"] ?? "override", element.ValueSettings());
}
