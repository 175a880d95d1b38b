using Tollgate.Core.Policies.Definitions.QuotaByKey;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.QuotaByKey;

/// <summary>Builds <see cref="QuotaByKeyHandler"/>: the counter key and increment condition may be expressions.</summary>
internal sealed class QuotaByKeyHandlerFactory() : PolicyHandlerFactory<QuotaByKeyConfig>(QuotaByKeyPolicy.Instance)
{
    public override PolicyHandler Build(QuotaByKeyConfig config, PolicyBuildContext context) =>
        new QuotaByKeyHandler(context.Location, config, context.Value(config.CounterKey), context.Optional(config.IncrementCondition), context.Services);
}
