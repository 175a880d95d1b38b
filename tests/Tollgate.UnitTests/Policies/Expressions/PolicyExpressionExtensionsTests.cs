using System.Xml.Linq;
using Newtonsoft.Json.Linq;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies.Expressions;

public sealed class PolicyExpressionExtensionsTests
{
    [Fact]
    public void AsJwt_ReadsHeaderAndClaims_WithOrWithoutBearer()
    {
        var token = PolicyExpressionEvaluationTests.Jwt("{\"sub\":\"alice\",\"iss\":\"me\",\"aud\":\"api\",\"roles\":[\"a\",\"b\"],\"iat\":0,\"n\":{\"x\":1}}");

        var jwt = ("Bearer " + token).AsJwt()!;

        Assert.Equal("HS256", jwt.Algorithm);
        Assert.Equal("JWT", jwt.Type);
        Assert.Equal("alice", jwt.Subject);
        Assert.Equal("me", jwt.Issuer);
        Assert.Equal(["api"], jwt.Audiences);
        Assert.Equal(DateTime.UnixEpoch, jwt.IssuedAt);
        Assert.Null(jwt.ExpirationTime);
        Assert.Equal("a,b", jwt.Claims.GetValueOrDefault("roles", ""));
        Assert.Equal("{\"x\":1}", jwt.Claims.GetValueOrDefault("n", ""));
        Assert.True(token.TryParseJwt(out var again));
        Assert.Equal("alice", again.Subject);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b.c")]
    [InlineData("Bearer")]
    public void AsJwt_NotAToken_IsNull(string? input)
    {
        Assert.Null(input.AsJwt());
        Assert.False(input.TryParseJwt(out _));
    }

    [Theory]
    [InlineData("Basic YWRhOnNlY3JldA==", "ada", "secret")]
    [InlineData("YWRhOnNlY3JldA==", "ada", "secret")]
    [InlineData("basic YWRhOg==", "ada", "")]
    public void AsBasic_ReadsCredentials(string input, string user, string password)
    {
        var credentials = input.AsBasic()!;

        Assert.Equal(user, credentials.UserId);
        Assert.Equal(password, credentials.Password);
    }

    [Theory]
    [InlineData("Basic !!!")]
    [InlineData("Basic YWRh")]
    [InlineData("Bearer x y")]
    public void AsBasic_NotBasic_IsNull(string input)
    {
        Assert.Null(input.AsBasic());
    }

    [Fact]
    public void MessageBody_ReadingConsumesUnlessPreserved()
    {
        var body = new MessageBody("{\"a\":[1,2]}");

        Assert.Equal(2, body.As<JObject>(preserveContent: true)["a"]!.Count());
        Assert.Equal(JTokenType.Object, body.As<JToken>(preserveContent: true).Type);
        Assert.Equal("{\"a\":[1,2]}", body.As<string>());
        Assert.Equal("", body.As<string>());
    }

    [Fact]
    public void MessageBody_ReadsXmlAndBytes_AndRefusesOtherTypes()
    {
        var body = new MessageBody("<a><b>1</b></a>");

        Assert.Equal("1", body.As<XElement>(true).Element("b")!.Value);
        Assert.Equal("a", body.As<XDocument>(true).Root!.Name.LocalName);
        Assert.Equal(15, body.As<byte[]>(true).Length);
        Assert.Throws<NotSupportedException>(() => body.As<int>(true));
        Assert.Throws<InvalidCastException>(() => new MessageBody("[1]").As<JObject>());
    }

    [Fact]
    public void Url_ExposesPartsAndQuery()
    {
        var url = new Url("https://gw.local:8443/echo/x?a=1&a=2&b=%20c");

        Assert.Equal(("https", "gw.local", 8443, "/echo/x"), (url.Scheme, url.Host, url.Port, url.Path));
        Assert.Equal("?a=1&a=2&b=%20c", url.QueryString);
        Assert.Equal("1,2", url.Query.GetValueOrDefault("a", ""));
        Assert.Equal(" c", url.Query.GetValueOrDefault("b", ""));
        Assert.Equal("https://gw.local:8443/echo/x?a=1&a=2&b=%20c", url.ToString());
    }
}
