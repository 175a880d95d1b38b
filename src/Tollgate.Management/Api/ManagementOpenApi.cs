using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Core.Resources;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>
/// Generates the OpenAPI 3 document of the management API: its paths and operations from the mapped endpoints
/// (each carries its <see cref="ManagementOperation"/>, see <c>Api/Resources</c>), its schemas from the same resource
/// schemas that validate requests, so the document cannot drift from the behaviour. The committed copy is
/// <c>src/Tollgate.Management/management-openapi.json</c>; a test checks it equals what this generates
/// (<c>tollgate openapi --output ...</c> refreshes it).
/// </summary>
public static partial class ManagementOpenApi
{
    /// <summary>
    /// The document of the endpoints <see cref="ManagementEndpoints.MapResourceApis"/>, the service principals and the
    /// mail folder map (the OAuth 2.0 token endpoint, not a management resource, is written here on its own).
    /// </summary>
    public static string Generate() => Generate(MappedEndpoints());

    /// <summary>
    /// The documented endpoints (management resources, service principals, mail folder), mapped on an application that is never
    /// started: the endpoints take their services from the request, so none is needed to map them.
    /// </summary>
    public static IReadOnlyList<RouteEndpoint> MappedEndpoints()
    {
        using var services = new ServiceCollection().AddLogging().AddRouting().BuildServiceProvider();
        var routes = new EndpointCollector(services);
        routes.MapResourceApis();
        routes.MapServicePrincipalResources();
        Mail.MailFolderEndpoints.MapMailFolder(routes);
        return routes.DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
    }

    /// <summary>The path of an endpoint in the document: its route pattern, group prefix included.</summary>
    public static string PathOf(RouteEndpoint endpoint) => "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');

    /// <summary>The document method of an operation: the one it names, else the endpoint's first HTTP method.</summary>
    public static string MethodOf(RouteEndpoint endpoint, ManagementOperation operation) =>
        (operation.Method ?? endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.FirstOrDefault() ?? "").ToLowerInvariant();

