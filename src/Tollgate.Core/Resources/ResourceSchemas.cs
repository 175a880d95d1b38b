using System.Net.Mail;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tollgate.Routing;

namespace Tollgate.Core.Resources;

/// <summary>
/// The <c>properties</c> contracts of the management API (APIM 2022-08-01), used for validation,
/// defaults, secret hiding and the OpenAPI document.
/// </summary>
public static partial class ResourceSchemas
{
    public const string DefaultKeyHeader = "Ocp-Apim-Subscription-Key";
    public const string DefaultKeyQuery = "subscription-key";

    public static readonly IReadOnlyList<string> SubscriptionStates = ["suspended", "active", "expired", "submitted", "rejected", "cancelled"];

    private static readonly string[] HttpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"];

    /// <summary>Host name types of <c>hostnameConfigurations</c>: the gateway serves <c>Proxy</c> host names.</summary>
    public static readonly IReadOnlyList<string> HostnameTypes = ["Proxy", "Portal", "DeveloperPortal", "Management"];

    public static readonly ObjectSchema HostnameConfiguration = new("HostnameConfiguration",
    [
        new("type", FieldType.String) { Required = true, Values = HostnameTypes, Description = "Proxy: the gateway serves the instance on this host name. Portal, DeveloperPortal, Management: kept for those roles." },
        new("hostName", FieldType.String) { Required = true, MaxLength = 253, Check = CheckHostName, Description = "A DNS name (api.contoso.com) that resolves to the gateway." },
        new("encodedCertificate", FieldType.String) { Secret = true, Description = "Base64 PFX with the private key, for HTTPS on this host name (chosen by SNI). Without one the host name is served over HTTP only. Never returned; a GET-modify-PUT that sends the entry back with its 'certificate' keeps it." },
        new("certificatePassword", FieldType.String) { Secret = true, Description = "Password of encodedCertificate, if any. Never returned." },
        new("negotiateClientCertificate", FieldType.Boolean) { Default = () => false },
        new("defaultSslBinding", FieldType.Boolean) { Default = () => false },
        new("certificateSource", FieldType.String) { ReadOnly = true, Description = "Custom when a certificate is configured, None when the host name is served over HTTP only." },
        new("certificate", FieldType.Object) { ReadOnly = true, Description = "The certificate's expiry, thumbprint and subject." },
        new("urls", FieldType.StringArray) { ReadOnly = true, Description = "The gateway URLs that serve this host name (Proxy): HTTPS only with a certificate." },
    ]);

    public static readonly ObjectSchema Service = new("ServiceProperties",
    [
        new("publisherName", FieldType.String) { Required = true, MaxLength = 100, MinLength = 1, Description = "Organization name, shown in the portals and e-mails." },
        new("publisherEmail", FieldType.String) { Required = true, MaxLength = 100, Check = CheckEmail, Description = "Administrator e-mail for system notifications." },
        new("notificationSenderEmail", FieldType.String) { MaxLength = 100, Check = CheckEmail },
        new("gatewayUrl", FieldType.String) { ReadOnly = true, Description = "The gateway URL that serves this instance: https://{name}.localhost:5443 by default (Tollgate:Management:GatewayUrl, Tollgate:Gateway:HostSuffix)." },
        new("managementApiUrl", FieldType.String) { ReadOnly = true },
        new("developerPortalUrl", FieldType.String) { ReadOnly = true, Description = "The instance's developer portal: http://{name}.portal.localhost:5083 by default (Tollgate:Management:PortalUrl)." },
        new("portalUrl", FieldType.String) { ReadOnly = true, Description = "The instance's publisher portal: developerPortalUrl + /admin." },
        new("hostnameConfigurations", FieldType.ObjectArray) { Schema = HostnameConfiguration, Default = () => new JsonArray(), Description = "Custom host names of the instance, next to its own {name}.{HostSuffix}." },
        new("createdAtUtc", FieldType.String) { ReadOnly = true },
        new("provisioningState", FieldType.String) { ReadOnly = true },
        new("targetProvisioningState", FieldType.String) { ReadOnly = true, Description = "Always empty: nothing is being provisioned." },
        new("virtualNetworkType", FieldType.String) { ReadOnly = true, Description = "Always None: Tollgate is not deployed into an Azure virtual network." },
        new("publicNetworkAccess", FieldType.String) { ReadOnly = true, Description = "Always Enabled: who can reach the listeners is the host's network's business." },
        new("disableGateway", FieldType.Boolean) { ReadOnly = true, Description = "Always false: the gateway role serves every instance." },
        new("platformVersion", FieldType.String) { ReadOnly = true, Description = "Always undetermined: there is no Azure compute platform (stv1, stv2) to name." },
    ]);

