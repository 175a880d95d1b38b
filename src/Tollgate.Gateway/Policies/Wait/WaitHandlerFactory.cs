using Tollgate.Core.Policies.Definitions.Wait;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Wait;

/// <summary>Builds <see cref="WaitHandler"/> with its policies.</summary>
internal sealed class WaitHandlerFactory() : PolicyHandlerFactory<WaitConfig>(WaitPolicy.Instance)
{
    public override PolicyHandler Build(WaitConfig config, PolicyBuildContext context) =>
        new WaitHandler(context.Location, context.Value(config.For), context.Policies(config.Policies));
}
