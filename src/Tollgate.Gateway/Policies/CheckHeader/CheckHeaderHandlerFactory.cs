using Tollgate.Core.Policies.Definitions.CheckHeader;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.CheckHeader;

/// <summary>Builds <see cref="CheckHeaderHandler"/>.</summary>
internal sealed class CheckHeaderHandlerFactory() : PolicyHandlerFactory<CheckHeaderConfig>(CheckHeaderPolicy.Instance)
{
    public override PolicyHandler Build(CheckHeaderConfig config, PolicyBuildContext context) => new CheckHeaderHandler(
        context.Location, config.Name, config.FailedCheckHttpCode, context.Value(config.FailedCheckErrorMessage), config.IgnoreCase, context.Values(config.Values));
}
