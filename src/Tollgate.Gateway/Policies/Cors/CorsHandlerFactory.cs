using Tollgate.Core.Policies.Definitions.Cors;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Cors;

/// <summary>Builds <see cref="CorsHandler"/>: origins, methods and headers as sets, once.</summary>
internal sealed class CorsHandlerFactory() : PolicyHandlerFactory<CorsConfig>(CorsPolicy.Instance)
{
    public override PolicyHandler Build(CorsConfig config, PolicyBuildContext context) =>
        new CorsHandler(context.Location, config, context.Value(config.AllowCredentials), context.Value(config.TerminateUnmatchedRequest));
}
