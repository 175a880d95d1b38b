using Tollgate.Core.Policies.Definitions.ValidateHeaders;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateHeaders;

/// <summary>Builds <see cref="ValidateHeadersHandler"/>.</summary>
internal sealed class ValidateHeadersHandlerFactory() : PolicyHandlerFactory<ValidateHeadersConfig>(ValidateHeadersPolicy.Instance)
{
    public override PolicyHandler Build(ValidateHeadersConfig config, PolicyBuildContext context) => new ValidateHeadersHandler(
        context.Location,
        context.Value(config.SpecifiedHeaderAction),
        context.Value(config.UnspecifiedHeaderAction),
        config.ErrorsVariableName,
        config.ByName.ToDictionary(p => p.Key, p => context.Value(p.Value), StringComparer.Ordinal));
}