    public static readonly ObjectSchema KeyParameterNames = new("SubscriptionKeyParameterNamesContract",
    [
        new("header", FieldType.String) { Default = () => DefaultKeyHeader, MinLength = 1, MaxLength = 200, Check = CheckHeaderName },
        new("query", FieldType.String) { Default = () => DefaultKeyQuery, MinLength = 1, MaxLength = 200 },
    ]);

    public static readonly ObjectSchema Api = new("ApiContractProperties",
    [
        new("displayName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 300 },
        new("description", FieldType.String),
        new("path", FieldType.String) { Required = true, MaxLength = 400, Check = CheckApiPath, Description = "URL suffix: the API is served at {gateway}/{path}." },
        new("serviceUrl", FieldType.String) { MaxLength = 2000, Check = CheckApiServiceUrl, Description = "Absolute http(s) URL of the backend; ws(s):// for an API of type websocket (and only for it)." },
        new("protocols", FieldType.StringArray) { Values = ["http", "https", "ws", "wss"], Default = () => new JsonArray("https") },
        new("subscriptionRequired", FieldType.Boolean) { Default = () => true },
        new("subscriptionKeyParameterNames", FieldType.Object) { Schema = KeyParameterNames, Default = () => new JsonObject { ["header"] = DefaultKeyHeader, ["query"] = DefaultKeyQuery } },
        new("apiVersion", FieldType.String) { MaxLength = 100, Description = "The API's version in its version set (apiVersionSetId); none: the set's original, which answers calls naming no version." },
        new("apiVersionSetId", FieldType.String) { Description = "The version set the API is a version of: /apiVersionSets/{id} or its ARM id (shown as the ARM id, with apiVersionSet's details)." },
        new("apiVersionSet", FieldType.Object) { Description = "The version set's details (id, name, description, versioningScheme, versionHeaderName, versionQueryName), shown on GET; on input its id stands for apiVersionSetId." },
        new("apiVersionDescription", FieldType.String) { MaxLength = 256 },
        new("apiRevisionDescription", FieldType.String) { MaxLength = 256 },
        new("type", FieldType.String) { Values = ["http", "soap", WebSocketApiType, "graphql"], Default = () => "http" },
        new("authenticationSettings", FieldType.Object),
        new("contact", FieldType.Object),
        new("license", FieldType.Object),
        new("termsOfServiceUrl", FieldType.String),
        new("apiRevision", FieldType.String) { ReadOnly = true, Description = "The revision's number: PUT apis/{id};rev={n} (with sourceApiId) creates revision n; creating an API with apiRevision sets its first number (1 when left out)." },
        new("isCurrent", FieldType.Boolean) { Description = "Whether this is the current revision (served at the API's path; apis/{id} is always it). PUT or PATCH of apis/{id};rev={n} with isCurrent true makes that existing revision current (the previous one stays as apis/{id};rev={m}), as a release (apis/{id}/releases) does; false on the current revision is a 400 naming isCurrent, and so is true on a revision that does not exist yet." },
        new("isOnline", FieldType.Boolean) { ReadOnly = true },
    ]);

    public static readonly ObjectSchema Parameter = new("ParameterContract",
    [
        new("name", FieldType.String) { Required = true, MinLength = 1 },
        new("type", FieldType.String) { Required = true, MinLength = 1 },
        new("description", FieldType.String),
        new("defaultValue", FieldType.String),
        new("required", FieldType.Boolean) { Default = () => false },
        new("values", FieldType.StringArray),
        new("schemaId", FieldType.String),
        new("typeName", FieldType.String),
        new("examples", FieldType.Any),
    ]);

    public static readonly ObjectSchema Representation = new("RepresentationContract",
    [
        new("contentType", FieldType.String) { Required = true, MinLength = 1 },
        new("schemaId", FieldType.String),
        new("typeName", FieldType.String),
        new("formParameters", FieldType.ObjectArray) { Schema = Parameter },
        new("examples", FieldType.Any),
    ]);

    public static readonly ObjectSchema Request = new("RequestContract",
    [
        new("description", FieldType.String),
        new("queryParameters", FieldType.ObjectArray) { Schema = Parameter },
        new("headers", FieldType.ObjectArray) { Schema = Parameter },
        new("representations", FieldType.ObjectArray) { Schema = Representation },
    ]);

    public static readonly ObjectSchema Response = new("ResponseContract",
    [
        new("statusCode", FieldType.Integer) { Required = true, Minimum = 100, Maximum = 599 },
        new("description", FieldType.String),
        new("representations", FieldType.ObjectArray) { Schema = Representation },
        new("headers", FieldType.ObjectArray) { Schema = Parameter },
    ]);

    public static readonly ObjectSchema Operation = new("OperationContractProperties",
    [
        new("displayName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 300 },
        new("method", FieldType.String) { Required = true, Check = CheckMethod, Description = "HTTP method, e.g. GET or POST." },
        new("urlTemplate", FieldType.String) { Required = true, MaxLength = UrlTemplate.MaxLength, Check = CheckUrlTemplate, Description = "Relative URL template, e.g. /customers/{cid}/orders/{oid}/?date={date}." },
        new("templateParameters", FieldType.ObjectArray) { Schema = Parameter, Default = () => new JsonArray() },
        new("description", FieldType.String) { MaxLength = 1000 },
        new("request", FieldType.Object) { Schema = Request },
        new("responses", FieldType.ObjectArray) { Schema = Response, Default = () => new JsonArray() },
        new("policies", FieldType.String) { ReadOnly = true },
    ]);

    public static readonly ObjectSchema Product = new("ProductContractProperties",
    [
        new("displayName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 300 },
        new("description", FieldType.String) { MaxLength = 1000 },
        new("terms", FieldType.String),
        new("subscriptionRequired", FieldType.Boolean) { Default = () => true },
        new("approvalRequired", FieldType.Boolean) { Default = () => false },
        new("subscriptionsLimit", FieldType.Integer) { Minimum = 0 },
        new("state", FieldType.String) { Values = ["notPublished", "published"], Default = () => "notPublished" },
    ]);

    public static readonly ObjectSchema Group = new("GroupContractProperties",
    [
        new("displayName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 300 },
        new("description", FieldType.String) { MaxLength = 1000 },
        new("type", FieldType.String) { Values = ["custom", "system", "external"], Default = () => "custom" },
        new("externalId", FieldType.String),
        new("builtIn", FieldType.Boolean) { ReadOnly = true },
    ]);

    public static readonly ObjectSchema UserIdentity = new("UserIdentityContract",
    [
        new("provider", FieldType.String),
        new("id", FieldType.String),
    ]);

    public static readonly ObjectSchema User = new("UserContractProperties",
    [
        new("email", FieldType.String) { Required = true, MaxLength = 254, Check = CheckEmail },
        new("firstName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 100 },
        new("lastName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 100 },
        new("password", FieldType.String) { Secret = true, MinLength = 1 },
        new("state", FieldType.String) { Values = ["active", "blocked", "pending", "deleted"], Default = () => "active" },
        new("note", FieldType.String),
        new("confirmation", FieldType.String) { Values = ["signup", "invite"], Secret = true },
        new("appType", FieldType.String) { Values = ["portal", "developerPortal"], Secret = true },
        new("identities", FieldType.ObjectArray) { Schema = UserIdentity },
        new("registrationDate", FieldType.String) { ReadOnly = true },
        new("groups", FieldType.ObjectArray) { ReadOnly = true },
    ]);

    /// <summary>Tollgate extension: a subscription's scheduled key rotation (<c>properties.keyRotation</c>).</summary>
    public static readonly ObjectSchema KeyRotation = new("SubscriptionKeyRotationContract",
    [
        new("interval", FieldType.String) { Required = true, Check = KeyLifetimes.CheckDuration, Description = "How often both keys are replaced: an ISO-8601 duration of at least PT1H (P90D)." },
        new("overlap", FieldType.String) { Default = () => "P0D", Check = KeyLifetimes.CheckDuration, Description = "How long the replaced keys keep working after a rotation: an ISO-8601 duration shorter than interval (P7D). Default P0D." },
        new("nextRotationAt", FieldType.String) { ReadOnly = true, Description = "When the keys are next replaced." },
        new("lastRotatedAt", FieldType.String) { ReadOnly = true, Description = "When the keys were last replaced by the schedule." },
        new("previousKeysValidUntil", FieldType.String) { ReadOnly = true, Description = "Until when the keys replaced by the last rotation work; null once they no longer do." },
        new("previousKeysLastUsedAt", FieldType.String) { ReadOnly = true, Description = "When a key replaced by the last rotation last let a call through; null: not since the rotation." },
    ]);

    public static readonly ObjectSchema Subscription = new("SubscriptionContractProperties",
    [
        new("scope", FieldType.String) { Required = true, MinLength = 1, Description = "/products/{productId}, /apis/{apiId} or /apis (all APIs)." },
        new("ownerId", FieldType.String),
        new("displayName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 100 },
        new("state", FieldType.String) { Values = SubscriptionStates, Default = () => "submitted" },
        new("primaryKey", FieldType.String) { Secret = true, MinLength = 1, MaxLength = 256 },
        new("secondaryKey", FieldType.String) { Secret = true, MinLength = 1, MaxLength = 256 },
        new("allowTracing", FieldType.Boolean) { Default = () => false },
        new("stateComment", FieldType.String),
        new("createdDate", FieldType.String) { ReadOnly = true },
        new("startDate", FieldType.String) { ReadOnly = true },
        new("expirationDate", FieldType.String) { ReadOnly = true },
        new("endDate", FieldType.String) { ReadOnly = true },
        new("notificationDate", FieldType.String) { ReadOnly = true },
        new("primaryKeyExpiresAt", FieldType.String) { Check = KeyLifetimes.CheckTime, Description = "Tollgate extension: when the primary key stops working (ISO-8601 date-time, in the future when set; null: never). A new primary key (regenerated or rotated) has none." },
        new("secondaryKeyExpiresAt", FieldType.String) { Check = KeyLifetimes.CheckTime, Description = "Tollgate extension: when the secondary key stops working (ISO-8601 date-time, in the future when set; null: never). A new secondary key (regenerated or rotated) has none." },
        new("keyRotation", FieldType.Object) { Schema = KeyRotation, Description = "Tollgate extension: a schedule that replaces both keys every 'interval', the old ones working on for 'overlap'. null: no rotation." },
        new("primaryKeyCreatedAt", FieldType.String) { ReadOnly = true, Description = "Tollgate extension: when the current primary key was made." },
        new("secondaryKeyCreatedAt", FieldType.String) { ReadOnly = true, Description = "Tollgate extension: when the current secondary key was made." },
        new("primaryKeyLastUsedAt", FieldType.String) { ReadOnly = true, Description = "Tollgate extension: when the current primary key last let a call through the gateway (from the request log, written to the store once a minute); null: not used yet." },
        new("secondaryKeyLastUsedAt", FieldType.String) { ReadOnly = true, Description = "Tollgate extension: when the current secondary key last let a call through the gateway (from the request log, written to the store once a minute); null: not used yet." },
    ]);

    public static readonly ObjectSchema NamedValue = new("NamedValueContractProperties",
    [
        new("displayName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 256, Check = CheckNamedValueName },
        new("value", FieldType.String) { MaxLength = 4096 },
        new("secret", FieldType.Boolean) { Default = () => false },
        new("tags", FieldType.StringArray) { Default = () => new JsonArray() },
        new("keyVault", FieldType.Object),
    ]);

    /// <summary>APIM's tags: a label put on APIs, shown and filtered by in the developer portal's catalogue.</summary>
    public static readonly ObjectSchema Tag = new("TagContractProperties",
    [
        new("displayName", FieldType.String) { Required = true, MinLength = 1, MaxLength = 160 },
    ]);

    public static readonly ObjectSchema EmailTemplateParameter = new("EmailTemplateParametersContractProperties",
    [
        new("name", FieldType.String) { MinLength = 1, MaxLength = 256 },
        new("title", FieldType.String) { MinLength = 1, MaxLength = 4096 },
        new("description", FieldType.String) { MinLength = 1 },
    ]);

    /// <summary>An e-mail template's customisation (<c>.../templates/{templateName}</c>); what is left out keeps its default.</summary>
    public static readonly ObjectSchema EmailTemplate = new("EmailTemplateUpdateParameterProperties",
    [
        new("subject", FieldType.String) { MinLength = 1, MaxLength = 1000, Description = "The subject; $Parameter is replaced by the parameter's value." },
        new("body", FieldType.String) { MinLength = 1, Description = "The HTML body; $Parameter is replaced by the parameter's value, HTML-encoded." },
        new("title", FieldType.String),
        new("description", FieldType.String),
        new("isDefault", FieldType.Boolean) { ReadOnly = true },
        new("parameters", FieldType.ObjectArray) { ReadOnly = true, Schema = EmailTemplateParameter },
    ]);

    /// <summary>A notification's recipient e-mail (<c>.../notifications/{name}/recipientEmails/{email}</c>, the e-mail is the name).</summary>
    public static readonly ObjectSchema RecipientEmail = new("RecipientEmailContractProperties",
    [
        new("email", FieldType.String) { Required = true, MaxLength = 254, Check = CheckEmail },
    ]);

    private static string? CheckEmail(JsonNode value)
    {
        var s = value.GetValue<string>();
        return MailAddress.TryCreate(s, out var address) && address.Address == s ? null : $"'{s}' is not a valid e-mail address.";
    }

    /// <summary>A DNS host name: labels of letters, digits and '-', at least two of them, no IP address.</summary>
    private static string? CheckHostName(JsonNode value)
    {
        var s = value.GetValue<string>();
        var labels = s.Split('.');
        var valid = labels.Length >= 2 && labels.All(l => l.Length is > 0 and <= 63 && !l.StartsWith('-') && !l.EndsWith('-') && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            && !System.Net.IPAddress.TryParse(s, out _);
        return valid ? null : $"'{s}' is not a valid host name (such as api.contoso.com).";
    }

    private static string? CheckHeaderName(JsonNode value) =>
        value.GetValue<string>().Any(c => c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c))
            ? "is not a valid HTTP header name." : null;

    private static string? CheckApiPath(JsonNode value)
    {
        var s = value.GetValue<string>();
        if (s.IndexOfAny(['?', '#', '{', '}', ' ', '\\', '*', '%']) >= 0)
        {
            return "'path' must be a URL suffix without '?', '#', '{', '}', '*', '%', '\\' or spaces.";
        }

        return s.Trim('/').Contains("//", StringComparison.Ordinal) ? "'path' must not contain empty segments ('//')." : null;
    }

    /// <summary>Checks that a backend URL is absolute http or https.</summary>
    public static string? CheckServiceUrl(JsonNode value)
    {
        var s = value.GetValue<string>();
        if (s.Length == 0)
        {
            return null;
        }

        return Uri.TryCreate(s, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
            ? null
            : $"'serviceUrl' must be an absolute http or https URL; '{s}' is not.";
    }

    /// <summary>
    /// Checks that an API's backend URL is absolute http, https, ws or wss; whether ws(s) fits the API's type is the
    /// management service's check (<see cref="IsWebSocketUrl"/>).
    /// </summary>
    public static string? CheckApiServiceUrl(JsonNode value)
    {
        var s = value.GetValue<string>();
        if (s.Length == 0)
        {
            return null;
        }

        return Uri.TryCreate(s, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeWs || uri.Scheme == Uri.UriSchemeWss)
            ? null
            : $"'serviceUrl' must be an absolute http or https URL (ws or wss for an API of type websocket); '{s}' is not.";
    }

    /// <summary>Whether a backend URL is a WebSocket one (ws:// or wss://).</summary>
    /// <summary>APIM's API type of WebSocket APIs (<c>properties.type</c>).</summary>
    public const string WebSocketApiType = "websocket";

    /// <summary>Whether an API's type (<c>properties.type</c>) is <see cref="WebSocketApiType"/>.</summary>
    public static bool IsWebSocketApiType(string? type) => string.Equals(type, WebSocketApiType, StringComparison.Ordinal);

    public static bool IsWebSocketUrl(string? url) =>
        url is not null && (url.StartsWith("ws://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("wss://", StringComparison.OrdinalIgnoreCase));

    private static string? CheckMethod(JsonNode value)
    {
        var s = value.GetValue<string>();
        return HttpMethods.Contains(s.ToUpperInvariant()) ? null : $"'{s}' is not an HTTP method; use one of {string.Join(", ", HttpMethods)}.";
    }

    private static string? CheckUrlTemplate(JsonNode value) => UrlTemplateProblem(value.GetValue<string>());

    /// <summary>What is wrong with an operation's URL template, as the management API says it; null when it is valid.</summary>
    public static string? UrlTemplateProblem(string? text) =>
        UrlTemplate.TryParse(text, out _, out var error) ? null : $"'urlTemplate' {error}.";

    private static string? CheckNamedValueName(JsonNode value) =>
        NamedValueName().IsMatch(value.GetValue<string>()) ? null : "'displayName' may contain only letters, digits, '-', '.' and '_'.";

    [GeneratedRegex("^[A-Za-z0-9-._]+$")]
    private static partial Regex NamedValueName();
}
