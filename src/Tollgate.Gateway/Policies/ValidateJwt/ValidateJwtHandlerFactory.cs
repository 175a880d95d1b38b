using Tollgate.Core.Policies.Definitions.ValidateJwt;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateJwt;

/// <summary>Builds <see cref="ValidateJwtHandler"/>: keys and validation parameters once; OpenID metadata fetched now, off the request path.</summary>
internal sealed class ValidateJwtHandlerFactory() : PolicyHandlerFactory<ValidateJwtConfig>(ValidateJwtPolicy.Instance)
{
    public override PolicyHandler Build(ValidateJwtConfig config, PolicyBuildContext context) => new ValidateJwtHandler(
        context.Location, config, context.Optional(config.TokenValue), context.Optional(config.FailedValidationErrorMessage),
        context.Values(config.Audiences), context.Values(config.Issuers), context.Services);
}
