using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Tollgate.Core.Resources;
using Tollgate.Routing;

namespace Tollgate.Management.Api;

/// <summary>
/// The pure part of OpenAPI import and export, as APIM does it: an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML)
/// becomes APIM API <c>properties</c> plus one operation per path and method, and an API with its operations becomes
/// an OpenAPI 3.0 JSON document served through the gateway.
/// </summary>
internal static partial class OpenApiConverter
{
    /// <summary>Longest operation name generated from an operationId or a method and path (APIM's limit).</summary>
    public const int MaxOperationNameLength = 80;

    private const int MaxDisplayNameLength = 300;
    private const int MaxOperationDescriptionLength = 1000;
    private const string HeaderSchemeId = "apiKeyHeader";
    private const string QuerySchemeId = "apiKeyQuery";

    private static readonly string[] SupportedFormats = ["openapi", "openapi+json", "swagger-json"];

    // Fields of the import body that describe the document rather than the API.
    /// <summary>The id of the API schema an import stores the document's reusable schemas in.</summary>
    public const string ImportedSchemaId = "openapi-components";

    private static readonly string[] ImportOnlyFields = ["format", "value", "translateRequiredQueryParameters", "wsdlSelector", "apiType"];

    /// <summary>
    /// Turns an APIM import body <c>{"properties":{"format":...,"value":...,"path":...}}</c> into the API properties and
    /// operations to store. Properties given in the body win over what the document says.
    /// </summary>
    public static ImportedApi FromImportBody(JsonObject body)
    {
        if (body["properties"] is not JsonObject input)
        {
            throw ArmException.Validation("properties", "'properties' is required and must be an object.");
        }

        var format = input["format"] is JsonValue fv && fv.TryGetValue<string>(out var f) ? f.Trim() : null;
        if (string.IsNullOrEmpty(format))
        {
            throw ArmException.Validation("format", "'format' is required: use 'openapi' (YAML), 'openapi+json' or 'swagger-json'.");
        }

        if (format.Contains("link", StringComparison.OrdinalIgnoreCase))
        {
            throw ArmException.Validation("format",
                $"The format '{format}' imports the document from a URL, and links are not supported offline. Put the document text in 'value' and use the format 'openapi' (YAML), 'openapi+json' or 'swagger-json'.");
        }

        if (!SupportedFormats.Contains(format, StringComparer.OrdinalIgnoreCase))
        {
            throw ArmException.Validation("format", $"The format '{format}' is not supported; use 'openapi' (YAML), 'openapi+json' or 'swagger-json'.");
        }

        if (input["value"] is not JsonValue vv || !vv.TryGetValue<string>(out var text))
        {
            throw ArmException.Validation("value", "'value' must be a string holding the OpenAPI or Swagger document.");
        }

        if (input["path"] is null)
        {
            throw ArmException.Validation("path", "'path' is required: the URL suffix under which the gateway serves the API, e.g. \"ml/scoring\".");
        }

        var requiredQueryAsTemplate = true;
        if (input["translateRequiredQueryParameters"] is { } translate)
        {
            var mode = translate is JsonValue tv && tv.TryGetValue<string>(out var m) ? m : null;
            if (string.Equals(mode, "query", StringComparison.OrdinalIgnoreCase))
            {
                requiredQueryAsTemplate = false;
            }
            else if (!string.Equals(mode, "template", StringComparison.OrdinalIgnoreCase))
            {
                throw ArmException.Validation("translateRequiredQueryParameters", "'translateRequiredQueryParameters' must be 'template' or 'query'.");
            }
        }

        var (fromDocument, operations, schema) = Import(text, requiredQueryAsTemplate);
        var api = new JsonObject();
        foreach (var (key, value) in input)
        {
            if (!ImportOnlyFields.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                api[key] = value?.DeepClone();
            }
        }

        foreach (var (key, value) in fromDocument)
        {
            if (api[key] is null)
            {
                api[key] = value?.DeepClone();
            }
        }

        return new ImportedApi(api, operations, schema);
    }

