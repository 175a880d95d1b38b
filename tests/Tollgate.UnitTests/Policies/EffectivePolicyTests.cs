using Tollgate.Core.Policies;

namespace Tollgate.UnitTests.Policies;

public sealed class EffectivePolicyTests
{
    private static PolicyDocument Doc(string inbound, string? outbound = null) =>
        PolicyDocument.Parse($"<policies><inbound>{inbound}</inbound>{(outbound is null ? "" : $"<outbound>{outbound}</outbound>")}</policies>");

    private static IEnumerable<string> Names(IReadOnlyList<EffectivePolicyElement> section) =>
        section.Select(e => $"{e.Scope}:{e.Element.Name}");

    [Fact]
    public void StarterProduct_OperationWithoutPolicies_GetsTheProductsPolicies()
    {
        var product = PolicyDocument.Parse("<policies><inbound><base /><rate-limit calls=\"5\" renewal-period=\"60\" /><quota calls=\"100\" renewal-period=\"604800\" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>");

        var effective = EffectivePolicy.Merge(null, product, null, null);

        Assert.Equal(["Product:rate-limit", "Product:quota"], Names(effective.Inbound));
        Assert.Empty(effective.Backend);
        Assert.Empty(effective.Outbound);
    }

    [Fact]
    public void Base_IsReplacedWhereItStands_AtEveryLevel()
    {
        var global = Doc("<trace source=\"g\" /><base />");
        var product = Doc("<base /><rate-limit calls=\"5\" renewal-period=\"60\" />");
        var api = Doc("<set-header name=\"a\" /><base /><set-query-parameter name=\"q\" />");
        var operation = Doc("<base /><set-variable name=\"v\" value=\"1\" />");

        var effective = EffectivePolicy.Merge(global, product, api, operation);

        Assert.Equal(
            ["Api:set-header", "Global:trace", "Product:rate-limit", "Api:set-query-parameter", "Operation:set-variable"],
            Names(effective.Inbound));
    }

    [Fact]
    public void SectionWithoutBase_DropsParentPolicies()
    {
        var product = Doc("<rate-limit calls=\"5\" renewal-period=\"60\" />");
        var api = Doc("<set-header name=\"only\" />");

        var effective = EffectivePolicy.Merge(null, product, api, null);

        Assert.Equal(["Api:set-header"], Names(effective.Inbound));
    }

    [Fact]
    public void MissingSection_InheritsTheParentsSection()
    {
        var global = Doc("<base />", outbound: "<set-header name=\"g\" />");
        var api = Doc("<set-header name=\"a\" />");

        var effective = EffectivePolicy.Merge(global, null, api, null);

        Assert.Equal(["Global:set-header"], Names(effective.Outbound));
        Assert.Equal(["Api:set-header"], Names(effective.Inbound));
    }

    [Fact]
    public void NoDocuments_IsEmpty()
    {
        Assert.Empty(EffectivePolicy.Empty.Inbound);
        Assert.Empty(EffectivePolicy.Merge(null, null, null, null).OnError);
    }
}
