using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions.SetBody;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.SetBody;

/// <summary>Builds <see cref="LiquidSetBodyHandler"/> for <c>template="liquid"</c> (the template parsed now), else <see cref="SetBodyHandler"/>.</summary>
internal sealed class SetBodyHandlerFactory() : PolicyHandlerFactory<SetBodyConfig>(SetBodyPolicy.Instance)
{
    /// <summary>On the request side it replaces the request body.</summary>
    public override bool ReadsRequestBody(PolicyElement element, bool requestSide) => requestSide;

    public override PolicyHandler Build(SetBodyConfig config, PolicyBuildContext context) => config.Liquid
        ? new LiquidSetBodyHandler(context.Location, config.Body.Text ?? "", context.Target, config.ParseDate, config.XsiNilAsNull)
        : new SetBodyHandler(context.Location, context.Value(config.Body), context.Target);
}
