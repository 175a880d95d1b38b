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

    // The backend starts from APIM's default global policy, <backend><forward-request /></backend>.
    [Theory]
    [InlineData(null, null, 0)] // no document anywhere
    [InlineData("<policies><inbound /></policies>", null, 0)] // no backend section
    [InlineData("<policies><backend><base /></backend></policies>", "<policies><backend><base /></backend></policies>", 0)]
    [InlineData("<policies><backend><forward-request /></backend></policies>", "<policies><backend><base /></backend></policies>", null)] // the global's own forward-request
    [InlineData(null, "<policies><backend><!-- no forwarding to backend --></backend></policies>", null)] // APIM's example: emptied
    [InlineData("<policies><backend /></policies>", "<policies><backend><base /></backend></policies>", null)]
    [InlineData(null, "<policies><backend><set-variable name=\"a\" value=\"1\" /><base /><set-variable name=\"b\" value=\"2\" /></backend></policies>", 1)]
    [InlineData("<policies><backend><set-variable name=\"g\" value=\"1\" /><base /></backend></policies>", "<policies><backend><set-variable name=\"a\" value=\"1\" /><base /></backend></policies>", 2)]
    public void Backend_DefaultForwardRequest_StandsWhereBaseLeadsToIt(string? global, string? api, int? at)
    {
        var effective = EffectivePolicy.Merge(
            global is null ? null : PolicyDocument.Parse(global), null, api is null ? null : PolicyDocument.Parse(api), null);

        Assert.Equal(at, effective.DefaultForwardAt);
    }

    [Fact]
    public void NoDocuments_IsEmpty()
    {
        Assert.Empty(EffectivePolicy.Empty.Inbound);
        Assert.Empty(EffectivePolicy.Merge(null, null, null, null).OnError);
    }
}
