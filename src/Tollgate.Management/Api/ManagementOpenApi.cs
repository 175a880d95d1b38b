using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Core.Resources;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>
/// Generates the OpenAPI 3 document of the management API from the same resource schemas that validate requests,
/// so the document cannot drift from the behaviour. The committed copy is <c>src/Tollgate.Management/management-openapi.json</c>;
/// a test checks it equals what this generates (<c>tollgate openapi --output ...</c> refreshes it).
/// </summary>
public static partial class ManagementOpenApi
{
    private const string Base = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service/{serviceName}";

    public static string Generate()
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
        var service = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service";
        paths[service] = Obj(("get", Op("ApiManagementService_ListByResourceGroup", "Lists the API Management instances of a resource group.", Collection("ServiceProperties"))));
        paths["/subscriptions/{subscriptionId}/providers/Microsoft.ApiManagement/service"] =
            Obj(("get", Op("ApiManagementService_List", "Lists the API Management instances of a subscription.", Collection("ServiceProperties"))));
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
        paths["/subscriptions/{subscriptionId}/providers/Microsoft.ApiManagement/checkNameAvailability"] =
            Obj(("post", Op("ApiManagementService_CheckNameAvailability", "Whether an instance name is free (names are host names, unique across subscriptions) and valid.", Ref("ServiceNameAvailability"), body: "ServiceCheckNameAvailabilityParameters")));
        paths[Base] = Obj(
            ("get", Op("ApiManagementService_Get", "Gets an API Management instance.", Ref("ServicePropertiesContract"))),
            ("put", Op("ApiManagementService_CreateOrUpdate", "Creates an instance with APIM's built-ins (Starter and Unlimited products; Administrators, Developers and Guests groups; the administrator and their subscriptions).", Ref("ServicePropertiesContract"), body: "ServicePropertiesContract", created: true)),
            ("delete", Op("ApiManagementService_Delete", "Deletes an instance and everything in it.", null)));
        AddEntity(paths, "apis", "{apiId}", "Api", "ApiContractProperties", "APIs");
        paths[Base + "/apis/{apiId}"]!["put"]!["description"] = "Creates or replaces an API. With properties.format and properties.value it imports an OpenAPI 3 or Swagger 2 document with its operations (all or nothing); with format openapi-link, openapi+json-link or swagger-link-json, value is the http(s) URL the document is downloaded from (a 400 naming value when it cannot be). With properties.sourceApiId (/apis/{id}, /apis/{id};rev={n} or the ARM id) it clones that API: its operations, API and operation policies, schemas and tags are copied (a 400 naming sourceApiId when it does not exist). apiId {id};rev={n} addresses revision n of the API: PUT with sourceApiId creates it as a copy of that revision (it keeps the API's path, version and version set); DELETE of the current revision is refused while other revisions exist (DELETE apis/{id} deletes the API with all its revisions). GET with export=true returns the API's document itself with format=openapi (OpenAPI 3 YAML), openapi+json or swagger-json (or, without format, the one the Accept header asks for: application/vnd.oai.openapi, application/vnd.oai.openapi+json, application/vnd.swagger.doc+json; else OpenAPI 3 JSON); with format=openapi-link, openapi+json-link or swagger-link it returns {id, format, value:{link}}, a signed link valid for five minutes. Another format is a 400 naming format (no WADL or WSDL).";
        AddEntity(paths, "apis/{apiId}/operations", "{operationId}", "Operation", "OperationContractProperties", "operations of an API");
        AddEntity(paths, "apis/{apiId}/schemas", "{schemaId}", "Schema", "SchemaContractProperties", "schemas of an API (the definitions validate-content checks bodies against)");
        paths[Base + "/apis/{apiId}/products"] = Obj(("get", Op("ApiProduct_ListByApis", "Lists the products that contain the API.", Collection("ProductContractProperties"))));
        AddEntity(paths, "products", "{productId}", "Product", "ProductContractProperties", "products");
        AddLink(paths, "products/{productId}/apis", "{apiId}", "ProductApi", "ApiContractProperties", "APIs of a product");
        AddLink(paths, "products/{productId}/groups", "{groupId}", "ProductGroup", "GroupContractProperties", "groups that can see a product");
        paths[Base + "/products/{productId}/subscriptions"] = Obj(("get", Op("ProductSubscriptions_List", "Lists the subscriptions to a product.", Collection("SubscriptionContractProperties"))));
        AddEntity(paths, "groups", "{groupId}", "Group", "GroupContractProperties", "groups");
        AddLink(paths, "groups/{groupId}/users", "{userId}", "GroupUser", "UserContractProperties", "users of a group");
        AddEntity(paths, "users", "{userId}", "User", "UserContractProperties", "users");
        paths[Base + "/users/{userId}/subscriptions"] = Obj(("get", Op("UserSubscription_List", "Lists the subscriptions of a user.", Collection("SubscriptionContractProperties"))));
        paths[Base + "/users/{userId}/subscriptions/{sid}"] = Obj(("get", Op("UserSubscription_Get", "Gets a subscription of the user (keys are never returned); 404 when it belongs to another user.", Ref("SubscriptionContractPropertiesContract"))));
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
        paths[Base + "/users/{userId}/token"] = Obj(("post", Op("User_GetSharedAccessToken", "A SharedAccessSignature token of the user, signed with the instance's primary or secondary user-token key (CSPRNG, per instance) and expiring at properties.expiry. 400 names keyType or expiry.", Ref("UserTokenResult"), body: "UserTokenParameters")));
        paths[Base + "/users/{userId}/generateSsoUrl"] = Obj(("post", Op("User_GenerateSsoUrl", "The developer portal URL that signs the user in: a single-use token valid for five minutes. The portal's /signin-sso also takes a user token (users/{userId}/token), as APIM's delegation sends it, until it expires.", Ref("GenerateSsoUrlResult"))));
        schemas["UserIdentityCollection"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["value"] = Obj(("type", "array"), ("items", Ref("UserIdentityContract"))),
            ["count"] = Obj(("type", "integer"), ("format", "int64")),
            ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
        }));
        paths[Base + "/users/{userId}/identities"] = Obj(("get", Op("UserIdentities_List", "How the user signs in: the identities the user was written with, else provider Basic with the user's e-mail.", Ref("UserIdentityCollection"))));
        paths[Base + "/users/{userId}/groups"] = Obj(("get", Op("UserGroup_List", "Lists the groups of a user.", Collection("GroupContractProperties"))));
        AddEntity(paths, "subscriptions", "{sid}", "Subscription", "SubscriptionContractProperties", "subscriptions (keys are never returned by GET)");
        paths[Base + "/subscriptions/{sid}/listSecrets"] = Obj(("post", Op("Subscription_ListSecrets", "Returns the subscription's primary and secondary keys.", Ref("SubscriptionKeysContract"))));
        paths[Base + "/subscriptions/{sid}/usage"] = Obj(("get", Op("Subscription_Usage", "Tollgate extension: calls and bandwidth in the subscription's current rate-limit and quota windows (from the gateways' counters; null with currentWindowsUnavailable when they live in another process's memory) and its history from the request log (interval, default P1D; $filter on timestamp, default the last 30 days).", Obj(("type", "object")))));
        paths[Base + "/users/{userId}/subscriptions/{sid}/usage"] = Obj(("get", Op("UserSubscription_Usage", "Tollgate extension: the subscription's usage as /subscriptions/{sid}/usage gives it, only when the user owns the subscription (404 otherwise); what the developer portal reads.", Obj(("type", "object")))));
        paths[Base + "/portalsettings/branding"] = Obj(
            ("get", Op("PortalSettings_GetBranding", "Tollgate extension: the developer portal's branding: primaryColor (#rrggbb or null), defaultTheme (light or dark) and the logo's contentType, size and hash (or null). The organization name is the instance's publisherName.", Obj(("type", "object")))),
            ("put", Op("PortalSettings_PutBranding", "Replaces the branding: properties.primaryColor (#rgb or #rrggbb), defaultTheme (light or dark), logo {contentType: image/png, image/jpeg or image/svg+xml, value: base64, at most 256 KB; an SVG is sanitized} or null. Validation errors name the field.", Obj(("type", "object")))),
            ("patch", Op("PortalSettings_PatchBranding", "Changes the branding fields sent (logo null removes the logo); the others are kept.", Obj(("type", "object")))));
        paths[Base + "/portalsettings/branding/logo"] = Obj(("get", Op("PortalSettings_GetBrandingLogo", "Tollgate extension: the logo image itself, with its content type and a Content-Security-Policy that lets nothing in it run (404 when there is none).", null)));
        paths[Base + "/subscriptions/{sid}/regeneratePrimaryKey"] = Obj(("post", Op("Subscription_RegeneratePrimaryKey", "Replaces the primary key with a new random one.", null, noContent: true)));
        paths[Base + "/subscriptions/{sid}/regenerateSecondaryKey"] = Obj(("post", Op("Subscription_RegenerateSecondaryKey", "Replaces the secondary key with a new random one.", null, noContent: true)));
        AddEntity(paths, "namedValues", "{namedValueId}", "NamedValue", "NamedValueContractProperties", "named values (secret values are never returned by GET)");
        AddEntity(paths, "tags", "{tagId}", "Tag", "TagContractProperties", "tags (deleting one removes it from every API)");
        AddEntity(paths, "schemas", "{schemaId}", "GlobalSchema", "GlobalSchemaContractProperties", "instance-level schemas that validate-content schema-id names");
        AddEntity(paths, "backends", "{backendId}", "Backend", "BackendContractProperties", "backends that set-backend-service backend-id routes to (a member of a pool cannot be deleted: 409)");
        AddCertificates(paths);
        AddLink(paths, "apis/{apiId}/tags", "{tagId}", "ApiTag", "TagContractProperties", "tags of an API");
        paths[Base + "/tags/{tagId}/apis"] = Obj(("get", Op("TagApi_ListByTag", "Tollgate extension: the APIs carrying a tag (the developer portal's catalogue filter).", Collection("ApiContractProperties"))));
        paths[Base + "/namedValues/{namedValueId}/listValue"] = Obj(("post", Op("NamedValue_ListValue", "Returns the value of a named value, secret or not.", Ref("NamedValueSecretContract"))));
        paths[Base + "/namedValues/{namedValueId}/refreshSecret"] = Obj(("post", Op("NamedValue_RefreshSecret", "APIM refreshes a Key Vault-backed secret here. Tollgate reaches no Key Vault: always 400 ValidationError naming 'keyVault' and saying why (404 when the named value does not exist).", Ref("NamedValueContractPropertiesContract"))));
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
        foreach (var owner in new[] { "", "/products/{productId}", "/apis/{apiId}", "/apis/{apiId}/operations/{operationId}" })
        {
            paths[$"{Base}{owner}/policies/policy"] = Obj(
                ("get", Op("Policy_Get" + owner.Count(c => c == '/'), "Gets the policy document of this scope; format=rawxml returns it as written.", Ref("PolicyContract"))),
                ("put", Op("Policy_CreateOrUpdate" + owner.Count(c => c == '/'), "Creates or replaces the policy document of this scope after validating it.", Ref("PolicyContract"), body: "PolicyContract", created: true)),
                ("delete", Op("Policy_Delete" + owner.Count(c => c == '/'), "Deletes the policy document of this scope.", null)));
        }

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
        paths[Base + "/policyFragments"] = Obj(("get", Op("PolicyFragment_ListByService", "Lists the policy fragments.", Collection("PolicyFragment"))));
        paths[Base + "/policyFragments/{id}"] = Obj(
            ("get", Op("PolicyFragment_Get", "Gets a policy fragment.", Ref("PolicyFragmentContract"))),
            ("put", Op("PolicyFragment_CreateOrUpdate", "Creates or replaces a policy fragment after validating it.", Ref("PolicyFragmentContract"), body: "PolicyFragmentContract", created: true)),
            ("delete", Op("PolicyFragment_Delete", "Deletes a policy fragment; one still included by a policy or another fragment is refused with 409 naming them.", null)));
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
        paths[Base + "/policyFragments/{id}/listReferences"] = Obj(("post", Op("PolicyFragment_ListReferences", "Lists the policies (global, product, API, operation) and other fragments that include the fragment with <include-fragment fragment-id=\"…\"/>; $top and $skip page them.", Ref("ResourceCollection"))));
        AddMail(paths, schemas);
        AddVersions(paths, schemas);
        paths[Base + "/tenant/access/listSecrets"] = Obj(("post", Op("TenantAccess_ListSecrets", "Returns the administrator identifier and keys that sign SharedAccessSignature tokens.", Obj(("type", "object")))));
        paths[Base + "/tenant/access/regeneratePrimaryKey"] = Obj(("post", Op("TenantAccess_RegeneratePrimaryKey", "Replaces the administrator primary key; tokens it signed stop working.", null, noContent: true)));
        paths[Base + "/tenant/access/regenerateSecondaryKey"] = Obj(("post", Op("TenantAccess_RegenerateSecondaryKey", "Replaces the administrator secondary key; tokens it signed stop working.", null, noContent: true)));

        AddReports(paths, schemas);

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
        paths["/tollgate/servicePrincipals"] = Obj(("get", Op("ServicePrincipal_List", "Lists the service principals (without secrets).", Collection("ServicePrincipal"))));
        paths["/tollgate/servicePrincipals/{clientId}"] = Obj(
            ("get", Op("ServicePrincipal_Get", "Gets a service principal (without its secret).", Ref("ServicePrincipalContract"))),
            ("put", Op("ServicePrincipal_CreateOrUpdate", "Creates a service principal, or rotates its secret; the answer carries the new client secret, shown once.", Ref("ServicePrincipalContract"), body: "ServicePrincipalContract", created: true)),
            ("delete", Op("ServicePrincipal_Delete", "Revokes a service principal: its secret and the tokens issued to it stop working at once.", null)));

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
        paths["/tollgate/mail"] = Obj(("get", Op("MailFolder_List",
            "Tollgate: the messages delivered to the mail folder ({data}/mail, when no SMTP server is configured), newest first ($top, default 100). delivery is 'smtp' (and the list empty) when an SMTP server is configured.",
            Obj(("type", "object"), ("properties", new JsonObject
            {
                ["delivery"] = Obj(("type", "string"), ("enum", new JsonArray("folder", "smtp"))),
                ["value"] = Obj(("type", "array"), ("items", Ref("MailMessage"))),
                ["count"] = Obj(("type", "integer")),
            })))));
        paths["/tollgate/mail/{id}"] = Obj(("get", Op("MailFolder_Get",
            "Tollgate: one message of the mail folder: headers, text part, HTML part. An id not of the form yyyyMMddTHHmmssfff-{32 hex} is a 400 naming 'id'.", Ref("MailMessage"))));

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
    private static void AddReports(JsonObject paths, JsonObject schemas)
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

        JsonObject Page(string item) => Obj(("type", "object"), ("properties", new JsonObject
        {
            ["value"] = Obj(("type", "array"), ("items", Ref(item))),
            ["count"] = Obj(("type", "integer"), ("format", "int64")),
            ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
        }));

        foreach (var report in new[] { "byApi", "byOperation", "byProduct", "bySubscription", "byUser", "byTime", "byRequest" })
        {
            var item = report == "byRequest" ? "RequestReportRecordContract" : "ReportRecordContract";
            var op = Op("Reports_List" + report[2..], $"Report {report}. Add format=csv (or Accept: text/csv) for the same rows as CSV with a header row.", Page(item));
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
            paths[$"{Base}/reports/{report}"] = Obj(("get", op));
        }
    }

    /// <summary>APIM's e-mail templates and notifications with their recipients, and the password reset e-mail of a user.</summary>
    private static void AddMail(JsonObject paths, JsonObject schemas)
    {
        AddSchema(schemas, ResourceSchemas.EmailTemplate);
        paths[Base + "/templates"] = Obj(("get", Op("EmailTemplate_ListByService", "Lists APIM's e-mail templates, each customised or with its default (isDefault).", Collection("EmailTemplateUpdateParameterProperties"))));
        paths[Base + "/templates/{templateName}"] = Obj(
            ("get", Op("EmailTemplate_Get", "Gets an e-mail template: subject, HTML body, title, description, isDefault and the $parameters it may use.", Ref("EmailTemplateUpdateParameterPropertiesContract"))),
            ("put", Op("EmailTemplate_CreateOrUpdate", "Customises a template (201 the first time); what is left out keeps its default. $Parameter is replaced in the subject by its value, in the body by its value HTML-encoded.",
                Ref("EmailTemplateUpdateParameterPropertiesContract"), body: "EmailTemplateUpdateParameterPropertiesContract", created: true)),
            ("patch", Op("EmailTemplate_Update", "Changes the given properties of a template's customisation.", Ref("EmailTemplateUpdateParameterPropertiesContract"), body: "EmailTemplateUpdateParameterPropertiesContract")),
            ("delete", Op("EmailTemplate_Delete", "Resets a template to its default (200; 204 when it was not customised).", null)));

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
        paths[Base + "/notifications"] = Obj(("get", Op("Notification_ListByService", "Lists the publisher notifications with their recipients.", Obj(("type", "object"), ("properties", new JsonObject
        {
            ["value"] = Obj(("type", "array"), ("items", Ref("NotificationContract"))),
            ["count"] = Obj(("type", "integer")),
            ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
        })))));
        paths[Base + "/notifications/{notificationName}"] = Obj(
            ("get", Op("Notification_Get", "Gets a notification and its recipients. RequestPublisherNotificationMessage without recipients goes to the instance's publisherEmail.", Ref("NotificationContract"))),
            ("put", Op("Notification_CreateOrUpdate", "Notifications always exist: answers the notification as it is.", Ref("NotificationContract"))));
        AddSchema(schemas, ResourceSchemas.RecipientEmail);
        AddLink(paths, "notifications/{notificationName}/recipientEmails", "{email}", "NotificationRecipientEmail", "RecipientEmailContractProperties", "e-mail recipients of the notification");
        schemas["RecipientUserContractProperties"] = Obj(("type", "object"), ("properties", new JsonObject { ["userId"] = Obj(("type", "string"), ("description", "The user's resource id.")) }));
        schemas["RecipientUserContractPropertiesContract"] = Obj(("type", "object"), ("properties", new JsonObject
        {
            ["id"] = Obj(("type", "string"), ("readOnly", true)),
            ["type"] = Obj(("type", "string"), ("readOnly", true)),
            ["name"] = Obj(("type", "string"), ("readOnly", true)),
            ["properties"] = Ref("RecipientUserContractProperties"),
        }));
        AddLink(paths, "notifications/{notificationName}/recipientUsers", "{userId}", "NotificationRecipientUser", "RecipientUserContractProperties", "users who receive the notification (at their e-mail)");
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
        paths[Base + "/templates/{templateName}/preview"] = Obj(("post", Op("EmailTemplate_Preview",
            "Tollgate: renders the subject and body given (else the template's) with sample values for its parameters; nothing is saved.",
            Ref("EmailTemplatePreview"), body: "EmailTemplatePreviewRequest")));
        schemas["EmailTemplateSendTestRequest"] = Obj(("type", "object"), ("required", new JsonArray("email")), ("properties", new JsonObject
        {
            ["email"] = Obj(("type", "string"), ("format", "email"), ("description", "Where to send the test message.")),
        }));
        paths[Base + "/templates/{templateName}/sendTest"] = Obj(("post", Op("EmailTemplate_SendTest",
            "Tollgate: queues the template as saved, rendered with sample values, to the e-mail given, through the outbox (202 with the message's id). A bad e-mail is a 400 naming 'email'.",
            Obj(("type", "object"), ("properties", new JsonObject { ["email"] = Obj(("type", "string")), ["id"] = Obj(("type", "string")) })), body: "EmailTemplateSendTestRequest")));
        paths[Base + "/users/{userId}/confirmations/password/send"] = Obj(("post", Op("UserConfirmationPassword_Send",
            "Sends the user an e-mail (passwordResetByAdminNotificationMessage) with a single-use link, valid for an hour, to choose a new password.", null, noContent: true)));
    }

    private static void AddEntity(JsonObject paths, string collection, string idParameter, string name, string properties, string what)
    {
        var listName = collection.Contains('/') ? name + "_ListByParent" : name + "_ListByService";
        paths[$"{Base}/{collection}"] = Obj(("get", Op(listName, $"Lists {what}; supports $filter, $top and $skip, with nextLink for the next page.", Collection(properties), list: true)));
        paths[$"{Base}/{collection}/{idParameter}"] = Obj(
            ("get", Op(name + "_Get", $"Gets one of the {what}. The ETag header carries its version.", Ref(properties + "Contract"))),
            ("put", Op(name + "_CreateOrUpdate", $"Creates (201) or replaces (200) one of the {what}. Every invalid field is reported at once.", Ref(properties + "Contract"), body: properties + "Contract", created: true, ifMatch: true)),
            ("patch", Op(name + "_Update", $"Updates the given properties of one of the {what}.", Ref(properties + "Contract"), body: properties + "Contract", ifMatch: true)),
            ("delete", Op(name + "_Delete", $"Deletes one of the {what} (200; 204 when it did not exist).", null, ifMatch: true)));
    }

    /// <summary>certificates: as an entity, without PATCH (APIM has none), with refreshSecret.</summary>
    private static void AddCertificates(JsonObject paths)
    {
        AddEntity(paths, "certificates", "{certificateId}", "Certificate", "CertificateContractProperties",
            "client certificates presented to backends (authentication-certificate, backends' credentials.certificateIds); PUT takes data (base64 PFX) and password, GET shows subject, thumbprint and expirationDate only. keyVault is refused (400 naming it); one a backend or a policy uses is not deleted (409 naming them)");
        paths[$"{Base}/certificates/{{certificateId}}"]!.AsObject().Remove("patch");
        paths[$"{Base}/certificates/{{certificateId}}/refreshSecret"] = Obj(("post", Op("Certificate_RefreshSecret", "APIM refreshes a Key Vault certificate here. No certificate here comes from Key Vault: always 400 ValidationError naming 'keyVault' (404 when the certificate does not exist).", Ref("CertificateContractPropertiesContract"))));
    }

    private static void AddLink(JsonObject paths, string collection, string idParameter, string name, string properties, string what)
    {
        paths[$"{Base}/{collection}"] = Obj(("get", Op(name + "_ListByParent", $"Lists the {what}.", Collection(properties), list: true)));
        paths[$"{Base}/{collection}/{idParameter}"] = Obj(
            ("put", Op(name + "_CreateOrUpdate", $"Adds to the {what}.", Ref(properties + "Contract"), created: true)),
            ("head", Op(name + "_CheckEntityExists", $"204 when it is among the {what}, else 404.", null, noContent: true)),
            ("delete", Op(name + "_Delete", $"Removes from the {what}.", null)));
    }

    private static JsonObject Op(string id, string description, JsonObject? response, string? body = null, bool created = false, bool list = false, bool ifMatch = false, bool noContent = false)
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

    private static JsonObject Ref(string name) => Obj(("$ref", "#/components/schemas/" + name));

    private static JsonObject Collection(string properties) => Obj(("type", "object"), ("properties", new JsonObject
    {
        ["value"] = Obj(("type", "array"), ("items", Ref(properties + "Contract"))),
        ["count"] = Obj(("type", "integer")),
        ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
    }));

    private static JsonObject Obj(params (string Name, JsonNode? Value)[] members)
    {
        var o = new JsonObject();
        foreach (var (name, value) in members)
        {
            o[name] = value;
        }

        return o;
    }
}