    public static string Generate(IEnumerable<RouteEndpoint> endpoints)
    {
        var schemas = new JsonObject();
        foreach (var schema in new[]
        {
            ResourceSchemas.Service, ResourceSchemas.Api, ResourceSchemas.Operation, ResourceSchemas.ApiSchema, ResourceSchemas.Product, ResourceSchemas.Group,
            ResourceSchemas.User, ResourceSchemas.Subscription, ResourceSchemas.NamedValue, ResourceSchemas.Tag, ResourceSchemas.Backend, ResourceSchemas.GlobalSchema,
            ResourceSchemas.Certificate,
        })
        {
            AddSchema(schemas, schema);
        }

        schemas["ErrorResponse"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["error"] = Obj(("type", "object"), ("properties", new JsonObject
            {
                ["code"] = Obj(("type", "string")),
                ["message"] = Obj(("type", "string")),
                ["details"] = Obj(("type", "array"), ("nullable", true), ("items", Obj(("type", "object"), ("properties", new JsonObject
                {
                    ["code"] = Obj(("type", "string")),
                    ["target"] = Obj(("type", "string"), ("description", "The field the problem is about.")),
                    ["message"] = Obj(("type", "string")),
                })))),
            })),
        }));
        schemas["SubscriptionKeysContract"] = Obj(("type", "object"), ("properties", new JsonObject { ["primaryKey"] = Obj(("type", "string")), ["secondaryKey"] = Obj(("type", "string")) }));
        schemas["NamedValueSecretContract"] = Obj(("type", "object"), ("properties", new JsonObject { ["value"] = Obj(("type", "string")) }));
        schemas["ApiImportProperties"] = Obj(("type", "object"), ("required", new JsonArray("format", "value", "path")), ("properties", new JsonObject
        {
            ["format"] = Obj(("type", "string"), ("enum", new JsonArray("openapi", "openapi+json", "swagger-json", "openapi-link", "openapi+json-link", "swagger-link-json"))),
            ["value"] = Obj(("type", "string"), ("description", "The OpenAPI 3 or Swagger 2 document, JSON or YAML; with a -link format, the http(s) URL it is downloaded from (at most 4 MB, 30 seconds).")),
            ["path"] = Obj(("type", "string")),
            ["serviceUrl"] = Obj(("type", "string")),
            ["translateRequiredQueryParameters"] = Obj(("type", "string"), ("enum", new JsonArray("template", "query"))),
        }));

        var paths = new JsonObject();
        foreach (var endpoint in endpoints)
        {
            foreach (var operation in endpoint.Metadata.GetOrderedMetadata<ManagementOperation>())
            {
                var path = PathOf(endpoint);
                if (paths[path] is not JsonObject item)
                {
                    paths[path] = item = new JsonObject();
                }

                item[MethodOf(endpoint, operation)] = operation.Build();
            }
        }

        schemas["ServiceNameAvailability"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["nameAvailable"] = Obj(("type", "boolean")),
            ["reason"] = Obj(("type", "string"), ("enum", new JsonArray("Valid", "Invalid", "AlreadyExists"))),
            ["message"] = Obj(("type", "string")),
        }));
        schemas["ServiceCheckNameAvailabilityParameters"] = Obj(("type", "object"), ("required", new JsonArray("name")), ("properties", new JsonObject
        {
            ["name"] = Obj(("type", "string")),
            ["type"] = Obj(("type", "string"), ("example", "Microsoft.ApiManagement/service")),
        }));
        schemas["UserTokenParameters"] = Obj(("type", "object"), ("required", new JsonArray("properties")), ("properties", new JsonObject
        {
            ["properties"] = Obj(("type", "object"), ("required", new JsonArray("keyType", "expiry")), ("properties", new JsonObject
            {
                ["keyType"] = Obj(("type", "string"), ("enum", new JsonArray("primary", "secondary"))),
                ["expiry"] = Obj(("type", "string"), ("format", "date-time"), ("description", "When the token expires (to the minute, UTC); at most 30 days ahead.")),
            })),
        }));
        schemas["UserTokenResult"] = Obj(("type", "object"), ("properties", new JsonObject { ["value"] = Obj(("type", "string"), ("description", "{userId}&{yyyyMMddHHmm}&{base64 HMAC-SHA512 signature}")) }));
        schemas["GenerateSsoUrlResult"] = Obj(("type", "object"), ("properties", new JsonObject { ["value"] = Obj(("type", "string"), ("description", "The developer portal's /signin-sso?token=… URL.")) }));
        schemas["UserIdentityCollection"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["value"] = Obj(("type", "array"), ("items", Ref("UserIdentityContract"))),
            ["count"] = Obj(("type", "integer"), ("format", "int64")),
            ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
        }));
        schemas["PolicyContract"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["id"] = Obj(("type", "string"), ("readOnly", true)),
            ["type"] = Obj(("type", "string"), ("readOnly", true)),
            ["name"] = Obj(("type", "string"), ("readOnly", true)),
            ["properties"] = Obj(("type", "object"), ("required", new JsonArray("value")), ("properties", new JsonObject
            {
                ["format"] = Obj(("type", "string"), ("enum", new JsonArray("xml", "rawxml")), ("default", "xml")),
                ["value"] = Obj(("type", "string"), ("description", "The policy document <policies>…</policies>. Every problem is reported with its line and column.")),
            })),
        }));
        schemas["PolicyFragmentContract"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["id"] = Obj(("type", "string"), ("readOnly", true)),
            ["type"] = Obj(("type", "string"), ("readOnly", true)),
            ["name"] = Obj(("type", "string"), ("readOnly", true)),
            ["properties"] = Obj(("type", "object"), ("required", new JsonArray("value")), ("properties", new JsonObject
            {
                ["format"] = Obj(("type", "string"), ("enum", new JsonArray("xml", "rawxml")), ("default", "xml")),
                ["value"] = Obj(("type", "string"), ("description", "The fragment <fragment>…</fragment>, included with <include-fragment fragment-id=\"…\"/>.")),
                ["description"] = Obj(("type", "string")),
            })),
        }));
        schemas["ResourceCollection"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["value"] = Obj(("type", "array"), ("items", Obj(("type", "object"), ("properties", new JsonObject
            {
                ["id"] = Obj(("type", "string")),
                ["type"] = Obj(("type", "string")),
                ["name"] = Obj(("type", "string")),
            })))),
            ["count"] = Obj(("type", "integer")),
            ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
        }));
        AddMail(schemas);
        AddVersions(schemas);
        AddTagResources(schemas);
        AddReports(schemas);

        schemas["ServicePrincipalContract"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["id"] = Obj(("type", "string"), ("readOnly", true)),
            ["name"] = Obj(("type", "string"), ("readOnly", true), ("description", "The client id.")),
            ["properties"] = Obj(("type", "object"), ("properties", new JsonObject
            {
                ["displayName"] = Obj(("type", "string")),
                ["createdDate"] = Obj(("type", "string"), ("format", "date-time"), ("readOnly", true)),
                ["clientSecret"] = Obj(("type", "string"), ("readOnly", true), ("description", "Only in the answer to the PUT that created or rotated it; never again.")),
            })),
        }));
        schemas["MailMessage"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["id"] = Obj(("type", "string"), ("description", "yyyyMMddTHHmmssfff-{32 hex digits}: when it was queued, and a random part.")),
            ["date"] = Obj(("type", "string"), ("format", "date-time")),
            ["from"] = Obj(("type", "string")),
            ["to"] = Obj(("type", "string")),
            ["subject"] = Obj(("type", "string")),
            ["cc"] = Obj(("type", "string"), ("description", "Only when reading one message.")),
            ["bcc"] = Obj(("type", "string"), ("description", "Only when reading one message.")),
            ["headers"] = Obj(("type", "array"), ("items", Obj(("type", "object"), ("properties", new JsonObject { ["name"] = Obj(("type", "string")), ["value"] = Obj(("type", "string")) })))),
            ["text"] = Obj(("type", "string"), ("nullable", true)),
            ["html"] = Obj(("type", "string"), ("nullable", true), ("description", "Show it sandboxed.")),
        }));
        foreach (var (path, item) in paths)
        {
            var parameters = new JsonArray();
            foreach (var name in System.Text.RegularExpressions.Regex.Matches(path, "\\{([^}]+)\\}").Select(m => m.Groups[1].Value))
            {
                parameters.Add(Obj(("name", name), ("in", "path"), ("required", true), ("schema", Obj(("type", "string")))));
            }

            parameters.Add(Obj(("$ref", "#/components/parameters/ApiVersion")));
            item!["parameters"] = parameters;
        }

        // OAuth 2.0 client credentials (RFC 6749 §4.4): no api-version, no Authorization; a form body.
        paths["/oauth2/v2.0/token"] = Obj(("post", Obj(
            ("operationId", "OAuth2_Token"),
            ("description", "Trades a service principal's client id and secret for a bearer token (JWT, one hour) for the management API."),
            ("security", new JsonArray()),
            ("requestBody", Obj(("required", true), ("content", Obj(("application/x-www-form-urlencoded", Obj(("schema", Obj(
                ("type", "object"),
                ("required", new JsonArray("grant_type", "client_id", "client_secret")),
                ("properties", Obj(
                    ("grant_type", Obj(("type", "string"), ("enum", new JsonArray("client_credentials")))),
                    ("client_id", Obj(("type", "string"))),
                    ("client_secret", Obj(("type", "string"))),
                    ("scope", Obj(("type", "string"))))))))))))),
            ("responses", Obj(
                ("200", Obj(("description", "{token_type: Bearer, expires_in, access_token}"))),
                ("400", Obj(("description", "{error: invalid_request | unsupported_grant_type, error_description}"))),
                ("401", Obj(("description", "{error: invalid_client, error_description}"))))))));

        var document = new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = Obj(
                ("title", "Tollgate management API"),
                ("version", "2022-08-01"),
                ("description", "The ARM-shaped management API of Tollgate, compatible with Azure API Management's REST API 2022-08-01. Authenticate with 'Authorization: SharedAccessSignature uid=...&ex=...&sn=...' (tollgate token prints one), or send the same token as 'Authorization: Bearer ...' as Azure SDKs do (over HTTPS), or a service principal's token from POST /oauth2/v2.0/token. Errors use {\"error\":{\"code\",\"message\",\"details\":[{\"target\",\"message\"}]}}, one detail per field.")),
            ["servers"] = new JsonArray(Obj(("url", "https://127.0.0.1:5444")), Obj(("url", "http://127.0.0.1:5081"))),
            ["security"] = new JsonArray(Obj(("SharedAccessSignature", new JsonArray()))),
            ["paths"] = paths,
            ["components"] = Obj(
                ("securitySchemes", Obj(("SharedAccessSignature", Obj(("type", "apiKey"), ("in", "header"), ("name", "Authorization"), ("description", "SharedAccessSignature uid={identifier}&ex={expiry}&sn={base64 HMAC-SHA512(key, identifier + \"\\n\" + expiry)}"))))),
                ("parameters", Obj(
                    ("ApiVersion", Obj(("name", "api-version"), ("in", "query"), ("required", true), ("schema", Obj(("type", "string"), ("example", "2022-08-01"))))),
                    ("Filter", Obj(("name", "$filter"), ("in", "query"), ("required", false), ("description", "name or property eq|ne|gt|ge|lt|le 'value', contains/startswith/endswith(field,'value'), and/or/not."), ("schema", Obj(("type", "string"))))),
                    ("Top", Obj(("name", "$top"), ("in", "query"), ("required", false), ("schema", Obj(("type", "integer"), ("minimum", 1), ("maximum", 1000))))),
                    ("Skip", Obj(("name", "$skip"), ("in", "query"), ("required", false), ("schema", Obj(("type", "integer"), ("minimum", 0))))),
                    ("IfMatch", Obj(("name", "If-Match"), ("in", "header"), ("required", false), ("description", "ETag of the entity, or *."), ("schema", Obj(("type", "string"))))))),
                ("schemas", schemas)),
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>reports/byApi … byRequest: APIM's report records, as JSON or CSV.</summary>
    private static void AddReports(JsonObject schemas)
    {
        var record = new JsonObject();
        foreach (var name in new[] { "name", "timestamp", "interval", "apiId", "operationId", "productId", "subscriptionId", "userId" })
        {
            record[name] = Obj(("type", "string"), ("nullable", true));
        }

        foreach (var name in new[] { "callCountSuccess", "callCountBlocked", "callCountFailed", "callCountOther", "callCountTotal", "bandwidth", "cacheHitCount", "cacheMissCount" })
        {
            record[name] = Obj(("type", "integer"), ("format", "int64"));
        }

        foreach (var name in new[] { "apiTimeAvg", "apiTimeMin", "apiTimeMax", "serviceTimeAvg", "serviceTimeMin", "serviceTimeMax" })
        {
            record[name] = Obj(("type", "number"), ("description", "Milliseconds."));
        }

        schemas["ReportRecordContract"] = Obj(("type", "object"), ("description", "success: status <= 301, 304 or 307; blocked: 401, 403, 429; failed: 400 or 500-600; other: the rest. Bandwidth in bytes (request + response)."), ("properties", record));
        var request = new JsonObject();
        foreach (var name in new[] { "apiId", "operationId", "productId", "userId", "subscriptionId", "method", "url", "ipAddress", "backendResponseCode", "cache", "requestId", "timestamp" })
        {
            request[name] = Obj(("type", "string"), ("nullable", true));
        }

        foreach (var name in new[] { "responseCode", "responseSize", "requestSize" })
        {
            request[name] = Obj(("type", "integer"));
        }

        request["apiTime"] = Obj(("type", "number"));
        request["serviceTime"] = Obj(("type", "number"));
        schemas["RequestReportRecordContract"] = Obj(("type", "object"), ("properties", request));
    }

    /// <summary>The operation of <c>GET reports/{report}</c>: its rows as JSON or CSV, and the query each report takes.</summary>
    internal static JsonObject ReportOperation(string report)
    {
        var item = report == "byRequest" ? "RequestReportRecordContract" : "ReportRecordContract";
        var page = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["value"] = Obj(("type", "array"), ("items", Ref(item))),
            ["count"] = Obj(("type", "integer"), ("format", "int64")),
            ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
        }));
        var op = Op("Reports_List" + report[2..], $"Report {report}. Add format=csv (or Accept: text/csv) for the same rows as CSV with a header row.", page);
        op["responses"]!["200"]!["content"]!["text/csv"] = Obj(("schema", Obj(("type", "string"))));
        var parameters = new JsonArray
        {
            Obj(("name", "$filter"), ("in", "query"), ("required", false), ("description", "timestamp ge|gt|le|lt datetime'2026-01-01T00:00:00Z', and apiId|operationId|productId|subscriptionId|userId eq '<id>' (with or without the /apis/… prefix), joined with 'and'."), ("schema", Obj(("type", "string")))),
            Obj(("$ref", "#/components/parameters/Top")),
            Obj(("$ref", "#/components/parameters/Skip")),
            Obj(("name", "format"), ("in", "query"), ("required", false), ("schema", Obj(("type", "string"), ("enum", new JsonArray("json", "csv"))))),
        };
        if (report == "byTime")
        {
            parameters.Add(Obj(("name", "interval"), ("in", "query"), ("required", true), ("description", "ISO 8601 duration, a multiple of 15 minutes (PT15M, PT1H, P1D)."), ("schema", Obj(("type", "string")))));
        }

        op["parameters"] = parameters;
        return op;
    }

    /// <summary>APIM's e-mail templates and notifications with their recipients, and the password reset e-mail of a user.</summary>
    private static void AddMail(JsonObject schemas)
    {
        AddSchema(schemas, ResourceSchemas.EmailTemplate);

        schemas["NotificationContract"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["id"] = Obj(("type", "string"), ("readOnly", true)),
            ["type"] = Obj(("type", "string"), ("readOnly", true)),
            ["name"] = Obj(("type", "string"), ("readOnly", true)),
            ["properties"] = Obj(("type", "object"), ("properties", new JsonObject
            {
                ["title"] = Obj(("type", "string")),
                ["description"] = Obj(("type", "string")),
                ["recipients"] = Obj(("type", "object"), ("properties", new JsonObject
                {
                    ["emails"] = Obj(("type", "array"), ("items", Obj(("type", "string")))),
                    ["users"] = Obj(("type", "array"), ("items", Obj(("type", "string")))),
                })),
            })),
        }));
        AddSchema(schemas, ResourceSchemas.RecipientEmail);
        schemas["RecipientUserContractProperties"] = Obj(("type", "object"), ("properties", new JsonObject { ["userId"] = Obj(("type", "string"), ("description", "The user's resource id.")) }));
        schemas["RecipientUserContractPropertiesContract"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["id"] = Obj(("type", "string"), ("readOnly", true)),
            ["type"] = Obj(("type", "string"), ("readOnly", true)),
            ["name"] = Obj(("type", "string"), ("readOnly", true)),
            ["properties"] = Ref("RecipientUserContractProperties"),
        }));
        schemas["EmailTemplatePreviewRequest"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["subject"] = Obj(("type", "string"), ("description", "The subject to render; left out: the template's.")),
            ["body"] = Obj(("type", "string"), ("description", "The HTML body to render; left out: the template's.")),
        }));
        schemas["EmailTemplatePreview"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["subject"] = Obj(("type", "string")),
            ["body"] = Obj(("type", "string"), ("description", "HTML; show it sandboxed.")),
            ["text"] = Obj(("type", "string"), ("description", "The plain-text part.")),
            ["values"] = Obj(("type", "object"), ("additionalProperties", Obj(("type", "string"))), ("description", "The sample value of each parameter of the template.")),
        }));
        schemas["EmailTemplateSendTestRequest"] = Obj(("type", "object"), ("required", new JsonArray("email")), ("properties", new JsonObject
        {
            ["email"] = Obj(("type", "string"), ("format", "email"), ("description", "Where to send the test message.")),
        }));
    }

    internal static JsonObject Op(string id, string description, JsonObject? response, string? body = null, bool created = false, bool list = false, bool ifMatch = false, bool noContent = false)
    {
        var responses = new JsonObject();
        var ok = Obj(("description", noContent ? "No content" : "OK"));
        if (response is not null)
        {
            ok["content"] = Obj(("application/json", Obj(("schema", response))));
        }

        responses[noContent ? "204" : "200"] = ok;
        if (created && response is not null)
        {
            responses["201"] = Obj(("description", "Created"), ("content", Obj(("application/json", Obj(("schema", response?.DeepClone()))))));
        }

        responses["default"] = Obj(("description", "Error, e.g. 400 ValidationError naming each field, 401, 404 ResourceNotFound, 412 PreconditionFailed."),
            ("content", Obj(("application/json", Obj(("schema", Ref("ErrorResponse")))))));
        var op = Obj(("operationId", id), ("description", description), ("responses", responses));
        var parameters = new JsonArray();
        if (list)
        {
            parameters.Add(Obj(("$ref", "#/components/parameters/Filter")));
            parameters.Add(Obj(("$ref", "#/components/parameters/Top")));
            parameters.Add(Obj(("$ref", "#/components/parameters/Skip")));
        }

        if (ifMatch)
        {
            parameters.Add(Obj(("$ref", "#/components/parameters/IfMatch")));
        }

        if (parameters.Count > 0)
        {
            op["parameters"] = parameters;
        }

        if (body is not null)
        {
            op["requestBody"] = Obj(("required", true), ("content", Obj(("application/json", Obj(("schema", Ref(body)))))));
        }

        return op;
    }

    private static void AddSchema(JsonObject schemas, ObjectSchema schema)
    {
        schemas[schema.Name] = ToSchema(schema, schemas);
        schemas[schema.Name + "Contract"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["id"] = Obj(("type", "string"), ("readOnly", true)),
            ["type"] = Obj(("type", "string"), ("readOnly", true)),
            ["name"] = Obj(("type", "string"), ("readOnly", true)),
            ["properties"] = Ref(schema.Name),
        }));
    }

    private static JsonObject ToSchema(ObjectSchema schema, JsonObject schemas)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var field in schema.Fields)
        {
            var s = field.Type switch
            {
                FieldType.String => Obj(("type", "string")),
                FieldType.Boolean => Obj(("type", "boolean")),
                FieldType.Integer => Obj(("type", "integer"), ("format", "int64")),
                FieldType.Number => Obj(("type", "number")),
                FieldType.StringArray => Obj(("type", "array"), ("items", Obj(("type", "string")))),
                FieldType.Object when field.Schema is not null => NestedRef(field.Schema, schemas),
                FieldType.ObjectArray when field.Schema is not null => Obj(("type", "array"), ("items", NestedRef(field.Schema, schemas))),
                FieldType.ObjectArray => Obj(("type", "array"), ("items", Obj(("type", "object")))),
                FieldType.Object => Obj(("type", "object")),
                _ => new JsonObject(),
            };
            if (field.Values is not null)
            {
                var target = field.Type == FieldType.StringArray ? (JsonObject)s["items"]! : s;
                target["enum"] = new JsonArray(field.Values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
            }

            if (field.MaxLength is { } max)
            {
                s["maxLength"] = max;
            }

            if (field.MinLength is { } min)
            {
                s["minLength"] = min;
            }

            if (field.Minimum is { } lo)
            {
                s["minimum"] = lo;
            }

            if (field.Maximum is { } hi)
            {
                s["maximum"] = hi;
            }

            if (field.ReadOnly)
            {
                s["readOnly"] = true;
            }

            if (field.Secret)
            {
                s["writeOnly"] = true;
            }

            if (field.Default?.Invoke() is { } d)
            {
                s["default"] = d;
            }

            if (field.Description is not null)
            {
                s["description"] = field.Description;
            }

            properties[field.Name] = s;
            if (field.Required)
            {
                required.Add(field.Name);
            }
        }

        var result = Obj(("type", "object"), ("properties", properties));
        if (required.Count > 0)
        {
            result["required"] = required;
        }

        return result;
    }

    private static JsonObject NestedRef(ObjectSchema schema, JsonObject schemas)
    {
        if (!schemas.ContainsKey(schema.Name))
        {
            schemas[schema.Name] = null;
            schemas[schema.Name] = ToSchema(schema, schemas);
        }

        return Ref(schema.Name);
    }

    /// <summary>The answer of <c>GET /tollgate/mail</c>.</summary>
    internal static JsonObject MailFolderList() => Obj(("type", "object"), ("properties", new JsonObject
    {
        ["delivery"] = Obj(("type", "string"), ("enum", new JsonArray("folder", "smtp"))),
        ["value"] = Obj(("type", "array"), ("items", Ref("MailMessage"))),
        ["count"] = Obj(("type", "integer")),
    }));

    internal static JsonObject Ref(string name) => Obj(("$ref", "#/components/schemas/" + name));

    internal static JsonObject Collection(string properties) => Obj(("type", "object"), ("properties", new JsonObject
    {
        ["value"] = Obj(("type", "array"), ("items", Ref(properties + "Contract"))),
        ["count"] = Obj(("type", "integer")),
        ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
    }));

    internal static JsonObject Obj(params (string Name, JsonNode? Value)[] members)
    {
        var o = new JsonObject();
        foreach (var (name, value) in members)
        {
            o[name] = value;
        }

        return o;
    }

    /// <summary>Where <see cref="MappedEndpoints"/> maps: routes only, no server.</summary>
    private sealed class EndpointCollector(IServiceProvider services) : IEndpointRouteBuilder
    {
        public IServiceProvider ServiceProvider => services;

        public ICollection<EndpointDataSource> DataSources { get; } = [];

        public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(services);
    }
}
