using Tollgate.Core.Policies.Definitions.RewriteUri;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.RewriteUri;

/// <summary>Builds <see cref="RewriteUriHandler"/>.</summary>
internal sealed class RewriteUriHandlerFactory() : PolicyHandlerFactory<RewriteUriConfig>(RewriteUriPolicy.Instance)
{
    public override PolicyHandler Build(RewriteUriConfig config, PolicyBuildContext context) =>
        new RewriteUriHandler(context.Location, context.Value(config.Template), config.CopyUnmatchedParams);
}
