namespace Tollgate.Core.Policies.Definitions.SetBody;

/// <summary><c>set-body</c>: replaces the request's or response's body with a literal, an expression's value or a Liquid template (also a child of return-response and send-request).</summary>
public sealed class SetBodyPolicy : PolicyDefinition<SetBodyConfig>
{
    private SetBodyPolicy()
    {
    }

    public static SetBodyPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "set-body",
        Attributes =
        [
            new("template", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["liquid", "none"]),
            new("xsi-nil", AllowsExpressions: false, Kind: PolicyValueKind.Enumeration, Values: ["blank", "null"]),
            new("parse-date", AllowsExpressions: false, Kind: PolicyValueKind.Boolean),
        ],
        AllowsText = true,
    };

    public override SetBodyConfig Parse(PolicyElement element) =>
        new(element.TextSetting(), element["template"]?.Trim() == "liquid", element.Flag("parse-date", true), element["xsi-nil"]?.Trim() == "null");
}
