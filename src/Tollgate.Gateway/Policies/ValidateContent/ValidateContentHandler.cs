using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Xml;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Policies.Handlers;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateContent;

/// <summary>A <c>type</c> of <c>content-type-map</c>: the content type <c>from</c> (or every one <c>when</c> is true for) is validated as <c>to</c>.</summary>
internal sealed record ContentTypeMapping(string? From, PolicyValue? When, string To);

/// <summary>A <c>content</c> child of <c>validate-content</c>: how bodies of <c>type</c> (null: every declared type) are checked.</summary>
internal sealed record ContentRule(string? Type, string ValidateAs, PolicyValue Action, bool? AllowAdditionalProperties, string? SchemaId = null, string? SchemaRef = null);

/// <summary>
/// <c>validate-content</c> (inbound, outbound, on-error): checks the size of the request's or response's body against
/// <c>max-size</c> (<c>size-exceeded-action</c>; a prevented request is answered 413), its content type (after
/// <c>content-type-map</c>) against the representations the operation declares (<c>unspecified-content-type-action</c>),
/// and, for a declared type a <c>content</c> child names, the body: <c>json</c> against the representation's
/// definition (<c>schemaId</c> and <c>typeName</c> in the API's schemas; only well-formedness when it names none),
/// <c>xml</c> and <c>soap</c> for well-formedness (and a SOAP envelope with a body) and, with an XML schema (the
/// instance schema <c>schema-id</c> names, or the API schema of the representation), against it (for SOAP, the
/// elements inside the envelope's Body). A request body is read up to
/// <c>max-size</c> + 1 bytes: a larger one is never held whole, it is forwarded as it streams in.
/// </summary>
internal sealed class ValidateContentHandler(
    PolicyLocation location, PolicyValue unspecifiedAction, long maxSize, PolicyValue sizeExceededAction, string? errorsVariable,
    string? anyContentType, string? missingContentType, ContentTypeMapping[] mappings, ContentRule[] rules)
    : PolicyHandler(location)
{
    /// <summary>Compiled schemas by representation or instance schema (a snapshot's object): rebuilt only when the snapshot changes it.</summary>
    private static readonly ConditionalWeakTable<object, CompiledSchemas> Compiled = [];

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var isRequest = Location.Section is "inbound" or "backend";
        var kind = isRequest ? "request" : "response";
        var type = isRequest ? "RequestBody" : "ResponseBody";
        List<(ValidationFinding, string)>? findings = null;

        var (size, body, atLeast) = isRequest ? await ReadRequestBodyAsync(context) : ResponseBody(context);
        if (size > maxSize)
        {
            var action = ValidationErrors.Action(sizeExceededAction, context);
            if (action != "ignore")
            {
                var length = atLeast ? $"more than {maxSize.ToString(CultureInfo.InvariantCulture)}" : size.ToString(CultureInfo.InvariantCulture);
                var limit = maxSize.ToString(CultureInfo.InvariantCulture);
                var finding = new ValidationFinding("", type, "SizeLimit",
                    $"{Capitalized(kind)}'s body is {length} bytes long and it exceeds the configured limit of {limit} bytes.",
                    isRequest ? $"Request's body is {length} bytes long and it exceeds the limit of {limit} bytes." : ValidationErrors.InternalError);
                (findings ??= []).Add((finding, action));
                if (action == "prevent")
                {
                    return await ValidationErrors.Report(context, Location, errorsVariable, findings, preventedStatus: 413);
                }
            }

            // Too large to be held: its content is not checked.
            body = null;
        }

        var sent = MediaType(isRequest ? context.Http.Request.ContentType : context.Http.Response.ContentType);
        if (sent is null && size == 0)
        {
            return await ValidationErrors.Report(context, Location, errorsVariable, findings);
        }

        var contentType = Map(sent, context) ?? "";
        var representation = Declared(context, isRequest, contentType);
        if (representation is null)
        {
            var action = ValidationErrors.Action(unspecifiedAction, context);
            if (action != "ignore")
            {
                var details = $"Unspecified content type {contentType} is not allowed.";
                (findings ??= []).Add((new ValidationFinding(contentType, type, "Unspecified", details, isRequest ? details : ValidationErrors.InternalError), action));
            }
        }
        else if (body is not null && Rule(contentType) is { } rule && ValidationErrors.Action(rule.Action, context) is var action && action != "ignore"
            && await CheckBodyAsync(rule, representation, context.Runtime.Schemas, contentType, body, kind, type, isRequest) is { } finding)
        {
            (findings ??= []).Add((finding, action));
        }

        return await ValidationErrors.Report(context, Location, errorsVariable, findings);
    }

    /// <summary>
    /// The request body's size and bytes. A body already buffered is used as it is; otherwise at most max-size + 1
    /// bytes are read: a body within the limit is buffered (and forwarded from there), a larger one is put back in
    /// front of the rest of the stream and not returned. Content-Length over the limit reads nothing.
    /// </summary>
    private async ValueTask<(long Size, byte[]? Body, bool AtLeast)> ReadRequestBodyAsync(PolicyContext context)
    {
        if (context.RequestBody is { } buffered)
        {
            return (buffered.Content.Length, buffered.Content, false);
        }

        var request = context.Http.Request;
        if (request.ContentLength is long declared && declared > maxSize)
        {
            return (declared, null, false);
        }

        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return (0, [], false);
        }

        var buffer = new byte[(int)Math.Min(maxSize + 1, request.ContentLength ?? maxSize + 1)];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await request.Body.ReadAsync(buffer.AsMemory(read), context.Http.RequestAborted);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        if (read > maxSize)
        {
            request.Body = new PrefixedStream(buffer, request.Body);
            return (read, null, true);
        }

        var content = read == buffer.Length ? buffer : buffer[..read];
        context.RequestBody = new MessageBody(content) { IsClientRequest = true };
        return (read, content, false);
    }

    private static (long Size, byte[]? Body, bool AtLeast) ResponseBody(PolicyContext context)
    {
        var content = context.ResponseBody?.Content ?? [];
        return (content.Length, content, false);
    }

    /// <summary>The content type a body is validated as: a <c>type</c> mapping first, then any-, then missing-content-type-value.</summary>
    private string? Map(string? sent, PolicyContext context)
    {
        foreach (var mapping in mappings)
        {
            if (mapping.From is not null ? string.Equals(mapping.From, sent, StringComparison.OrdinalIgnoreCase) : IsTrue(mapping.When!, context))
            {
                return mapping.To;
            }
        }

        return anyContentType ?? (sent is null ? missingContentType : sent);
    }

    private static bool IsTrue(PolicyValue condition, PolicyContext context) => condition.GetObject(context) switch
    {
        bool b => b,
        var other => string.Equals(other?.ToString(), "true", StringComparison.OrdinalIgnoreCase),
    };

    /// <summary>The operation's representation of the request, or of the response for its status code, with this content type.</summary>
    private static GatewayRepresentation? Declared(PolicyContext context, bool isRequest, string contentType)
    {
        var operation = context.OperationPolicies.Definition;
        IReadOnlyList<GatewayRepresentation> representations = [];
        if (isRequest)
        {
            representations = operation.RequestRepresentations;
        }
        else
        {
            var status = context.Http.Response.StatusCode;
            foreach (var response in operation.Responses)
            {
                if (response.StatusCode == status)
                {
                    representations = response.Representations;
                    break;
                }
            }
        }

        foreach (var representation in representations)
        {
            if (string.Equals(MediaType(representation.ContentType), contentType, StringComparison.OrdinalIgnoreCase))
            {
                return representation;
            }
        }

        return null;
    }

    private ContentRule? Rule(string contentType)
    {
        foreach (var rule in rules)
        {
            if (string.IsNullOrEmpty(rule.Type) || string.Equals(rule.Type, contentType, StringComparison.OrdinalIgnoreCase))
            {
                return rule;
            }
        }

        return null;
    }

    private static async ValueTask<ValidationFinding?> CheckBodyAsync(ContentRule rule, GatewayRepresentation representation, IReadOnlyDictionary<string, GatewaySchema> schemas,
        string contentType, byte[] body, string kind, string type, bool isRequest)
    {
        string Public(string details) => isRequest ? details : ValidationErrors.InternalError;
        if (rule.ValidateAs is "xml" or "soap")
        {
            if (CheckXml(body, rule.ValidateAs == "soap") is { } xmlProblem)
            {
                return new ValidationFinding(contentType, type, "IncorrectMessage", $"Body of the {kind} is not well-formed XML for the content type {contentType}. {xmlProblem}", Public($"Body of the {kind} is not well-formed XML for the content type {contentType}. {xmlProblem}"));
            }

            return CheckXmlSchema(rule, representation, schemas, body, contentType, kind, type, isRequest);
        }

        var text = Encoding.UTF8.GetString(body);
        if (rule.SchemaId is { } schemaId)
        {
            // An instance-level schema (schema-id), the whole document or the part schema-ref points at.
            if (!schemas.TryGetValue(schemaId, out var global))
            {
                return new ValidationFinding("", "ApiSchema", "", "API's schema does not exist or it could not be resolved.", ValidationErrors.InternalError);
            }

            var name = rule.SchemaRef is { } pointer ? pointer[(pointer.LastIndexOf('/') + 1)..] : global.Id;
            var fromInstance = await Compiled.GetValue(global, _ => new CompiledSchemas()).GetAsync(global.Json, rule.SchemaRef, rule.AllowAdditionalProperties);
            return Conformance(fromInstance, text, name, contentType, kind, type, isRequest);
        }

        if (representation.SchemaId is null)
        {
            return CheckJson(text) is { } jsonProblem
                ? new ValidationFinding(contentType, type, "IncorrectMessage", $"Body of the {kind} is not well-formed JSON for the content type {contentType}. {jsonProblem}", Public($"Body of the {kind} is not well-formed JSON for the content type {contentType}. {jsonProblem}"))
                : null;
        }

        if (representation.Schema is null)
        {
            return new ValidationFinding("", "ApiSchema", "", "API's schema does not exist or it could not be resolved.", ValidationErrors.InternalError);
        }

        var definition = representation.TypeName ?? "";
        if (definition.Length == 0)
        {
            return Conformance(new CompiledSchema(null, true, null), text, definition, contentType, kind, type, isRequest);
        }

        var compiled = await Compiled.GetValue(representation, _ => new CompiledSchemas())
            .GetAsync(representation.Schema, "#/definitions/" + definition.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal), rule.AllowAdditionalProperties);
        return Conformance(compiled, text, definition, contentType, kind, type, isRequest);
    }

    /// <summary>
    /// A well-formed XML body against its XML schema: the instance schema <c>schema-id</c> names, else the API schema
    /// the operation's representation names (when it is an XML schema); without either, well-formedness was all.
    /// </summary>
    private static ValidationFinding? CheckXmlSchema(ContentRule rule, GatewayRepresentation representation, IReadOnlyDictionary<string, GatewaySchema> schemas,
        byte[] body, string contentType, string kind, string type, bool isRequest)
    {
        object owner;
        string xsd;
        string definition;
        if (rule.SchemaId is { } schemaId)
        {
            if (!schemas.TryGetValue(schemaId, out var global))
            {
                return new ValidationFinding("", "ApiSchema", "", "API's schema does not exist or it could not be resolved.", ValidationErrors.InternalError);
            }

            if (global.Xml is null)
            {
                return new ValidationFinding("", type, "ValidationException",
                    $"Body of the {kind} cannot be validated for the content type {contentType}. Schema '{global.Id}' is a JSON schema, not an XML schema.", ValidationErrors.InternalError);
            }

            (owner, xsd, definition) = (global, global.Xml, global.Id);
        }
        else if (representation.XmlSchema is { } apiSchema)
        {
            (owner, xsd, definition) = (representation, apiSchema, representation.TypeName ?? representation.SchemaId ?? "");
        }
        else
        {
            return null;
        }

        var validator = XmlSchemaValidator.For(owner, xsd);
        if (validator.Problem is { } problem)
        {
            return new ValidationFinding("", type, "ValidationException",
                $"Body of the {kind} cannot be validated for the content type {contentType}. {problem}", ValidationErrors.InternalError);
        }

        if (validator.Validate(body, rule.ValidateAs == "soap") is not { } error)
        {
            return null;
        }

        var details = $"Body of the {kind} does not conform to the definition {definition}, which is associated with the content type {contentType}. {error}";
        return new ValidationFinding(contentType, type, "IncorrectMessage", details, isRequest ? details : ValidationErrors.InternalError);
    }

    /// <summary>Whether a body conforms to a compiled definition, as a finding when it does not.</summary>
    private static ValidationFinding? Conformance(CompiledSchema compiled, string text, string definition, string contentType, string kind, string type, bool isRequest)
    {
        if (compiled.MissingDefinition)
        {
            return new ValidationFinding(contentType, type, "MissingDefinition",
                $"API's schema does not contain definition {definition}, which is associated with the content type {contentType}.", ValidationErrors.InternalError);
        }

        if (compiled.Schema is null)
        {
            return new ValidationFinding("", type, "ValidationException",
                $"Body of the {kind} cannot be validated for the content type {contentType}. {compiled.Problem}", ValidationErrors.InternalError);
        }

        string? problem;
        try
        {
            problem = compiled.Schema.Validate(text).FirstOrDefault() is { } error ? Describe(error) : null;
        }
        catch (JsonException e)
        {
            problem = e.Message;
        }

        if (problem is null)
        {
            return null;
        }

        var details = $"Body of the {kind} does not conform to the definition {definition}, which is associated with the content type {contentType}. {problem}";
        return new ValidationFinding(contentType, type, "IncorrectMessage", details, isRequest ? details : ValidationErrors.InternalError);
    }

    /// <summary>Reads JSON to its end (nesting bounded by the reader's depth limit); the error, if any.</summary>
    private static string? CheckJson(string text)
    {
        try
        {
            using var reader = new JsonTextReader(new StringReader(text)) { MaxDepth = 64 };
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException e)
        {
            return e.Message;
        }
    }

    /// <summary>Reads XML to its end (no DTD, nothing resolved); for SOAP the root must be an Envelope with a Body. The error, if any.</summary>
    private static string? CheckXml(byte[] body, bool soap)
    {
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body, writable: false),
                new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true });
            string? root = null;
            var hasBody = false;
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                if (reader.Depth == 0)
                {
                    root = reader.NamespaceURI is SoapEnvelope11 or SoapEnvelope12 ? reader.LocalName : null;
                }
                else if (reader.Depth == 1 && reader.LocalName == "Body" && reader.NamespaceURI is SoapEnvelope11 or SoapEnvelope12)
                {
                    hasBody = true;
                }
            }

            return !soap || (root == "Envelope" && hasBody) ? null : "The root element is not a SOAP Envelope with a Body.";
        }
        catch (XmlException e)
        {
            return e.Message;
        }
    }

    private const string SoapEnvelope11 = "http://schemas.xmlsoap.org/soap/envelope/";
    private const string SoapEnvelope12 = "http://www.w3.org/2003/05/soap-envelope";

    /// <summary>The first problem NJsonSchema found, as text with APIM's <c>Line: n, Position: m</c>.</summary>
    internal static string Describe(ValidationError error)
    {
        while (error is ChildSchemaValidationError child && child.Errors.Values.SelectMany(e => e).FirstOrDefault() is { } inner)
        {
            error = inner;
        }

        var kind = error.Kind.ToString();
        var path = string.IsNullOrEmpty(error.Path) ? "#" : error.Path;
        var message = error.Kind switch
        {
            ValidationErrorKind.PropertyRequired => $"Required properties are missing from object: {error.Property}.",
            ValidationErrorKind.NoAdditionalPropertiesAllowed => $"Property '{error.Property}' has not been defined and the schema does not allow additional properties.",
            ValidationErrorKind.NotInEnumeration => $"Value at '{path}' is not defined in enum.",
            _ when kind.EndsWith("Expected", StringComparison.Ordinal) => $"Invalid type at '{path}': {Words(kind[..^"Expected".Length])} expected.",
            _ => $"{Capitalized(Words(kind))} at '{path}'.",
        };
        return error.HasLineInfo
            ? $"{message} Line: {error.LineNumber.ToString(CultureInfo.InvariantCulture)}, Position: {error.LinePosition.ToString(CultureInfo.InvariantCulture)}"
            : message;
    }

    /// <summary>PascalCase as lower-case words: <c>StringTooLong</c> → <c>string too long</c>.</summary>
    private static string Words(string pascal)
    {
        var result = new StringBuilder(pascal.Length + 8);
        foreach (var c in pascal)
        {
            if (char.IsUpper(c) && result.Length > 0)
            {
                result.Append(' ');
            }

            result.Append(char.ToLowerInvariant(c));
        }

        return result.ToString();
    }

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    /// <summary>The media type of a Content-Type value, without parameters; null when there is none.</summary>
    internal static string? MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        return MediaTypeHeaderValue.TryParse(contentType, out var parsed) && parsed.MediaType is { Length: > 0 } media
            ? media
            : contentType.Split(';')[0].Trim();
    }

    /// <summary>The schemas of one document, compiled once per definition and allow-additional-properties override (none, true, false).</summary>
    private sealed class CompiledSchemas
    {
        private readonly ConcurrentDictionary<(string? Pointer, bool? Allow), Task<CompiledSchema>> _compiled = new();

        public Task<CompiledSchema> GetAsync(string? document, string? pointer, bool? allowAdditional) =>
            _compiled.GetOrAdd((pointer, allowAdditional), key => CompiledSchema.BuildAsync(document, key.Pointer, key.Allow));
    }

    /// <summary>A definition as a JSON schema, or why there is none.</summary>
    private sealed record CompiledSchema(JsonSchema? Schema, bool MissingDefinition, string? Problem)
    {
        /// <summary>
        /// The schema at <paramref name="pointer"/> (<c>#/definitions/Order</c>, <c>#/components/schemas/Order</c>) in
        /// <paramref name="document"/>, or the whole document without one. The definition becomes the root, and the
        /// document's other top-level members stay beside it so its references still resolve.
        /// </summary>
        public static async Task<CompiledSchema> BuildAsync(string? document, string? pointer, bool? allowAdditional)
        {
            try
            {
                var parsed = JObject.Parse(document ?? "{}");
                var root = parsed;
                if (pointer is not null)
                {
                    JToken? target = parsed;
                    foreach (var segment in pointer.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
                    {
                        target = (target as JObject)?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
                    }

                    if (target is not JObject definition || pointer.TrimStart('#').Trim('/').Length == 0)
                    {
                        return new CompiledSchema(null, true, null);
                    }

                    root = (JObject)definition.DeepClone();
                    foreach (var member in parsed.Properties())
                    {
                        if (root[member.Name] is null)
                        {
                            root[member.Name] = member.Value.DeepClone();
                        }
                    }
                }

                Normalize(root, allowAdditional, depth: 0);
                return new CompiledSchema(await JsonSchema.FromJsonAsync(root.ToString(Newtonsoft.Json.Formatting.None)), false, null);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or NotSupportedException)
            {
                return new CompiledSchema(null, false, e.Message);
            }
        }

        /// <summary>
        /// OpenAPI's <c>nullable: true</c> becomes a null type; allow-additional-properties overrides every object
        /// schema's additionalProperties. Examples, defaults and enums are data, not schemas, and are left alone.
        /// </summary>
        private static void Normalize(JToken token, bool? allowAdditional, int depth)
        {
            if (depth > 64)
            {
                return;
            }

            if (token is JArray array)
            {
                foreach (var item in array)
                {
                    Normalize(item, allowAdditional, depth + 1);
                }

                return;
            }

            if (token is not JObject o)
            {
                return;
            }

            if (o["nullable"] is JValue { Value: true } && o["type"] is JValue { Value: string single })
            {
                o["type"] = new JArray(single, "null");
                o.Remove("nullable");
            }

            if (allowAdditional is { } allow && (o["properties"] is JObject || o["type"] is JValue { Value: "object" }))
            {
                o["additionalProperties"] = allow;
            }

            foreach (var property in o.Properties().ToArray())
            {
                if (property.Name is not ("example" or "examples" or "default" or "enum" or "const"))
                {
                    Normalize(property.Value, allowAdditional, depth + 1);
                }
            }
        }
    }
}
