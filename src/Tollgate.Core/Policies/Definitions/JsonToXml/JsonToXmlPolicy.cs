namespace Tollgate.Core.Policies.Definitions.JsonToXml;

/// <summary><c>json-to-xml</c> (inbound, outbound, on-error): a JSON body becomes XML.</summary>
public sealed class JsonToXmlPolicy : PolicyDefinition<JsonToXmlConfig>
{
    private JsonToXmlPolicy()
    {
    }

    public static JsonToXmlPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "json-to-xml",
        Sections = ["inbound", "outbound", "on-error"],
        Attributes =
        [
            new("apply", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["always", "content-type-json"]),
            new("consider-accept-header", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            new("parse-date", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
            new("namespace-separator", AllowsExpressions: false),
            new("namespace-prefix", AllowsExpressions: false),
            new("attribute-block-name", AllowsExpressions: false),
        ],
    };

    public override JsonToXmlConfig Parse(PolicyElement element) => new(
        element["apply"] == "always",
        element.Flag("consider-accept-header", true),
        element.Flag("parse-date", true),
        element["namespace-separator"],
        element["namespace-prefix"] ?? "xmlns",
        element["attribute-block-name"]);
}
