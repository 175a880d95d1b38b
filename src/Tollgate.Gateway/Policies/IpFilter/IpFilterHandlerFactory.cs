using Tollgate.Core.Policies.Definitions.IpFilter;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.IpFilter;

/// <summary>Builds <see cref="IpFilterHandler"/>: ranges as byte strings, compared with the caller's address bytes.</summary>
internal sealed class IpFilterHandlerFactory() : PolicyHandlerFactory<IpFilterConfig>(IpFilterPolicy.Instance)
{
    public override PolicyHandler Build(IpFilterConfig config, PolicyBuildContext context) => new IpFilterHandler(
        context.Location,
        config.Allow,
        [.. config.Addresses],
        config.Ranges.Select(r => (r.From.GetAddressBytes(), r.To.GetAddressBytes())).ToArray());
}
