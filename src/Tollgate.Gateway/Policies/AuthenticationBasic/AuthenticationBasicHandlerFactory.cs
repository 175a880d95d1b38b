using Tollgate.Core.Policies.Definitions.AuthenticationBasic;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.AuthenticationBasic;

/// <summary>Builds <see cref="AuthenticationBasicHandler"/>.</summary>
internal sealed class AuthenticationBasicHandlerFactory() : PolicyHandlerFactory<AuthenticationBasicConfig>(AuthenticationBasicPolicy.Instance)
{
    public override PolicyHandler Build(AuthenticationBasicConfig config, PolicyBuildContext context) =>
        new AuthenticationBasicHandler(context.Location, context.Value(config.Username), context.Value(config.Password));
}
