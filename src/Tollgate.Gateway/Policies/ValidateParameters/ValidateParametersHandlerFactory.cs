using Tollgate.Core.Policies.Definitions.ValidateParameters;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateParameters;

/// <summary>Builds <see cref="ValidateParametersHandler"/>.</summary>
internal sealed class ValidateParametersHandlerFactory() : PolicyHandlerFactory<ValidateParametersConfig>(ValidateParametersPolicy.Instance)
{
    public override PolicyHandler Build(ValidateParametersConfig config, PolicyBuildContext context) => new ValidateParametersHandler(
        context.Location,
        context.Value(config.SpecifiedParameterAction),
        context.Value(config.UnspecifiedParameterAction),
        config.ErrorsVariableName,
        Group(config.Headers, context),
        Group(config.Query, context),
        Group(config.Path, context));

    private static ParameterActions? Group(ParameterGroupConfig? group, PolicyBuildContext context) => group is null
        ? null
        : new ParameterActions(context.Optional(group.Specified), context.Optional(group.Unspecified), group.ByName.ToDictionary(p => p.Key, p => context.Value(p.Value), StringComparer.Ordinal));
}
