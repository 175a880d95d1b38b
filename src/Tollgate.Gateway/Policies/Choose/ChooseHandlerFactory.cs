using Tollgate.Core.Policies.Definitions.Choose;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Choose;

/// <summary>Builds <see cref="ChooseHandler"/>: each branch's policies at <c>when[n]</c>, the others' at <c>otherwise[1]</c>.</summary>
internal sealed class ChooseHandlerFactory() : PolicyHandlerFactory<ChooseConfig>(ChoosePolicy.Instance)
{
    public override PolicyHandler Build(ChooseConfig config, PolicyBuildContext context)
    {
        var branches = new (PolicyValue, PolicyHandler[])[config.Branches.Count];
        for (var i = 0; i < branches.Length; i++)
        {
            var branch = config.Branches[i];
            branches[i] = (context.Value(branch.Condition), context.Policies(branch.Policies, $"{context.Location.Path}/when[{i + 1}]"));
        }

        var otherwise = config.Otherwise is { } policies ? context.Policies(policies, $"{context.Location.Path}/otherwise[1]") : null;
        return new ChooseHandler(context.Location, branches, otherwise);
    }
}
