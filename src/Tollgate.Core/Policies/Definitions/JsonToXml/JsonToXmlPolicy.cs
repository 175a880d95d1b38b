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

    /// <remarks>
    /// Namespaces are read when either namespace attribute is given, the other taking its default: APIM's separator
    /// (an underscore) and prefix (<c>xmlns</c>, "usually", as APIM's page puts it). Without either, names are kept as written.
    /// </remarks>
    public override JsonToXmlConfig Parse(PolicyElement element)
    {
        var separator = element["namespace-separator"] is { Length: > 0 } s ? s : null;
        var prefix = element["namespace-prefix"] is { Length: > 0 } p ? p : null;
        return new(
            element["apply"] == "always",
            element.Flag("consider-accept-header", true),
            element.Flag("parse-date", true),
            separator ?? (prefix is null ? null : "_"),
            prefix ?? "xmlns",
            element["attribute-block-name"]);
    }
}
