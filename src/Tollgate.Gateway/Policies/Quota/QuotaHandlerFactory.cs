using Tollgate.Core.Policies.Definitions.Quota;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Quota;

/// <summary>Builds <see cref="QuotaHandler"/>: its counters are per subscription within the policy's scope.</summary>
internal sealed class QuotaHandlerFactory() : PolicyHandlerFactory<QuotaConfig>(QuotaPolicy.Instance)
{
    public override PolicyHandler Build(QuotaConfig config, PolicyBuildContext context) =>
        new QuotaHandler(context.Location, config, context.ScopeKey, context.Services);
}
