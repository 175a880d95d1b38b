using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions.XmlToJson;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.XmlToJson;

/// <summary>Builds <see cref="XmlToJsonHandler"/> on the section's message.</summary>
internal sealed class XmlToJsonHandlerFactory() : PolicyHandlerFactory<XmlToJsonConfig>(XmlToJsonPolicy.Instance)
{
    /// <summary>On the request side it replaces the request body.</summary>
    public override bool ReadsRequestBody(PolicyElement element, bool requestSide) => requestSide;

    public override PolicyHandler Build(XmlToJsonConfig config, PolicyBuildContext context) => new XmlToJsonHandler(
        context.Location, context.Target, config.Always, config.ConsiderAcceptHeader, config.Direct, config.AlwaysArrayChildElements);
}
