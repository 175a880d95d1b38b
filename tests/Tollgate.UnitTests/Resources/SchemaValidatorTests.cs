using System.Text.Json.Nodes;
using Tollgate.Core.Resources;

namespace Tollgate.UnitTests.Resources;

public sealed class SchemaValidatorTests
{
    private static (JsonObject Result, List<ValidationError> Errors) Validate(string json, ObjectSchema schema)
    {
        var errors = new List<ValidationError>();
        var result = SchemaValidator.Validate((JsonObject)JsonNode.Parse(json)!, schema, "", errors, applyDefaults: true);
        return (result, errors);
    }

    [Fact]
    public void Api_Defaults_AreApimDefaults()
    {
        var (api, errors) = Validate("""{"displayName":"x","path":"p"}""", ResourceSchemas.Api);

        Assert.Empty(errors);
        Assert.True((bool)api["subscriptionRequired"]!);
        Assert.Equal(["https"], api["protocols"]!.AsArray().Select(p => (string)p!));
        Assert.Equal("Ocp-Apim-Subscription-Key", (string?)api["subscriptionKeyParameterNames"]!["header"]);
        Assert.Equal("subscription-key", (string?)api["subscriptionKeyParameterNames"]!["query"]);
        Assert.Equal("http", (string?)api["type"]);
    }

    [Fact]
    public void EveryError_IsCollected_WithItsTarget()
    {
        var (_, errors) = Validate("""{"displayName":7,"path":"a?b","protocols":["http","gopher"],"subscriptionKeyParameterNames":{"header":"bad header"}}""", ResourceSchemas.Api);

        Assert.Equal(
            ["displayName", "path", "protocols[1]", "subscriptionKeyParameterNames.header"],
            errors.Select(e => e.Target));
    }

    [Fact]
    public void ReadOnlyAndUnknownFields_AreDropped_EnumCasingNormalized()
    {
        var (product, errors) = Validate("""{"displayName":"p","state":"PUBLISHED","builtIn":true,"colour":"red"}""", ResourceSchemas.Product);

        Assert.Empty(errors);
        Assert.Equal("published", (string?)product["state"]);
        Assert.False(product.ContainsKey("colour"));
    }

    [Fact]
    public void Integer_Range_IsChecked()
    {
        var (_, errors) = Validate("""{"displayName":"o","method":"GET","urlTemplate":"/","responses":[{"statusCode":999}]}""", ResourceSchemas.Operation);

        Assert.Equal([new ValidationError("responses[0].statusCode", "'statusCode' must be between 100 and 599.")], errors);
    }
}