    /// <summary>
    /// Reads an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML) into APIM API properties (without <c>path</c>)
    /// and operations. Required query parameters become template query parameters when
    /// <paramref name="requiredQueryAsTemplate"/> is set (APIM's default), otherwise request query parameters.
    /// </summary>
    public static ImportedApi Import(string text, bool requiredQueryAsTemplate = true)
    {
        var (document, version) = Read(text);
        var api = new JsonObject();
        var info = document.Info;
        if (!string.IsNullOrWhiteSpace(info?.Title))
        {
            api["displayName"] = Truncate(info.Title.Trim(), MaxDisplayNameLength);
        }

        if (!string.IsNullOrWhiteSpace(info?.Description))
        {
            api["description"] = info.Description;
        }

        if (info?.TermsOfService is { } terms)
        {
            api["termsOfServiceUrl"] = terms.OriginalString;
        }

        if (info?.Contact is { } contact && (contact.Name ?? contact.Email ?? contact.Url?.OriginalString) is not null)
        {
            api["contact"] = WithoutNulls(new JsonObject { ["name"] = contact.Name, ["email"] = contact.Email, ["url"] = contact.Url?.OriginalString });
        }

        if (info?.License is { } license && (license.Name ?? license.Url?.OriginalString) is not null)
        {
            api["license"] = WithoutNulls(new JsonObject { ["name"] = license.Name, ["url"] = license.Url?.OriginalString });
        }

        var servers = (document.Servers ?? []).Select(AbsoluteServerUrl).OfType<Uri>().ToList();
        if (servers.Count > 0)
        {
            api["serviceUrl"] = servers[0].OriginalString.TrimEnd('/');
        }

        var protocols = servers.Select(s => s.Scheme.ToLowerInvariant()).Distinct().ToList();
        api["protocols"] = new JsonArray(protocols.Count > 0 ? protocols.Select(p => (JsonNode?)p).ToArray() : ["https"]);

        var operations = new List<(string Name, JsonObject Properties)>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (pathKey, item) in document.Paths ?? [])
        {
            if (item is null)
            {
                continue;
            }

            foreach (var (method, operation) in item.Operations ?? [])
            {
                var upper = method.Method.ToUpperInvariant();
                var name = UniqueName(OperationName(operation.OperationId, upper, pathKey), names);
                operations.Add((name, ConvertOperation(pathKey, item, upper, operation, requiredQueryAsTemplate, version == OpenApiSpecVersion.OpenApi2_0)));
            }
        }

