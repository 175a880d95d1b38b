using System.Globalization;

namespace Tollgate.Core.Policies.Definitions.ValidateStatusCode;

/// <summary><c>validate-status-code</c> (outbound, on-error): a response status the operation does not declare.</summary>
public sealed class ValidateStatusCodePolicy : PolicyDefinition<ValidateStatusCodeConfig>
{
    private ValidateStatusCodePolicy()
    {
    }

    public static ValidateStatusCodePolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "validate-status-code",
        Sections = ["outbound", "on-error"],
        Attributes =
        [
            new("unspecified-status-code-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions),
            new("errors-variable-name", AllowsExpressions: false),
        ],
        Children =
        [
            new PolicyElementSpec
            {
                Name = "status-code",
                Attributes =
                [
                    new("code", Required: true, AllowsExpressions: false, Kind: PolicyValueKind.NonNegativeInteger, Min: 100, Max: 599),
                    new("action", Required: true, Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions),
                ],
            },
        ],
    };

    public override ValidateStatusCodeConfig Parse(PolicyElement element) => new(
        element.Setting("unspecified-status-code-action"),
        element["errors-variable-name"],
        element.ChildrenNamed("status-code").Select(c => new StatusCodeAction(int.Parse((c["code"] ?? "").Trim(), CultureInfo.InvariantCulture), c.Setting("action"))).ToArray());
}
