namespace Tollgate.Core.Policies.Definitions.XmlToJson;

/// <summary><c>xml-to-json</c> (inbound, outbound, on-error): an XML body becomes JSON.</summary>
public sealed class XmlToJsonPolicy : PolicyDefinition<XmlToJsonConfig>
{
    private XmlToJsonPolicy()
    {
    }

    public static XmlToJsonPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "xml-to-json",
        Sections = ["inbound", "outbound", "on-error"],
        Attributes =
        [
            new("kind", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["javascript-friendly", "direct"]),
            new("apply", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["always", "content-type-xml"]),
            new("consider-accept-header", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            new("always-array-child-elements", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
        ],
    };

    public override XmlToJsonConfig Parse(PolicyElement element) => new(
        element["apply"] == "always",
        element.Flag("consider-accept-header", true),
        element["kind"] == "direct",
        element.Flag("always-array-child-elements", false));
}