        return new ImportedApi(api, operations, ImportSchema(document));
    }

    /// <summary>
    /// The document's reusable schemas (OpenAPI 3 <c>components.schemas</c>, Swagger 2 <c>definitions</c>) as the
    /// properties of the API schema <see cref="ImportedSchemaId"/>, or null when it has none. Representations whose
    /// schema is a reference to one of them name it with <c>schemaId</c> and <c>typeName</c>, as APIM's import does.
    /// </summary>
    private static JsonObject? ImportSchema(OpenApiDocument document)
    {
        if (document.Components?.Schemas is not { Count: > 0 } schemas)
        {
            return null;
        }

        var definitions = new JsonObject();
        foreach (var (name, schema) in schemas)
        {
            using var text = new StringWriter(CultureInfo.InvariantCulture);
            schema.SerializeAsV3(new OpenApiJsonWriter(text));
            definitions[name] = JsonNode.Parse(text.ToString());
        }

        return new JsonObject
        {
            ["contentType"] = ResourceSchemas.OpenApiComponents,
            ["document"] = new JsonObject { ["components"] = new JsonObject { ["schemas"] = definitions } },
        };
    }

    /// <summary>
    /// Writes an API and its operations as an OpenAPI 3.0 JSON document whose server is the gateway URL plus the API path,
    /// with APIM's subscription-key security schemes when the API requires a subscription.
    /// </summary>
    public static string Export(JsonObject api, IReadOnlyList<(string Name, JsonObject Properties)> operations, string gatewayUrl) =>
        Export(api, operations, gatewayUrl, ExportFormat.OpenApiJson);

    /// <summary>Export as OpenAPI 3.0 JSON or YAML, or as Swagger 2.0 JSON.</summary>
    public static string Export(JsonObject api, IReadOnlyList<(string Name, JsonObject Properties)> operations, string gatewayUrl, ExportFormat format)
    {
        var document = new OpenApiDocument
        {
            Info = new OpenApiInfo
            {
                Title = Text(api, "displayName") ?? "API",
                Description = Text(api, "description"),
                Version = Text(api, "apiVersion") ?? "1.0",
            },
            Paths = [],
        };

        if (Text(api, "termsOfServiceUrl") is { } terms && Uri.TryCreate(terms, UriKind.Absolute, out var termsUri))
        {
            document.Info.TermsOfService = termsUri;
        }

        if (api["contact"] is JsonObject contact)
        {
            document.Info.Contact = new OpenApiContact { Name = Text(contact, "name"), Email = Text(contact, "email"), Url = AbsoluteUri(Text(contact, "url")) };
        }

        if (api["license"] is JsonObject license && Text(license, "name") is { } licenseName)
        {
            document.Info.License = new OpenApiLicense { Name = licenseName, Url = AbsoluteUri(Text(license, "url")) };
        }

        var server = gatewayUrl.TrimEnd('/');
        var suffix = Text(api, "path")?.Trim('/');
        if (!string.IsNullOrEmpty(suffix))
        {
            server += "/" + suffix;
        }

        document.Servers = [new OpenApiServer { Url = server }];

        var items = new Dictionary<string, OpenApiPathItem>(StringComparer.Ordinal);
        foreach (var (name, props) in operations)
        {
            if (!UrlTemplate.TryParse(Text(props, "urlTemplate"), out var template, out _))
            {
                continue;
            }

            var method = new HttpMethod((Text(props, "method") ?? "GET").ToUpperInvariant());
            var key = WildcardName().Replace(template!.Path, "{$1}");
            if (items.TryGetValue(key, out var existing) && existing.Operations?.ContainsKey(method) == true)
            {
                // OpenAPI cannot tell operations apart by their query string; keep the full template as the path key.
                key = template.Text.StartsWith('/') ? template.Text : "/" + template.Text;
            }

            if (!items.TryGetValue(key, out var item))
            {
                item = new OpenApiPathItem();
                items[key] = item;
                document.Paths[key] = item;
            }

            if (item.Operations?.ContainsKey(method) == true)
            {
                continue;
            }

            item.AddOperation(method, ExportOperation(name, props, template));
        }

        if (api["subscriptionRequired"] is not JsonValue required || !required.TryGetValue<bool>(out var isRequired) || isRequired)
        {
            var keyNames = api["subscriptionKeyParameterNames"] as JsonObject;
            document.Components = new OpenApiComponents
            {
                SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    [HeaderSchemeId] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey,
                        Name = Text(keyNames, "header") ?? ResourceSchemas.DefaultKeyHeader,
                        In = ParameterLocation.Header,
                    },
                    [QuerySchemeId] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey,
                        Name = Text(keyNames, "query") ?? ResourceSchemas.DefaultKeyQuery,
                        In = ParameterLocation.Query,
                    },
                },
            };
            document.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(HeaderSchemeId, document, null)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(QuerySchemeId, document, null)] = [] },
            ];
        }

        using var text = new StringWriter(CultureInfo.InvariantCulture);
        switch (format)
        {
            case ExportFormat.OpenApiYaml:
                document.SerializeAsV3(new OpenApiYamlWriter(text));
                break;
            case ExportFormat.SwaggerJson:
                document.SerializeAsV2(new OpenApiJsonWriter(text));
                break;
            default:
                document.SerializeAsV3(new OpenApiJsonWriter(text));
                break;
        }

        return text.ToString();
    }

    // ---- reading ----

    /// <summary>Parses the document text; anything unreadable is a 400 naming <c>value</c>.</summary>
    internal static (OpenApiDocument Document, OpenApiSpecVersion Version) Read(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw ArmException.Validation("value", "'value' is empty; it must hold the OpenAPI or Swagger document text.");
        }

        var trimmed = text.TrimStart();
        var isJson = trimmed.StartsWith('{') || trimmed.StartsWith('[');
        if (isJson)
        {
            try
            {
                using var _ = JsonDocument.Parse(text);
            }
            catch (JsonException ex)
            {
                throw ArmException.Validation("value",
                    $"The document is not valid JSON: {PlainJsonMessage(ex.Message)} (line {(ex.LineNumber ?? 0) + 1}, position {(ex.BytePositionInLine ?? 0) + 1}).");
            }
        }

        var settings = new OpenApiReaderSettings
        {
            LoadExternalRefs = false,
            RuleSet = ValidationRuleSet.GetEmptyRuleSet(),
        };
        settings.AddYamlReader();
        ReadResult result;
        try
        {
            result = OpenApiDocument.Parse(text, isJson ? OpenApiConstants.Json : OpenApiConstants.Yaml, settings);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ArmException.Validation("value", $"The document could not be read as OpenAPI 3.x or Swagger 2.0: {ex.Message}");
        }

        if (result.Document is null)
        {
            var errors = result.Diagnostic?.Errors ?? [];
            var details = errors.Count == 0 ? "it is not an OpenAPI 3.x or Swagger 2.0 document." : string.Join("; ", errors.Take(3).Select(Describe));
            throw ArmException.Validation("value", $"The document could not be read as OpenAPI 3.x or Swagger 2.0: {details}");
        }

        return (result.Document, result.Diagnostic?.SpecificationVersion ?? OpenApiSpecVersion.OpenApi3_0);
    }

    private static string Describe(OpenApiError error) =>
        string.IsNullOrEmpty(error.Pointer) || error.Pointer.StartsWith("#line=", StringComparison.Ordinal)
            ? error.Message
            : $"{error.Message} (at {error.Pointer})";

    private static string PlainJsonMessage(string message)
    {
        // System.Text.Json appends " Path: $.x | LineNumber: 0 | BytePositionInLine: 3."; the position is reported 1-based instead.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        return (cut < 0 ? message : message[..cut]).TrimEnd('.', ' ');
    }

    private static Uri? AbsoluteServerUrl(OpenApiServer server)
    {
        string? url;
        try
        {
            url = server.Variables is { Count: > 0 } ? server.ReplaceServerUrlVariables([]) : server.Url;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            url = server.Url;
        }

        if (url?.StartsWith("//", StringComparison.Ordinal) == true)
        {
            // Swagger 2.0 with a host but no schemes: the scheme of the document's own URL, which is unknown here.
            url = "https:" + url;
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
            ? uri
            : null;
    }

    private static JsonObject ConvertOperation(string pathKey, IOpenApiPathItem item, string method, OpenApiOperation operation, bool requiredQueryAsTemplate, bool swagger2)
    {
        var parameters = MergeParameters(item.Parameters, operation.Parameters);
        var q = pathKey.IndexOf('?');
        var path = q < 0 ? pathKey : pathKey[..q];
        var keyQuery = q < 0 ? string.Empty : pathKey[(q + 1)..];
        if (!path.StartsWith('/'))
        {
            path = "/" + path;
        }

        // A path key may already carry a query template (how export writes operations that differ only by query).
        var keyQueryParameters = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var part in keyQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var value = eq < 0 ? string.Empty : part[(eq + 1)..];
            keyQueryParameters[eq < 0 ? part : part[..eq]] = value.StartsWith('{') && value.EndsWith('}') ? value[1..^1] : null;
        }

        var templateParameters = new JsonArray();
        var declared = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var queryParameters = new JsonArray();
        var headers = new JsonArray();
        var query = new List<string>();
        if (keyQuery.Length > 0)
        {
            query.Add(keyQuery);
        }

        var pathNames = PathParameter().Matches(path).Select(m => m.Groups[1].Value).ToList();
        foreach (var pathName in pathNames)
        {
            var parameter = parameters.FirstOrDefault(p => p.In == ParameterLocation.Path && string.Equals(p.Name, pathName, StringComparison.OrdinalIgnoreCase));
            if (declared.Add(pathName))
            {
                templateParameters.Add(ToParameter(parameter, pathName, required: true));
            }
        }

        foreach (var parameter in parameters.Where(p => p.In == ParameterLocation.Query))
        {
            var name = parameter.Name!;
            if (keyQueryParameters.TryGetValue(name, out var bound))
            {
                if (bound is not null && declared.Add(bound))
                {
                    templateParameters.Add(ToParameter(parameter, bound, required: true));
                }

                continue;
            }

            if (parameter.Required && requiredQueryAsTemplate && IsTemplateParameterName(name) && !declared.Contains(name))
            {
                declared.Add(name);
                query.Add($"{name}={{{name}}}");
                templateParameters.Add(ToParameter(parameter, name, required: true));
            }
            else
            {
                queryParameters.Add(ToParameter(parameter, name, parameter.Required));
            }
        }

        foreach (var bound in keyQueryParameters.Values.OfType<string>().Where(declared.Add))
        {
            templateParameters.Add(ToParameter(null, bound, required: true));
        }

        foreach (var parameter in parameters.Where(p => p.In == ParameterLocation.Header))
        {
            headers.Add(ToParameter(parameter, parameter.Name!, parameter.Required));
        }

        var request = new JsonObject();
        var representations = new JsonArray();
        if (operation.RequestBody is { } body)
        {
            if (!string.IsNullOrWhiteSpace(body.Description))
            {
                request["description"] = body.Description;
            }

            foreach (var (contentType, media) in body.Content ?? new Dictionary<string, IOpenApiMediaType>())
            {
                representations.Add(ToRepresentation(contentType, media));
            }
        }

        request["queryParameters"] = queryParameters;
        request["headers"] = headers;
        request["representations"] = representations;

        var result = new JsonObject
        {
            ["displayName"] = Truncate(FirstNonBlank(operation.Summary, operation.OperationId) ?? $"{method} {pathKey}", MaxDisplayNameLength),
            ["method"] = method,
            ["urlTemplate"] = query.Count == 0 ? path : path + "?" + string.Join("&", query),
            ["templateParameters"] = templateParameters,
        };
        if (FirstNonBlank(operation.Description, item.Description) is { } description)
        {
            result["description"] = Truncate(description, MaxOperationDescriptionLength);
        }

        result["request"] = request;
        result["responses"] = ToResponses(operation.Responses, swagger2);
        return result;
    }

    private static List<IOpenApiParameter> MergeParameters(IList<IOpenApiParameter>? pathLevel, IList<IOpenApiParameter>? operationLevel)
    {
        var merged = new List<IOpenApiParameter>();
        foreach (var parameter in (operationLevel ?? []).Concat(pathLevel ?? []))
        {
            // Operation-level parameters override path-level ones with the same name and location.
            if (string.IsNullOrEmpty(parameter?.Name) || parameter.In is null
                || merged.Any(m => m.In == parameter.In && string.Equals(m.Name, parameter.Name, parameter.In == ParameterLocation.Header ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)))
            {
                continue;
            }

            merged.Add(parameter);
        }

        // Path-level parameters are listed first, as written.
        return [.. merged.OrderBy(p => operationLevel?.Contains(p) == true ? 1 : 0)];
    }

    private static JsonObject ToParameter(IOpenApiParameter? parameter, string name, bool required)
    {
        var schema = parameter?.Schema;
        var result = new JsonObject { ["name"] = name, ["type"] = TypeName(schema) };
        if (FirstNonBlank(parameter?.Description, schema?.Description) is { } description)
        {
            result["description"] = description;
        }

        AddSchemaDetails(result, schema);
        result["required"] = required;
        if (Examples(parameter?.Example, parameter?.Examples) is { } examples)
        {
            result["examples"] = examples;
        }

        return result;
    }

    private static JsonObject ToHeader(string name, IOpenApiHeader? header)
    {
        var schema = header?.Schema;
        var result = new JsonObject { ["name"] = name, ["type"] = TypeName(schema) };
        if (FirstNonBlank(header?.Description, schema?.Description) is { } description)
        {
            result["description"] = description;
        }

        AddSchemaDetails(result, schema);
        result["required"] = header?.Required ?? false;
        if (Examples(header?.Example, header?.Examples) is { } examples)
        {
            result["examples"] = examples;
        }

        return result;
    }

    private static void AddSchemaDetails(JsonObject result, IOpenApiSchema? schema)
    {
        if (schema?.Default is { } defaultValue && ScalarText(defaultValue) is { } defaultText)
        {
            result["defaultValue"] = defaultText;
        }

        var values = schema?.Enum is { Count: > 0 } ? schema.Enum : schema?.Items?.Enum;
        if (values is { Count: > 0 })
        {
            result["values"] = new JsonArray(values.Select(ScalarText).OfType<string>().Distinct().Select(v => (JsonNode?)v).ToArray());
        }
    }

    private static JsonObject ToRepresentation(string contentType, IOpenApiMediaType? media)
    {
        var result = new JsonObject { ["contentType"] = contentType };
        var schema = media?.Schema;
        if (schema is OpenApiSchemaReference { Reference.Id: { Length: > 0 } typeName })
        {
            result["schemaId"] = ImportedSchemaId;
            result["typeName"] = typeName;
        }

        if (IsFormContentType(contentType) && schema?.Properties is { Count: > 0 } properties)
        {
            var form = new JsonArray();
            foreach (var (name, property) in properties)
            {
                var parameter = new JsonObject { ["name"] = name, ["type"] = TypeName(property) };
                if (!string.IsNullOrWhiteSpace(property?.Description))
                {
                    parameter["description"] = property.Description;
                }

                AddSchemaDetails(parameter, property);
                parameter["required"] = schema.Required?.Contains(name) == true;
                form.Add(parameter);
            }

            result["formParameters"] = form;
        }

        if ((Examples(media?.Example, media?.Examples) ?? Examples(SchemaExample(schema), null)) is { } examples)
        {
            result["examples"] = examples;
        }

        return result;
    }

    private static JsonArray ToResponses(OpenApiResponses? responses, bool swagger2)
    {
        var result = new JsonArray();
        if (responses is null)
        {
            return result;
        }

        var hasStatusCodes = responses.Keys.Any(k => int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out _));
        var seen = new HashSet<int>();
        foreach (var (code, response) in responses)
        {
            int status;
            if (int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                status = parsed;
            }
            else if (string.Equals(code, "default", StringComparison.OrdinalIgnoreCase) && !hasStatusCodes)
            {
                // A document that only describes "default" gets it as the success response; otherwise "default" is skipped.
                status = 200;
            }
            else
            {
                continue;
            }

            if (status is < 100 or > 599 || !seen.Add(status))
            {
                continue;
            }

            // A long, since the schema validator reads integers as long.
            var item = new JsonObject { ["statusCode"] = (long)status };
            if (response?.Description is { } description)
            {
                item["description"] = description;
            }

            var representations = new JsonArray();
            foreach (var (contentType, media) in response?.Content ?? new Dictionary<string, IOpenApiMediaType>())
            {
                // Swagger 2.0 lists "produces" for every response; one without a schema or example has no body.
                if (!swagger2 || media?.Schema is not null || Examples(media?.Example, media?.Examples) is not null)
                {
                    representations.Add(ToRepresentation(contentType, media));
                }
            }

            var headers = new JsonArray();
            foreach (var (name, header) in response?.Headers ?? new Dictionary<string, IOpenApiHeader>())
            {
                headers.Add(ToHeader(name, header));
            }

            item["representations"] = representations;
            item["headers"] = headers;
            result.Add(item);
        }

        return result;
    }

    /// <summary>APIM's example shape: <c>{"name":{"summary":...,"description":...,"value":...,"externalValue":...}}</c>.</summary>
    private static JsonObject? Examples(JsonNode? example, IDictionary<string, IOpenApiExample>? examples)
    {
        var result = new JsonObject();
        if (examples is { Count: > 0 })
        {
            foreach (var (name, value) in examples)
            {
                var entry = new JsonObject();
                if (!string.IsNullOrWhiteSpace(value?.Summary))
                {
                    entry["summary"] = value.Summary;
                }

                if (!string.IsNullOrWhiteSpace(value?.Description))
                {
                    entry["description"] = value.Description;
                }

                if (value?.Value is { } node)
                {
                    entry["value"] = Clone(node);
                }

                if (!string.IsNullOrWhiteSpace(value?.ExternalValue))
                {
                    entry["externalValue"] = value.ExternalValue;
                }

                result[name] = entry;
            }
        }
        else if (example is not null)
        {
            result["default"] = new JsonObject { ["value"] = Clone(example) };
        }

        return result.Count > 0 ? result : null;
    }

    private static JsonNode? SchemaExample(IOpenApiSchema? schema)
    {
        if (schema?.Examples is { Count: > 0 } examples)
        {
            return examples[0];
        }

        // OpenAPI 3.0 and Swagger 2.0 documents carry a single schema "example".
#pragma warning disable CS0618
        return schema?.Example;
#pragma warning restore CS0618
    }

    private static JsonNode? Clone(JsonNode node) => JsonNullSentinel.IsJsonNullSentinel(node) ? null : node.DeepClone();

    private static string? ScalarText(JsonNode? node)
    {
        if (node is null || JsonNullSentinel.IsJsonNullSentinel(node))
        {
            return null;
        }

        return node is JsonValue value && value.TryGetValue<string>(out var s) ? s : node.ToJsonString();
    }

    private static string TypeName(IOpenApiSchema? schema)
    {
        var type = schema?.Type ?? (schema?.Items is not null ? JsonSchemaType.Array : null);
        if (type is not { } t)
        {
            return "string";
        }

        if (t.HasFlag(JsonSchemaType.String))
        {
            return "string";
        }

        if (t.HasFlag(JsonSchemaType.Integer))
        {
            return "integer";
        }

        if (t.HasFlag(JsonSchemaType.Number))
        {
            return "number";
        }

        if (t.HasFlag(JsonSchemaType.Boolean))
        {
            return "boolean";
        }

        if (t.HasFlag(JsonSchemaType.Array))
        {
            return "array";
        }

        return t.HasFlag(JsonSchemaType.Object) ? "object" : "string";
    }

    private static bool IsFormContentType(string contentType) =>
        contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
        || contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    private static bool IsTemplateParameterName(string name) =>
        name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '$');

    // ---- operation names ----

    /// <summary>The operationId made safe as a resource name, or <c>{method}-{path}</c> when there is none.</summary>
    internal static string OperationName(string? operationId, string method, string path)
    {
        if (Sanitize(operationId) is { } fromId)
        {
            return fromId;
        }

        return Sanitize($"{method}-{path}")?.ToLowerInvariant() ?? method.ToLowerInvariant();
    }

    private static string? Sanitize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var sb = new StringBuilder(text.Length);
        foreach (var c in text.Trim())
        {
            var ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.';
            if (ok)
            {
                sb.Append(c);
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }
        }

        var result = sb.ToString().Trim('-', '.');
        if (result.Length > MaxOperationNameLength)
        {
            result = result[..MaxOperationNameLength].TrimEnd('-', '.');
        }

        return result.Length == 0 ? null : result;
    }

    private static string UniqueName(string candidate, HashSet<string> taken)
    {
        var name = candidate;
        for (var n = 2; !taken.Add(name); n++)
        {
            var suffix = "-" + n.ToString(CultureInfo.InvariantCulture);
            var stem = candidate.Length + suffix.Length > MaxOperationNameLength ? candidate[..(MaxOperationNameLength - suffix.Length)] : candidate;
            name = stem + suffix;
        }

        return name;
    }

    // ---- writing ----

    private static OpenApiOperation ExportOperation(string name, JsonObject props, UrlTemplate template)
    {
        var operation = new OpenApiOperation
        {
            OperationId = name,
            Summary = Text(props, "displayName"),
            Description = Text(props, "description"),
            Parameters = [],
            Responses = [],
        };
        var templateParameters = (props["templateParameters"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(p => Text(p, "name") is not null)
            .GroupBy(p => Text(p, "name")!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var written = new HashSet<(string, ParameterLocation)>();

        void Add(JsonObject? source, string parameterName, ParameterLocation location, bool required, JsonNode? literal = null)
        {
            if (written.Add((location == ParameterLocation.Header ? parameterName.ToLowerInvariant() : parameterName, location)))
            {
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = parameterName,
                    In = location,
                    Required = required,
                    Description = Text(source, "description"),
                    Schema = ExportSchema(source, literal),
                    Examples = ExportExamples(source?["examples"]),
                });
            }
        }

        foreach (var pathName in template.PathParameters.Concat(template.WildcardName is { Length: > 0 } w ? [w] : []))
        {
            Add(templateParameters.GetValueOrDefault(pathName), pathName, ParameterLocation.Path, required: true);
        }

        foreach (var part in template.Query)
        {
            if (part.ParameterName is { } bound)
            {
                Add(templateParameters.GetValueOrDefault(bound), part.Name, ParameterLocation.Query, required: true);
            }
            else
            {
                Add(null, part.Name, ParameterLocation.Query, required: true, JsonValue.Create(part.Literal ?? string.Empty));
            }
        }

        var request = props["request"] as JsonObject;
        foreach (var parameter in (request?["queryParameters"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Text(parameter, "name") is { } queryName)
            {
                Add(parameter, queryName, ParameterLocation.Query, Flag(parameter, "required"));
            }
        }

        foreach (var parameter in (request?["headers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Text(parameter, "name") is { } headerName)
            {
                Add(parameter, headerName, ParameterLocation.Header, Flag(parameter, "required"));
            }
        }

        var requestContent = ExportContent(request?["representations"]);
        if (requestContent.Count > 0)
        {
            operation.RequestBody = new OpenApiRequestBody { Description = Text(request, "description"), Content = requestContent };
        }

        foreach (var response in (props["responses"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Integer(response["statusCode"]) is not { } status)
            {
                continue;
            }

            var headers = new Dictionary<string, IOpenApiHeader>(StringComparer.OrdinalIgnoreCase);
            foreach (var header in (response["headers"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (Text(header, "name") is { } headerName)
                {
                    headers[headerName] = new OpenApiHeader
                    {
                        Description = Text(header, "description"),
                        Required = Flag(header, "required"),
                        Schema = ExportSchema(header, null),
                        Examples = ExportExamples(header["examples"]),
                    };
                }
            }

            var content = ExportContent(response["representations"]);
            operation.Responses[status.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = Text(response, "description") ?? string.Empty,
                Content = content.Count > 0 ? content : null,
                Headers = headers.Count > 0 ? headers : null,
            };
        }

        return operation;
    }

    private static Dictionary<string, IOpenApiMediaType> ExportContent(JsonNode? representations)
    {
        var content = new Dictionary<string, IOpenApiMediaType>(StringComparer.OrdinalIgnoreCase);
        foreach (var representation in (representations as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Text(representation, "contentType") is not { } contentType || content.ContainsKey(contentType))
            {
                continue;
            }

            var media = new OpenApiMediaType { Examples = ExportExamples(representation["examples"]) };
            if (representation["formParameters"] is JsonArray { Count: > 0 } form)
            {
                var schema = new OpenApiSchema { Type = JsonSchemaType.Object, Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal), Required = new HashSet<string>(StringComparer.Ordinal) };
                foreach (var field in form.OfType<JsonObject>())
                {
                    if (Text(field, "name") is { } fieldName)
                    {
                        schema.Properties[fieldName] = ExportSchema(field, null, withDescription: true);
                        if (Flag(field, "required"))
                        {
                            schema.Required.Add(fieldName);
                        }
                    }
                }

                media.Schema = schema;
            }

            content[contentType] = media;
        }

        return content;
    }

    private static OpenApiSchema ExportSchema(JsonObject? parameter, JsonNode? literal, bool withDescription = false)
    {
        var type = (Text(parameter, "type") ?? "string").ToLowerInvariant() switch
        {
            "integer" or "int" or "int32" or "int64" or "long" => JsonSchemaType.Integer,
            "number" or "double" or "float" or "decimal" => JsonSchemaType.Number,
            "boolean" or "bool" => JsonSchemaType.Boolean,
            "array" => JsonSchemaType.Array,
            "object" => JsonSchemaType.Object,
            _ => JsonSchemaType.String,
        };
        var schema = new OpenApiSchema { Type = type };
        if (type == JsonSchemaType.Array)
        {
            schema.Items = new OpenApiSchema { Type = JsonSchemaType.String };
        }

        if (withDescription)
        {
            schema.Description = Text(parameter, "description");
        }

        if (Text(parameter, "defaultValue") is { } defaultValue)
        {
            schema.Default = Typed(defaultValue, type);
        }

        if (literal is not null)
        {
            schema.Enum = [literal];
        }
        else if (parameter?["values"] is JsonArray { Count: > 0 } values)
        {
            var typed = values.Select(v => ScalarText(v)).OfType<string>().Select(v => (JsonNode)Typed(v, type)).ToList();
            if (type == JsonSchemaType.Array)
            {
                ((OpenApiSchema)schema.Items!).Enum = typed;
            }
            else
            {
                schema.Enum = typed;
            }
        }

        return schema;
    }

    private static Dictionary<string, IOpenApiExample>? ExportExamples(JsonNode? examples)
    {
        if (examples is not JsonObject { Count: > 0 } named)
        {
            return null;
        }

        var result = new Dictionary<string, IOpenApiExample>(StringComparer.Ordinal);
        foreach (var (name, node) in named)
        {
            result[name] = node is JsonObject entry && (entry.ContainsKey("value") || entry.ContainsKey("externalValue") || entry.ContainsKey("summary") || entry.ContainsKey("description"))
                ? new OpenApiExample
                {
                    Summary = Text(entry, "summary"),
                    Description = Text(entry, "description"),
                    Value = entry["value"]?.DeepClone(),
                    ExternalValue = Text(entry, "externalValue"),
                }
                : new OpenApiExample { Value = node?.DeepClone() };
        }

        return result;
    }

    private static JsonValue Typed(string text, JsonSchemaType type)
    {
        if (type == JsonSchemaType.Integer && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        if (type == JsonSchemaType.Number && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return JsonValue.Create(d);
        }

        if (type == JsonSchemaType.Boolean && bool.TryParse(text, out var b))
        {
            return JsonValue.Create(b);
        }

        return JsonValue.Create(text);
    }

    // ---- helpers ----

    private static string? Text(JsonObject? source, string name) =>
        source?[name] is JsonValue value && value.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static int? Integer(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<int>(out var i))
        {
            return i;
        }

        if (value.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue)
        {
            return (int)l;
        }

        return value.GetValueKind() == JsonValueKind.Number && int.TryParse(value.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
    }

    private static bool Flag(JsonObject source, string name) =>
        source[name] is JsonValue value && value.TryGetValue<bool>(out var b) && b;

    private static Uri? AbsoluteUri(string? text) => Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : null;

    private static string? FirstNonBlank(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    private static JsonObject WithoutNulls(JsonObject source)
    {
        foreach (var key in source.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList())
        {
            source.Remove(key);
        }

        return source;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{\*?([^}]+)\}")]
    private static partial System.Text.RegularExpressions.Regex PathParameter();

    [System.Text.RegularExpressions.GeneratedRegex(@"\{\*([^}]+)\}")]
    private static partial System.Text.RegularExpressions.Regex WildcardName();
}

/// <summary>The document formats an API is exported in.</summary>
public enum ExportFormat
{
    OpenApiJson,
    OpenApiYaml,
    SwaggerJson,
}

/// <summary>What an import stores: the API's properties, its operations, and its schema (null: the document has no reusable schemas).</summary>
internal sealed record ImportedApi(JsonObject Api, List<(string Name, JsonObject Properties)> Operations, JsonObject? Schema)
{
    public void Deconstruct(out JsonObject api, out List<(string Name, JsonObject Properties)> operations)
    {
        api = Api;
        operations = Operations;
    }
}
