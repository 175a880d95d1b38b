using Tollgate.Routing;

namespace Tollgate.UnitTests.Routing;

public sealed class UrlTemplateTests
{
    [Fact]
    public void Parse_TutorialRrsTemplate_SplitsPathAndQueryParameters()
    {
        var t = UrlTemplate.Parse("/workspaces/{workspace}/services/{service}/execute?api-version={apiversion}&details={details}");

        Assert.Equal("/workspaces/{workspace}/services/{service}/execute", t.Path);
        Assert.Equal(["workspace", "service"], t.PathParameters);
        Assert.Equal([new UrlTemplateQueryPart("api-version", "apiversion", null), new UrlTemplateQueryPart("details", "details", null)], t.Query);
        Assert.Equal(["workspace", "service", "apiversion", "details"], t.AllParameters);
        Assert.Null(t.WildcardName);
    }

    [Theory]
    [InlineData("/users/{id", "has an unclosed '{' at 7")]
    [InlineData("/users/{a{b}}", "has an unclosed '{' at 7")]
    [InlineData("/users/id}", "has a '}' without a matching '{' at 9")]
    [InlineData("/a/*/b", "has a '*' at 3; '*' is only allowed as the last path segment")]
    [InlineData("/a/{}", "has an invalid parameter name '' at 3: the name is empty")]
    [InlineData("/a/{x y}", "has an invalid parameter name 'x y' at 3: ' ' is not allowed in a parameter name")]
    [InlineData("/a/{id}/b/{ID}", "declares the parameter 'ID' twice")]
    [InlineData("/a?q={q", "has an unclosed '{' at 5")]
    [InlineData("/a/{id}?id={id}", "declares the parameter 'id' twice")]
    [InlineData("/files/{*rest}/more", "has text after the wildcard at 14; a wildcard must end the path")]
    [InlineData("", "must not be empty")]
    public void TryParse_BadTemplates_GiveExactMessages(string text, string expected)
    {
        Assert.False(UrlTemplate.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryParse_TooLong_IsRefused()
    {
        Assert.False(UrlTemplate.TryParse("/" + new string('a', 1000), out _, out var error));
        Assert.Equal("must be at most 1000 characters long", error);
    }

    [Theory]
    [InlineData("azureml-demo", "/workspaces/{workspace}/services/{service}/execute?api-version={v}", "/azureml-demo/workspaces/{workspace}/services/{service}/execute")]
    [InlineData("", "/items/{id}", "/items/{id}")]
    [InlineData("echo", "/", "/echo")]
    [InlineData("", "/", "/")]
    [InlineData("echo", "/*", "/echo/{**__tollgate_wildcard}")]
    [InlineData("echo", "/files/{*rest}", "/echo/files/{**rest}")]
    [InlineData("ml/sentiment", "models/{id}:score", "/ml/sentiment/models/{id}:score")]
    public void ToRoutePattern_PrefixesApiPath(string apiPath, string template, string expected)
    {
        Assert.Equal(expected, UrlTemplate.Parse(template).ToRoutePattern(apiPath));
    }

    [Fact]
    public void Parse_LiteralQuery_IsKeptAsLiteral()
    {
        var t = UrlTemplate.Parse("/mode?kind=fast&flag");

        Assert.Equal([new UrlTemplateQueryPart("kind", null, "fast"), new UrlTemplateQueryPart("flag", null, "")], t.Query);
    }
}
