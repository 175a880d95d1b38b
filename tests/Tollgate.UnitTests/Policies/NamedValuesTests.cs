using Tollgate.Core.Policies;

namespace Tollgate.UnitTests.Policies;

public sealed class NamedValuesTests
{
    private static readonly NamedValues Values = new(
    [
        new NamedValue("calls", "5", Secret: false),
        new NamedValue("Long-Value", "a-much-longer-value-than-the-reference", Secret: false),
        new NamedValue("key", "k3y-s3cret", Secret: true),
    ]);

    [Fact]
    public void References_AreReplacedBeforeParsing_AnyCase()
    {
        var doc = PolicyDocument.Parse("<policies><inbound><rate-limit calls=\"{{CALLS}}\" renewal-period=\"60\" /></inbound></policies>", Values);

        Assert.Equal("5", doc.Inbound!.Elements[0]["calls"]);
    }

    [Fact]
    public void ErrorsAfterASubstitution_PointAtTheAuthorsColumn()
    {
        // The value is longer than its reference: the bad attribute after it is still found where it was written.
        const string xml = "<policies><inbound><set-header name=\"{{Long-Value}}\" exists-action=\"bogus\" /></inbound></policies>";
        var error = Assert.Single(PolicyValidator.Validate(xml, Values));

        Assert.Equal(1, error.Line);
        Assert.Equal(xml.IndexOf("exists-action", StringComparison.Ordinal) + 1, error.Column);
    }

    [Fact]
    public void MissingNames_AreErrorsNamingThem_LiquidOutputsAreNot()
    {
        var errors = PolicyValidator.Validate("<policies>\n<inbound><set-body template=\"liquid\">{{body.x}} {{context.Request.Method}}</set-body><set-header name=\"X\"><value>{{nope}}</value></set-header></inbound></policies>", Values);

        var error = Assert.Single(errors);
        Assert.Equal("Named value 'nope' does not exist.", error.Message);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void SecretValues_AreHiddenInMessages()
    {
        var error = Assert.Single(PolicyValidator.Validate("<policies><inbound><rate-limit calls=\"{{key}}\" renewal-period=\"60\" /></inbound></policies>", Values));

        Assert.DoesNotContain("k3y-s3cret", error.Message);
        Assert.Contains("{{key}}", error.Message);
    }

    [Fact]
    public void Fragments_MayHaveCommentsAroundTheirElement()
    {
        const string fragment = "<!-- APIM's template comment -->\n<fragment>\n  <set-header name=\"X\" exists-action=\"bogus\" />\n</fragment>\n<!-- after -->";
        var error = Assert.Single(PolicyFragment.Validate(fragment));

        Assert.Equal(3, error.Line);
        Assert.Contains("exists-action", error.Path);
    }
}

public sealed class AzureOnlyPolicyTests
{
    [Theory]
    [InlineData("authentication-managed-identity", "managed identity")]
    [InlineData("log-to-eventhub", "Event Hub")]
    [InlineData("validate-azure-ad-token", "validate-jwt")]
    public void AzureOnlyPolicies_AreRefusedByName_SayingWhatToUseInstead(string policy, string hint)
    {
        var error = Assert.Single(PolicyValidator.Validate($"<policies><inbound><{policy} /></inbound></policies>"));

        Assert.Contains($"Policy '{policy}' needs an Azure service", error.Message);
        Assert.Contains(hint, error.Message);
    }
}
