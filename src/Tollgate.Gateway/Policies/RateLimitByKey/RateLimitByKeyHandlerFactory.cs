using Tollgate.Core.Policies.Definitions.RateLimitByKey;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.RateLimitByKey;

/// <summary>Builds <see cref="RateLimitByKeyHandler"/>: every setting but the outputs may be an expression.</summary>
internal sealed class RateLimitByKeyHandlerFactory() : PolicyHandlerFactory<RateLimitByKeyConfig>(RateLimitByKeyPolicy.Instance)
{
    public override PolicyHandler Build(RateLimitByKeyConfig config, PolicyBuildContext context) => new RateLimitByKeyHandler(
        context.Location,
        context.Value(config.Calls),
        context.Value(config.RenewalPeriod),
        context.Value(config.CounterKey),
        context.Optional(config.IncrementCondition),
        context.Value(config.IncrementCount),
        config.Outputs,
        context.Services);
}
