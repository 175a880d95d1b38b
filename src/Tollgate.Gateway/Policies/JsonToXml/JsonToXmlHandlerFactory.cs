using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions.JsonToXml;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.JsonToXml;

/// <summary>Builds <see cref="JsonToXmlHandler"/> on the section's message.</summary>
internal sealed class JsonToXmlHandlerFactory() : PolicyHandlerFactory<JsonToXmlConfig>(JsonToXmlPolicy.Instance)
{
    /// <summary>On the request side it replaces the request body.</summary>
    public override bool ReadsRequestBody(PolicyElement element, bool requestSide) => requestSide;

    public override PolicyHandler Build(JsonToXmlConfig config, PolicyBuildContext context) => new JsonToXmlHandler(
        context.Location, context.Target, config.Always, config.ConsiderAcceptHeader, config.ParseDate, config.NamespaceSeparator, config.NamespacePrefix, config.AttributeBlockName);
}
