using Tollgate.Core.Policies.Definitions.ValidateStatusCode;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateStatusCode;

/// <summary>Builds <see cref="ValidateStatusCodeHandler"/>.</summary>
internal sealed class ValidateStatusCodeHandlerFactory() : PolicyHandlerFactory<ValidateStatusCodeConfig>(ValidateStatusCodePolicy.Instance)
{
    public override PolicyHandler Build(ValidateStatusCodeConfig config, PolicyBuildContext context) => new ValidateStatusCodeHandler(
        context.Location,
        context.Value(config.UnspecifiedStatusCodeAction),
        config.ErrorsVariableName,
        config.StatusCodes.Select(c => (c.Code, context.Value(c.Action))).ToArray());
}
