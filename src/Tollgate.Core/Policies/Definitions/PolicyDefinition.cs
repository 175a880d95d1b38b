namespace Tollgate.Core.Policies.Definitions;

/// <summary>
/// The schema half of one policy (Kong's <c>schema.lua</c>, YARP's <c>ITransformFactory.Validate</c>): the rules
/// <see cref="PolicyValidator"/> checks its element against (attributes, their kinds, children, sections, the checks
/// that span several attributes) and how a valid element becomes the typed config the gateway builds its handler from.
/// Management validates with it without a gateway; the gateway's handler factory names its definition.
/// Registered in <see cref="PolicyDefinitions"/>.
/// </summary>
public abstract class PolicyDefinition
{
    private protected PolicyDefinition()
    {
    }

    /// <summary>The policy's element name, e.g. <c>rate-limit</c>.</summary>
    public string Name => Schema.Name;

    /// <summary>The type of the config <see cref="ParseConfig"/> returns.</summary>
    public abstract Type ConfigType { get; }

    /// <summary>What the validator checks the element against.</summary>
    internal abstract PolicyElementSpec Schema { get; }

    /// <summary>The config of a valid element, for callers that do not know its type.</summary>
    /// <exception cref="PolicyConfigException">The element holds a value its config cannot hold.</exception>
    public abstract object ParseConfig(PolicyElement element);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A policy whose element is read into a <typeparamref name="TConfig"/>.</summary>
/// <typeparam name="TConfig">An immutable record: literal values with their defaults applied, and the settings that may be expressions.</typeparam>
public abstract class PolicyDefinition<TConfig> : PolicyDefinition
    where TConfig : class
{
    private protected PolicyDefinition()
    {
    }

    /// <inheritdoc />
    public sealed override Type ConfigType => typeof(TConfig);

    /// <summary>
    /// Reads a valid element (one <see cref="PolicyValidator"/> accepts) into its config: attributes the element
    /// leaves out get their defaults here, and only here.
    /// </summary>
    /// <exception cref="PolicyConfigException">The element holds a value its config cannot hold.</exception>
    public abstract TConfig Parse(PolicyElement element);

    /// <inheritdoc />
    public sealed override object ParseConfig(PolicyElement element) => Parse(element);
}
