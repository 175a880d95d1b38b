using Tollgate.Core.Policies.Definitions.RateLimit;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.RateLimit;

/// <summary>Builds <see cref="RateLimitHandler"/>: its counters are per subscription within the policy's scope.</summary>
internal sealed class RateLimitHandlerFactory() : PolicyHandlerFactory<RateLimitConfig>(RateLimitPolicy.Instance)
{
    public override PolicyHandler Build(RateLimitConfig config, PolicyBuildContext context) =>
        new RateLimitHandler(context.Location, config, context.ScopeKey, context.Services);
}
