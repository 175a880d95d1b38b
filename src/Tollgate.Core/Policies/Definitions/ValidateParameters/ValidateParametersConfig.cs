namespace Tollgate.Core.Policies.Definitions.ValidateParameters;

/// <summary>A <c>validate-parameters</c>.</summary>
/// <param name="SpecifiedParameterAction">The action for declared parameters.</param>
/// <param name="UnspecifiedParameterAction">The action for undeclared parameters.</param>
/// <param name="ErrorsVariableName">A variable to append the errors to, if any.</param>
/// <param name="Headers">Overrides for headers, if given.</param>
/// <param name="Query">Overrides for query parameters, if given.</param>
/// <param name="Path">Overrides for path parameters, if given.</param>
public sealed record ValidateParametersConfig(
    PolicySetting SpecifiedParameterAction,
    PolicySetting UnspecifiedParameterAction,
    string? ErrorsVariableName,
    ParameterGroupConfig? Headers,
    ParameterGroupConfig? Query,
    ParameterGroupConfig? Path);

/// <summary>A <c>headers</c>, <c>query</c> or <c>path</c> child: its actions (null where it names none) and the action per parameter name.</summary>
public sealed record ParameterGroupConfig(PolicySetting? Specified, PolicySetting? Unspecified, IReadOnlyDictionary<string, PolicySetting> ByName);
