using Tollgate.Core.Policies.Definitions;
using Tollgate.Gateway.Policies;

namespace Tollgate.UnitTests.Policies;

/// <summary>
/// The two halves of every policy are registered once each: a definition (schema and config) in
/// <see cref="PolicyDefinitions"/>, a handler factory in <see cref="PolicyHandlerFactories"/>.
/// </summary>
public sealed class PolicyRegistryTests
{
    [Fact]
    public void EveryDefinition_HasAHandlerFactory_OrIsComposedByTheBuilder()
    {
        var built = PolicyHandlerFactories.All.Select(f => f.Definition.Name).Concat(PolicyHandlerFactories.Composed.Select(d => d.Name));

        Assert.Equal(PolicyDefinitions.All.Select(d => d.Name).Order(StringComparer.Ordinal), built.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EveryHandlerFactory_BuildsFromTheRegisteredDefinition()
    {
        foreach (var definition in PolicyHandlerFactories.All.Select(f => f.Definition).Concat(PolicyHandlerFactories.Composed))
        {
            Assert.Same(PolicyDefinitions.Find(definition.Name), definition);
        }
    }

    [Fact]
    public void NoPolicy_IsRegisteredTwice()
    {
        Assert.Equal(PolicyDefinitions.All.Count, PolicyDefinitions.All.Select(d => d.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(PolicyHandlerFactories.All.Count, PolicyHandlerFactories.All.Select(f => f.Definition.Name).Distinct(StringComparer.Ordinal).Count());
    }
}
