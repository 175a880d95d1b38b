using Tollgate.Portal.Developer;

namespace Tollgate.BrowserTests;

/// <summary>The Try it relay is no open relay: it sends only under the instance's gateway URL.</summary>
public sealed class TryItRelayTests
{
    private const string Gateway = "https://demoazureml.localhost:5443";

    [Theory]
    [InlineData("https://demoazureml.localhost:5443/azureml-demo/workspaces/w/services/s/execute")]
    [InlineData("https://DEMOAZUREML.localhost:5443/x?subscription-key=k")]
    public void UrlsUnderTheGateway_AreAllowed(string url) => Assert.Null(TryItRelay.Check(Gateway, url));

    [Theory]
    [InlineData("https://other.localhost:5443/azureml-demo")]
    [InlineData("http://demoazureml.localhost:5443/azureml-demo")]
    [InlineData("https://demoazureml.localhost:5444/azureml-demo")]
    [InlineData("https://demoazureml.localhost.evil.example:5443/")]
    [InlineData("https://user:pw@demoazureml.localhost:5443/")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/relative")]
    public async Task UrlsOutsideTheGateway_AreRefused_WithoutBeingSent(string url)
    {
        Assert.StartsWith("Try it only sends requests to this instance's gateway", TryItRelay.Check(Gateway, url));
        using var relay = new TryItRelay();
        var response = await relay.SendAsync(Gateway, new TryItRequest("GET", url, [], null), CancellationToken.None);
        Assert.Equal(0, response.Status);
        Assert.StartsWith("Try it only sends requests", response.Problem);
    }

    [Fact]
    public void AnInstanceWithoutGatewayUrl_SendsNothing() =>
        Assert.Equal("This instance has no gateway URL, so Try it cannot send anything.", TryItRelay.Check("", Gateway + "/x"));

    [Fact]
    public void GatewayPathPrefix_IsRequired() =>
        Assert.NotNull(TryItRelay.Check("https://gw.example/apim", "https://gw.example/other/x"));
}
