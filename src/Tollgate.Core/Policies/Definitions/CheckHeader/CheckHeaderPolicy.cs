namespace Tollgate.Core.Policies.Definitions.CheckHeader;

/// <summary><c>check-header</c> (inbound): the header must be present (and hold one of the listed values), else the given status and message.</summary>
public sealed class CheckHeaderPolicy : PolicyDefinition<CheckHeaderConfig>
{
    private CheckHeaderPolicy()
    {
    }

    public static CheckHeaderPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "check-header",
        Sections = SchemaParts.InboundOnly,
        Attributes =
        [
            new("name", Required: true),
            new("failed-check-httpcode", Required: true, Kind: PolicyValueKind.NonNegativeInteger),
            new("failed-check-error-message", Required: true),
            new("ignore-case", Required: true, Kind: PolicyValueKind.Boolean),
        ],
        Children = [SchemaParts.Value],
    };

    public override CheckHeaderConfig Parse(PolicyElement element) => new(
        element["name"] ?? "",
        element.Int("failed-check-httpcode", 401),
        element.Setting("failed-check-error-message"),
        element.Flag("ignore-case", false),
        element.ValueSettings());
}
