using System.Text.Json.Nodes;

namespace Tollgate.Core.Resources;

public static partial class ResourceSchemas
{
    public static readonly ObjectSchema BackendAuthorization = new("BackendAuthorizationHeaderCredentials",
    [
        new("scheme", FieldType.String) { Required = true, MinLength = 1, MaxLength = 100, Description = "Authentication scheme, e.g. Basic or Bearer." },
        new("parameter", FieldType.String) { Required = true, MinLength = 1, MaxLength = 300, Description = "Authentication parameter (the credentials)." },
    ]);

    public static readonly ObjectSchema BackendCredentials = new("BackendCredentialsContract",
    [
        new("header", FieldType.Object) { Check = CheckNameToValues, Description = "Headers sent to the backend: {\"name\": [\"value\", …]}." },
        new("query", FieldType.Object) { Check = CheckNameToValues, Description = "Query parameters added to the backend URL: {\"name\": [\"value\", …]}." },
        new("authorization", FieldType.Object) { Schema = BackendAuthorization, Description = "The Authorization header sent to the backend." },
        new("certificate", FieldType.StringArray) { Description = "Thumbprints of uploaded certificates (certificates/{id}) presented to the backend as its client certificate; ignored when certificateIds is given." },
        new("certificateIds", FieldType.StringArray) { Description = "Uploaded certificates (/certificates/{id} or their ARM ids) presented to the backend as its client certificate." },
    ]);

    /// <summary>APIM's <c>BackendTlsProperties</c>: how the gateway checks the backend's server certificate.</summary>
    public static readonly ObjectSchema BackendTls = new("BackendTlsProperties",
    [
        new("validateCertificateChain", FieldType.Boolean) { Default = () => true, Description = "Whether the backend's certificate must chain to a trusted root. false for a self-signed backend certificate." },
        new("validateCertificateName", FieldType.Boolean) { Default = () => true, Description = "Whether the backend's certificate must name the backend's host." },
    ]);

    public static readonly ObjectSchema StatusCodeRange = new("FailureStatusCodeRange",
    [
        new("min", FieldType.Integer) { Required = true, Minimum = 100, Maximum = 599 },
        new("max", FieldType.Integer) { Required = true, Minimum = 100, Maximum = 599 },
    ]);

    public static readonly ObjectSchema FailureCondition = new("CircuitBreakerFailureCondition",
    [
        new("count", FieldType.Integer) { Required = true, Minimum = 1, Maximum = 10_000, Description = "Failures within interval that open the circuit." },
        new("interval", FieldType.String) { Required = true, Check = KeyLifetimes.CheckDuration, Description = "ISO-8601 duration the failures are counted over (PT1M)." },
        new("statusCodeRanges", FieldType.ObjectArray) { Schema = StatusCodeRange, Description = "Response statuses that count as failures; a backend that cannot be reached or times out always does." },
        new("errorReasons", FieldType.StringArray) { Description = "Kept; every forwarding error counts as a failure." },
        new("percentage", FieldType.Integer) { Minimum = 1, Maximum = 100, Description = "Not supported: use count." },
    ]);

    public static readonly ObjectSchema CircuitBreakerRule = new("CircuitBreakerRule",
    [
        new("name", FieldType.String) { MaxLength = 100 },
        new("failureCondition", FieldType.Object) { Required = true, Schema = FailureCondition },
        new("tripDuration", FieldType.String) { Required = true, Check = KeyLifetimes.CheckDuration, Description = "ISO-8601 duration the circuit stays open (PT1M)." },
        new("acceptRetryAfter", FieldType.Boolean) { Default = () => false, Description = "Open for the backend's Retry-After (seconds) instead of tripDuration when it sends one." },
    ]);

    public static readonly ObjectSchema CircuitBreaker = new("BackendCircuitBreaker",
    [
        new("rules", FieldType.ObjectArray) { Required = true, Schema = CircuitBreakerRule, Description = "One rule (as APIM)." },
    ]);

    public static readonly ObjectSchema PoolMember = new("BackendPoolItem",
    [
        new("id", FieldType.String) { Required = true, MinLength = 1, Description = "The member backend: /backends/{id} or its ARM id." },
        new("priority", FieldType.Integer) { Minimum = 0, Maximum = 100, Default = () => 0L, Description = "Lower first: a member is used only while every member of a lower priority has its circuit open." },
        new("weight", FieldType.Integer) { Minimum = 0, Maximum = 100, Default = () => 1L, Description = "Share of the calls among the members of one priority." },
    ]);

    public static readonly ObjectSchema Pool = new("BackendPool",
    [
        new("services", FieldType.ObjectArray) { Required = true, Schema = PoolMember },
    ]);

    /// <summary>A backend (<c>backends/{id}</c>): what <c>set-backend-service backend-id</c> routes to.</summary>
    public static readonly ObjectSchema Backend = new("BackendContractProperties",
    [
        new("title", FieldType.String) { MaxLength = 300 },
        new("description", FieldType.String) { MaxLength = 2000 },
        new("url", FieldType.String) { MaxLength = 2000, Check = CheckServiceUrl, Description = "Absolute http(s) URL of the backend; required unless type is Pool." },
        new("protocol", FieldType.String) { Values = ["http", "soap"], Default = () => "http" },
        new("type", FieldType.String) { Values = ["Single", "Pool"], Default = () => "Single" },
        new("resourceId", FieldType.String),
        new("properties", FieldType.Object),
        new("tls", FieldType.Object) { Schema = BackendTls, Description = "How the backend's server certificate is checked (both true by default)." },
        new("proxy", FieldType.Object),
        new("credentials", FieldType.Object) { Schema = BackendCredentials },
        new("circuitBreaker", FieldType.Object) { Schema = CircuitBreaker, Description = "Per gateway process: while open, calls routed to this backend are answered 503." },
        new("pool", FieldType.Object) { Schema = Pool, Description = "The members of a Pool backend." },
    ]);

    private static string? CheckNameToValues(JsonNode value)
    {
        if (value is not JsonObject o)
        {
            return "An object of names to arrays of values is required.";
        }

        foreach (var (name, values) in o)
        {
            if (name.Length == 0 || values is not JsonArray array || array.Any(v => v is not JsonValue s || !s.TryGetValue<string>(out _)))
            {
                return $"'{name}' must be an array of strings.";
            }
        }

        return null;
    }
}
