using Tollgate.Core.Policies.Definitions.Jsonp;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Jsonp;

/// <summary>Builds <see cref="JsonpHandler"/>.</summary>
internal sealed class JsonpHandlerFactory() : PolicyHandlerFactory<JsonpConfig>(JsonpPolicy.Instance)
{
    public override PolicyHandler Build(JsonpConfig config, PolicyBuildContext context) => new JsonpHandler(context.Location, context.Value(config.CallbackParameterName));
}
