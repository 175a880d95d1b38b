using Tollgate.Core.Policies.Definitions.LimitConcurrency;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.LimitConcurrency;

/// <summary>Builds <see cref="LimitConcurrencyHandler"/> with its policies; the counters are the gateway process's.</summary>
internal sealed class LimitConcurrencyHandlerFactory() : PolicyHandlerFactory<LimitConcurrencyConfig>(LimitConcurrencyPolicy.Instance)
{
    public override PolicyHandler Build(LimitConcurrencyConfig config, PolicyBuildContext context) => new LimitConcurrencyHandler(
        context.Location, context.Value(config.Key), config.MaxCount, context.Policies(config.Policies), context.Services.Concurrency);
}
