using Tollgate.Core.Policies.Definitions.Trace;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.Trace;

/// <summary>Builds <see cref="TraceHandler"/>.</summary>
internal sealed class TraceHandlerFactory() : PolicyHandlerFactory<TraceConfig>(TracePolicy.Instance)
{
    public override PolicyHandler Build(TraceConfig config, PolicyBuildContext context) => new TraceHandler(
        context.Location, config.Source, context.Value(config.Message), config.Metadata.Select(m => (m.Name, context.Value(m.Value))).ToArray());
}
