using Tollgate.Core.Policies;
using Tollgate.Core.Policies.Definitions;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies;

/// <summary>
/// The gateway half of one policy (Kong's <c>handler.lua</c>, YARP's <c>ITransformFactory.Build</c>): builds the
/// policy's handler from the config its <see cref="PolicyDefinition"/> reads. Registered in <see cref="PolicyHandlerFactories"/>.
/// </summary>
internal interface IPolicyHandlerFactory
{
    /// <summary>The schema half: the policy's name, and how its element is read.</summary>
    PolicyDefinition Definition { get; }

    /// <summary>The handler of a valid element, built once per snapshot and shared by every request.</summary>
    /// <exception cref="PolicyBuildException">The element cannot become a handler (the snapshot keeps its last good pipeline).</exception>
    PolicyHandler Build(PolicyElement element, PolicyBuildContext context);

    /// <summary>
    /// Whether the policy itself reads or replaces the request body (in inbound or backend when
    /// <paramref name="requestSide"/>), so the pipeline buffers it before inbound runs. Expressions that read the
    /// body are found by the builder, whatever the policy.
    /// </summary>
    bool ReadsRequestBody(PolicyElement element, bool requestSide) => false;
}

/// <summary>A factory that builds from the typed config of its definition.</summary>
internal abstract class PolicyHandlerFactory<TConfig>(PolicyDefinition<TConfig> definition) : IPolicyHandlerFactory
    where TConfig : class
{
    public PolicyDefinition Definition => definition;

    public virtual bool ReadsRequestBody(PolicyElement element, bool requestSide) => false;

    public PolicyHandler Build(PolicyElement element, PolicyBuildContext context)
    {
        TConfig config;
        try
        {
            config = definition.Parse(element);
        }
        catch (PolicyConfigException e)
        {
            throw context.Error(e.Message, e);
        }

        return Build(config, context);
    }

    /// <summary>The handler of <paramref name="config"/>: settings resolved to values, nested policies built.</summary>
    public abstract PolicyHandler Build(TConfig config, PolicyBuildContext context);
}
