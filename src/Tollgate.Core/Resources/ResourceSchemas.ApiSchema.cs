using System.Text.Json.Nodes;

namespace Tollgate.Core.Resources;

public static partial class ResourceSchemas
{
    /// <summary>Content type of a schema holding Swagger 2.0 <c>definitions</c>.</summary>
    public const string SwaggerDefinitions = "application/vnd.ms-azure-apim.swagger.definitions+json";

    /// <summary>Content type of a schema holding OpenAPI 3 <c>components</c> (its <c>schemas</c> are the definitions).</summary>
    public const string OpenApiComponents = "application/vnd.oai.openapi.components+json";

    /// <summary>
    /// An API schema (<c>apis/{apiId}/schemas/{schemaId}</c>): the definitions that request and response
    /// representations name with <c>schemaId</c> and <c>typeName</c>, which <c>validate-content</c> checks bodies against.
    /// </summary>
    public static readonly ObjectSchema ApiSchema = new("SchemaContractProperties",
    [
        new("contentType", FieldType.String) { Required = true, MinLength = 1, Description = $"{SwaggerDefinitions} (document.definitions), {OpenApiComponents} (document.components.schemas), or an XML schema type (document.value)." },
        new("document", FieldType.Object) { Required = true, Check = CheckSchemaDocument, Description = "{\"definitions\":{name: JSON schema}}, {\"components\":{\"schemas\":{name: JSON schema}}} or {\"value\":\"<text>\"}." },
    ]);

    private static string? CheckSchemaDocument(JsonNode value)
    {
        if (value is not JsonObject document)
        {
            return "'document' must be an object.";
        }

        if (document["definitions"] is { } definitions && definitions is not JsonObject)
        {
            return "'document.definitions' must be an object of JSON schemas by name.";
        }

        if (document["components"] is { } components && (components is not JsonObject c || (c["schemas"] is { } schemas && schemas is not JsonObject)))
        {
            return "'document.components.schemas' must be an object of JSON schemas by name.";
        }

        if (document["value"] is { } text && (text is not JsonValue v || !v.TryGetValue<string>(out _)))
        {
            return "'document.value' must be a string.";
        }

        return document.ContainsKey("definitions") || document.ContainsKey("components") || document.ContainsKey("value")
            ? null
            : "'document' must have 'definitions', 'components' or 'value'.";
    }

    /// <summary>
    /// An instance-level schema (<c>schemas/{schemaId}</c>) that <c>validate-content schema-id</c> names: JSON in
    /// <c>document</c> (or <c>value</c> as text), or XML in <c>value</c>.
    /// </summary>
    public static readonly ObjectSchema GlobalSchema = new("GlobalSchemaContractProperties",
    [
        new("schemaType", FieldType.String) { Required = true, Values = ["json", "xml"], Description = "json: a JSON schema (validate-content validate-as=\"json\"); xml: an XML schema (XSD text in value; validate-content validate-as=\"xml\" or \"soap\")." },
        new("description", FieldType.String) { MaxLength = 2000 },
        new("value", FieldType.String) { Description = "The schema as text (XML, or JSON)." },
        new("document", FieldType.Object) { Description = "The JSON schema as an object." },
    ]);
}
