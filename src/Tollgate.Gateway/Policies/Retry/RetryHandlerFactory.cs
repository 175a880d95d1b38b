using Tollgate.Core.Policies.Definitions.Retry;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Retry;

/// <summary>Builds <see cref="RetryHandler"/> with its policies.</summary>
internal sealed class RetryHandlerFactory() : PolicyHandlerFactory<RetryConfig>(RetryPolicy.Instance)
{
    public override PolicyHandler Build(RetryConfig config, PolicyBuildContext context) => new RetryHandler(
        context.Location,
        context.Value(config.Condition),
        context.Value(config.Count),
        context.Value(config.Interval),
        context.Optional(config.MaxInterval),
        context.Optional(config.Delta),
        context.Optional(config.FirstFastRetry),
        context.Policies(config.Policies));
}
