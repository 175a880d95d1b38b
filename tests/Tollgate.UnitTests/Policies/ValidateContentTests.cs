using NJsonSchema;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.ValidateContent;

namespace Tollgate.UnitTests.Policies;

/// <summary>validate-content's reading of content types and its messages for schema violations.</summary>
public sealed class ValidateContentTests
{
    [Theory]
    [InlineData("application/json; charset=utf-8", "application/json")]
    [InlineData("Application/HAL+JSON", "Application/HAL+JSON")]
    [InlineData("  ", null)]
    [InlineData(null, null)]
    [InlineData("not a type;;", "not a type")]
    public void MediaType_DropsParameters(string? contentType, string? expected) =>
        Assert.Equal(expected, ValidateContentHandler.MediaType(contentType));

    [Theory]
    [InlineData("""{"name":"pen"}""", "Required properties are missing from object: quantity.")]
    [InlineData("""{"name":"pen","quantity":"two"}""", "Invalid type at '#/quantity': integer expected.")]
    [InlineData("""{"name":"pen","quantity":0}""", "Number too small at '#/quantity'.")]
    [InlineData("{\n  \"name\": \"pen\",\n  \"quantity\": 1,\n  \"color\": \"red\"\n}", "Property 'color' has not been defined and the schema does not allow additional properties. Line: 4")]
    public async Task Describe_NamesTheProblem_AndWhereItIs(string body, string expected)
    {
        // Arrange
        var schema = await JsonSchema.FromJsonAsync("""
            {"type":"object","required":["name","quantity"],"additionalProperties":false,
             "properties":{"name":{"type":"string"},"quantity":{"type":"integer","minimum":1}}}
            """);

        // Act
        var message = ValidateContentHandler.Describe(schema.Validate(body).First());

        // Assert
        Assert.StartsWith(expected, message);
    }
}
