namespace Tollgate.Core.Policies.Definitions.ValidateHeaders;

/// <summary><c>validate-headers</c> (outbound, on-error, once): the response's headers against the operation's.</summary>
public sealed class ValidateHeadersPolicy : PolicyDefinition<ValidateHeadersConfig>
{
    private ValidateHeadersPolicy()
    {
    }

    public static ValidateHeadersPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "validate-headers",
        Sections = ["outbound", "on-error"],
        OncePerDocument = true,
        Attributes =
        [
            new("specified-header-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions),
            new("unspecified-header-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions),
            new("errors-variable-name", AllowsExpressions: false),
        ],
        Children = [SchemaParts.NamedAction("header")],
    };

    public override ValidateHeadersConfig Parse(PolicyElement element) => new(
        element.Setting("specified-header-action"),
        element.Setting("unspecified-header-action"),
        element["errors-variable-name"],
        element.ActionsByName("header"));
}
