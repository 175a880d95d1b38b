namespace Tollgate.Core.Policies.Definitions.ValidateParameters;

/// <summary><c>validate-parameters</c> (inbound, once): the request's headers, query and path parameters against the operation's.</summary>
public sealed class ValidateParametersPolicy : PolicyDefinition<ValidateParametersConfig>
{
    private ValidateParametersPolicy()
    {
    }

    public static ValidateParametersPolicy Instance { get; } = new();

    internal override PolicyElementSpec Schema { get; } = new()
    {
        Name = "validate-parameters",
        Sections = SchemaParts.InboundOnly,
        OncePerDocument = true,
        Attributes =
        [
            new("specified-parameter-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions),
            new("unspecified-parameter-action", Required: true, Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions),
            new("errors-variable-name", AllowsExpressions: false),
        ],
        Children =
        [
            ParameterGroup("headers", unspecified: true),
            ParameterGroup("query", unspecified: true),
            ParameterGroup("path", unspecified: false),
        ],
    };

    public override ValidateParametersConfig Parse(PolicyElement element) => new(
        element.Setting("specified-parameter-action"),
        element.Setting("unspecified-parameter-action"),
        element["errors-variable-name"],
        Group(element.Child("headers")),
        Group(element.Child("query")),
        Group(element.Child("path")));

    private static ParameterGroupConfig? Group(PolicyElement? group) => group is null
        ? null
        : new(group.OptionalSetting("specified-parameter-action"), group.OptionalSetting("unspecified-parameter-action"), group.ActionsByName("parameter"));

    /// <summary>A child of <c>validate-parameters</c> (<c>headers</c>, <c>query</c>, <c>path</c>): overrides of the actions for its parameters.</summary>
    private static PolicyElementSpec ParameterGroup(string name, bool unspecified) => new()
    {
        Name = name,
        Attributes = unspecified
            ? [new("specified-parameter-action", Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions), new("unspecified-parameter-action", Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions)]
            : [new("specified-parameter-action", Kind: PolicyValueKind.Enumeration, Values: SchemaParts.ValidationActions)],
        Children = [SchemaParts.NamedAction("parameter")],
    };
}
