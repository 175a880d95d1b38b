using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions.FindAndReplace;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.FindAndReplace;

/// <summary>Builds <see cref="FindAndReplaceHandler"/>.</summary>
internal sealed class FindAndReplaceHandlerFactory() : PolicyHandlerFactory<FindAndReplaceConfig>(FindAndReplacePolicy.Instance)
{
    /// <summary>On the request side it replaces the request body.</summary>
    public override bool ReadsRequestBody(PolicyElement element, bool requestSide) => requestSide;

    public override PolicyHandler Build(FindAndReplaceConfig config, PolicyBuildContext context) =>
        new FindAndReplaceHandler(context.Location, context.Value(config.From), context.Value(config.To), context.Target);
}
