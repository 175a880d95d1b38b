using Tollgate.Core.Gateway;
using Tollgate.Core.Policies;
using Tollgate.Gateway;
using Tollgate.Gateway.Configuration;

namespace Tollgate.UnitTests.Fuzz;

/// <summary>What the fuzz harness found, pinned: each of these used to throw while a snapshot was built.</summary>
public sealed class FuzzFindingsTests
{
    [Theory]
    [InlineData("", "/~x")]
    [InlineData("echo", "/~")]
    public void TemplateStartingWithATilde_BecomesARoute(string apiPath, string template)
    {
        var snapshot = new GatewaySnapshot
        {
            Revision = 1,
            ServiceName = "fuzz",
            Apis = [new GatewayApi { Id = "api", DisplayName = "api", Path = apiPath, Operations = [new GatewayOperation { Id = "op", DisplayName = "op", Method = "GET", UrlTemplate = template }] }],
        };

        var state = GatewayState.Build(snapshot, new GatewayOptions());

        Assert.Single(state.Routes);
        Assert.Empty(state.Problems);
    }

    [Theory]
    [InlineData("<address>application/json</address>", "'application/json' is not an IP address.")]
    [InlineData("<address-range from=\"10.0.0.1\" to=\"x\" />", "is not a range of IP addresses")]
    [InlineData("<address-range from=\"10.0.0.1\" to=\"::1\" />", "address-range mixes IPv4 and IPv6.")]
    public void IpFilterAddressesTheGatewayCannotRead_AreRefused(string child, string message)
    {
        var error = Assert.Single(PolicyValidator.Validate($"<policies><inbound><ip-filter action=\"forbid\">{child}</ip-filter></inbound></policies>"));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void SetBodyLiquid_IsAccepted_WithItsMarkupAsTheTemplate()
    {
        const string xml = "<policies><outbound><set-body template=\"liquid\"><a x=\"1\">{{body.v}}</a> tail</set-body></outbound></policies>";
        Assert.Empty(PolicyValidator.Validate(xml));

        var setBody = PolicyDocument.Parse(xml).Outbound!.Elements[0];
        Assert.Empty(setBody.Children);
        Assert.Equal("<a x=\"1\">{{body.v}}</a> tail", setBody.Text);
    }

    [Theory]
    [InlineData("<rate-limit calls=\"5\" renewal-period=\"0\" />")]
    [InlineData("<rate-limit calls=\"5\" renewal-period=\"60\"><api name=\"a\" calls=\"1\" renewal-period=\"0\" /></rate-limit>")]
    [InlineData("<rate-limit-by-key calls=\"5\" renewal-period=\"0\" counter-key=\"k\" />")]
    public void RateLimitRenewalPeriodOfZero_IsRefused(string policy)
    {
        var error = Assert.Single(PolicyValidator.Validate($"<policies><inbound>{policy}</inbound></policies>"));

        Assert.Contains("must be at least 1, not '0'", error.Message);
    }

    [Theory]
    [InlineData("timeout-ms=\"9223372036854775807\"")]
    [InlineData("timeout=\"9223372036854775\"")]
    public void ForwardRequestTimeoutBeyondATimer_IsRefused(string attribute)
    {
        var error = Assert.Single(PolicyValidator.Validate($"<policies><backend><forward-request {attribute} /></backend></policies>"));

        Assert.Contains("must be at most", error.Message);
    }
}
