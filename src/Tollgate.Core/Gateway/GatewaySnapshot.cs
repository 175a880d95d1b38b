namespace Tollgate.Core.Gateway;

/// <summary>
/// Everything a gateway needs to serve one API Management instance, as of one store revision.
/// Immutable; built by management, swapped atomically by the gateway. Holds key digests, never keys.
/// </summary>
public sealed record GatewaySnapshot
{
    public required long Revision { get; init; }

    public required string ServiceName { get; init; }

    /// <summary>The instance's ARM resource id (<c>/subscriptions/…/providers/Microsoft.ApiManagement/service/{name}</c>), for <c>context.Deployment.ServiceId</c>.</summary>
    public string? ServiceId { get; init; }

    /// <summary>The instance's location, for <c>context.Deployment.Region</c>.</summary>
    public string? Region { get; init; }

    /// <summary>The instance's groups (id and display name), for the <c>Groups</c> of <c>context.User</c> and <c>context.Product</c>.</summary>
    public IReadOnlyList<GatewayGroup> Groups { get; init; } = [];

    public IReadOnlyList<GatewayApi> Apis { get; init; } = [];

    public IReadOnlyList<GatewayProduct> Products { get; init; } = [];

    public IReadOnlyList<GatewaySubscription> Subscriptions { get; init; } = [];

    public IReadOnlyList<GatewayUser> Users { get; init; } = [];

    /// <summary>The global (service-scope) policy document, if any (XML as stored).</summary>
    public string? Policy { get; init; }

    /// <summary>The format <see cref="Policy"/> was saved in: <c>xml</c> (expressions escaped) or <c>rawxml</c> (null).</summary>
    public string? PolicyFormat { get; init; }

    /// <summary>The instance's named values, substituted for <c>{{name}}</c> in every policy document and fragment (secrets included: gateways need them).</summary>
    public IReadOnlyList<Policies.NamedValue> NamedValues { get; init; } = [];

    /// <summary>Policy fragments (<c>include-fragment</c>), each a <c>&lt;fragment&gt;</c> document.</summary>
    public IReadOnlyList<GatewayPolicyFragment> PolicyFragments { get; init; } = [];

    /// <summary>The instance-level JSON schemas (<c>schemas/{id}</c>), for <c>validate-content schema-id</c>.</summary>
    public IReadOnlyList<GatewaySchema> Schemas { get; init; } = [];

    /// <summary>The instance's backends (<c>backends/{id}</c>), for <c>set-backend-service backend-id</c>.</summary>
    public IReadOnlyList<GatewayBackend> Backends { get; init; } = [];

    /// <summary>The instance's custom host names (<c>hostnameConfigurations</c>), with their certificates.</summary>
    public IReadOnlyList<GatewayHostName> HostNames { get; init; } = [];

    /// <summary>The instance's client certificates (<c>certificates/{id}</c>), for <c>authentication-certificate</c> and backends' credentials.</summary>
    public IReadOnlyList<GatewayClientCertificate> Certificates { get; init; } = [];

    /// <summary>The instance was deleted: this empty snapshot replaces its last one.</summary>
    public bool Deleted { get; init; }

    public static GatewaySnapshot Empty(string serviceName) => new() { Revision = 0, ServiceName = serviceName };

    /// <summary>
    /// This snapshot with every API that equals (by value) the API of the same id in <paramref name="previous"/>
    /// replaced by that object, so what the gateway built for it is reused. Management shares unchanged APIs itself;
    /// a snapshot received as JSON (a remote gateway, a backup) gets the same sharing here.
    /// </summary>
    public GatewaySnapshot ShareUnchangedApis(GatewaySnapshot? previous)
    {
        if (previous is null || previous.Apis.Count == 0 || !string.Equals(previous.ServiceName, ServiceName, StringComparison.OrdinalIgnoreCase))
        {
            return this;
        }

        // Most snapshots list the previous one's APIs at the same places (management shares the unchanged objects
        // itself): those are compared where they are, and an index by id is made only for APIs that moved.
        Dictionary<string, GatewayApi>? byId = null;
        GatewayApi[]? apis = null;
        for (var i = 0; i < Apis.Count; i++)
        {
            var api = Apis[i];
            var old = i < previous.Apis.Count && string.Equals(previous.Apis[i].Id, api.Id, StringComparison.Ordinal) ? previous.Apis[i] : null;
            if (old is null)
            {
                if (byId is null)
                {
                    byId = new Dictionary<string, GatewayApi>(previous.Apis.Count, StringComparer.Ordinal);
                    foreach (var p in previous.Apis)
                    {
                        byId.TryAdd(p.Id, p);
                    }
                }

                old = byId.GetValueOrDefault(api.Id);
            }

            if (old is null || ReferenceEquals(old, api) || !GatewayApi.SameValue(old, api))
            {
                continue;
            }

            apis ??= [.. Apis];
            apis[i] = old;
        }

        return apis is null ? this : this with { Apis = apis };
    }
}

/// <summary>
/// A custom host name of an instance. The gateway serves the instance on its Proxy host names: over HTTPS with the
/// certificate when one is given (chosen by SNI), over HTTP only without one.
/// </summary>
public sealed record GatewayHostName
{
    public const string Proxy = "Proxy";

    /// <summary><c>Proxy</c> (gateway), <c>Portal</c>, <c>DeveloperPortal</c> or <c>Management</c>.</summary>
    public required string Type { get; init; }

    public required string HostName { get; init; }

    /// <summary>The certificate with its private key: base64 PFX without a password, if any.</summary>
    public string? Certificate { get; init; }
}

public sealed record GatewayApi
{
    public required string Id { get; init; }

    public required string DisplayName { get; init; }

    /// <summary>URL suffix without leading or trailing '/'.</summary>
    public required string Path { get; init; }

    public string? ServiceUrl { get; init; }

    /// <summary>
    /// APIM's API type: <c>http</c>, <c>soap</c>, <c>graphql</c> or <c>websocket</c>. A WebSocket API's handshake
    /// skips the policies APIM does not support there when the global or a product scope brings them in.
    /// </summary>
    public string Type { get; init; } = "http";

    /// <summary>Whether this is a WebSocket API (<see cref="Type"/> <c>websocket</c>, <see cref="Resources.ResourceSchemas.WebSocketApiType"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsWebSocket => Resources.ResourceSchemas.IsWebSocketApiType(Type);

    public IReadOnlyList<string> Protocols { get; init; } = ["https"];

    public bool SubscriptionRequired { get; init; } = true;

    public string KeyHeaderName { get; init; } = "Ocp-Apim-Subscription-Key";

    public string KeyQueryName { get; init; } = "subscription-key";

    /// <summary>The API's version in its version set (null or empty: the set's original, or no set).</summary>
    public string? ApiVersion { get; init; }

    /// <summary>The revision's number (<c>apiRevision</c>).</summary>
    public string Revision { get; init; } = "1";

    /// <summary>
    /// Whether this is the API's current revision, served at its path. A non-current revision's id is
    /// <c>{apiId};rev={n}</c> and it is served at <c>{path};rev={n}</c> (<see cref="RoutePath"/>).
    /// </summary>
    public bool IsCurrent { get; init; } = true;

    /// <summary>The version set's versioning scheme (<c>Segment</c>, <c>Header</c> or <c>Query</c>); null when the API is in no version set.</summary>
    public string? VersioningScheme { get; init; }

    /// <summary>The header naming the version (scheme <c>Header</c>).</summary>
    public string? VersionHeaderName { get; init; }

    /// <summary>The query parameter naming the version (scheme <c>Query</c>).</summary>
    public string? VersionQueryName { get; init; }

    /// <summary>The API-scope policy document, if any.</summary>
    public string? Policy { get; init; }

    /// <summary>The format <see cref="Policy"/> was saved in: <c>xml</c> or <c>rawxml</c> (null).</summary>
    public string? PolicyFormat { get; init; }

    public IReadOnlyList<GatewayOperation> Operations { get; init; } = [];

    /// <summary>The id of the API this is a revision of: <see cref="Id"/> without its <c>;rev={n}</c> (subscriptions to <c>/apis/{id}</c> cover every revision).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string ApiId => Id.IndexOf(";rev=", StringComparison.OrdinalIgnoreCase) is var at and > 0 ? Id[..at] : Id;

    /// <summary>
    /// The path the API is served at, without leading or trailing '/': <see cref="Path"/>, then <c>/{version}</c> for a
    /// version of a Segment version set, then <c>;rev={n}</c> for a non-current revision
    /// (<c>echo</c>, <c>echo/v2</c>, <c>echo;rev=3</c>, <c>echo/v2;rev=3</c>). A Header or Query version is served at its
    /// path and told from the set's other versions by the header or query parameter.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string RoutePath
    {
        get
        {
            var segment = string.Equals(VersioningScheme, "Segment", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(ApiVersion);
            if (!segment && IsCurrent)
            {
                return Path;
            }

            var path = segment ? (Path.Length == 0 ? ApiVersion! : Path + "/" + ApiVersion) : Path;
            return IsCurrent ? path : path + ";rev=" + Revision;
        }
    }

    /// <summary>Whether two APIs are equal in every property, operations and their responses included (records compare lists by reference).</summary>
    public static bool SameValue(GatewayApi a, GatewayApi b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Id != b.Id || a.DisplayName != b.DisplayName || a.Path != b.Path || a.ServiceUrl != b.ServiceUrl || a.Type != b.Type
            || a.SubscriptionRequired != b.SubscriptionRequired || a.KeyHeaderName != b.KeyHeaderName || a.KeyQueryName != b.KeyQueryName
            || a.ApiVersion != b.ApiVersion || a.Revision != b.Revision || a.IsCurrent != b.IsCurrent || a.VersioningScheme != b.VersioningScheme
            || a.VersionHeaderName != b.VersionHeaderName || a.VersionQueryName != b.VersionQueryName || a.Policy != b.Policy || a.PolicyFormat != b.PolicyFormat
            || !a.Protocols.SequenceEqual(b.Protocols) || a.Operations.Count != b.Operations.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Operations.Count; i++)
        {
            GatewayOperation x = a.Operations[i], y = b.Operations[i];
            if (Bare(x) != Bare(y) || x.Responses.Count != y.Responses.Count || !x.TemplateParameters.SequenceEqual(y.TemplateParameters)
                || !x.QueryParameters.SequenceEqual(y.QueryParameters) || !x.Headers.SequenceEqual(y.Headers)
                || !x.RequestRepresentations.SequenceEqual(y.RequestRepresentations))
            {
                return false;
            }

            for (var r = 0; r < x.Responses.Count; r++)
            {
                if (x.Responses[r].StatusCode != y.Responses[r].StatusCode || !x.Responses[r].Representations.SequenceEqual(y.Responses[r].Representations)
                    || !x.Responses[r].Headers.SequenceEqual(y.Responses[r].Headers))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static GatewayOperation Bare(GatewayOperation o) =>
        o with { Responses = [], TemplateParameters = [], QueryParameters = [], Headers = [], RequestRepresentations = [] };
}

public sealed record GatewayOperation
{
    public required string Id { get; init; }

    public required string DisplayName { get; init; }

    public required string Method { get; init; }

    public required string UrlTemplate { get; init; }

    /// <summary>The operation-scope policy document, if any.</summary>
    public string? Policy { get; init; }

    /// <summary>The format <see cref="Policy"/> was saved in: <c>xml</c> or <c>rawxml</c> (null).</summary>
    public string? PolicyFormat { get; init; }

    /// <summary>Declared responses with their examples (for <c>mock-response</c>).</summary>
    public IReadOnlyList<GatewayResponse> Responses { get; init; } = [];

    /// <summary>The parameters of <see cref="UrlTemplate"/> (<c>templateParameters</c>), for <c>validate-parameters</c>.</summary>
    public IReadOnlyList<GatewayParameter> TemplateParameters { get; init; } = [];

    /// <summary>The declared query parameters (<c>request.queryParameters</c>), for <c>validate-parameters</c>.</summary>
    public IReadOnlyList<GatewayParameter> QueryParameters { get; init; } = [];

    /// <summary>The declared request headers (<c>request.headers</c>), for <c>validate-parameters</c>.</summary>
    public IReadOnlyList<GatewayParameter> Headers { get; init; } = [];

    /// <summary>The declared request bodies (<c>request.representations</c>), for <c>validate-content</c>.</summary>
    public IReadOnlyList<GatewayRepresentation> RequestRepresentations { get; init; } = [];
}

/// <summary>A declared parameter or header: its name, type (<c>string</c>, <c>integer</c>, <c>number</c>, <c>boolean</c>, …), whether it is required and the values it may take (none: any).</summary>
public sealed record GatewayParameter
{
    public required string Name { get; init; }

    public string Type { get; init; } = "string";

    public bool Required { get; init; }

    public IReadOnlyList<string> Values { get; init; } = [];

    public bool Equals(GatewayParameter? other) =>
        other is not null && Name == other.Name && Type == other.Type && Required == other.Required && Values.SequenceEqual(other.Values);

    public override int GetHashCode() => HashCode.Combine(Name, Type, Required, Values.Count);
}

/// <summary>A declared response of an operation: status code and one example per content type.</summary>
public sealed record GatewayResponse
{
    public required int StatusCode { get; init; }

    public IReadOnlyList<GatewayRepresentation> Representations { get; init; } = [];

    /// <summary>The declared response headers, for <c>validate-headers</c>.</summary>
    public IReadOnlyList<GatewayParameter> Headers { get; init; } = [];
}

/// <summary>
/// A representation of a request or response: content type, the text of its first example (JSON text for JSON
/// values), if any, and the schema of its body (for <c>validate-content</c>).
/// </summary>
public sealed record GatewayRepresentation
{
    public required string ContentType { get; init; }

    public string? Example { get; init; }

    /// <summary>The API schema (<c>apis/{api}/schemas/{schemaId}</c>) the body is described in, if any.</summary>
    public string? SchemaId { get; init; }

    /// <summary>The definition in that schema the body must conform to (<c>typeName</c>).</summary>
    public string? TypeName { get; init; }

    /// <summary>
    /// The JSON of the schema's definitions (<c>{"definitions":{…}}</c>, OpenAPI's <c>components.schemas</c> moved
    /// there and their references rewritten), or null when <see cref="SchemaId"/> names no schema of the API.
    /// </summary>
    public string? Schema { get; init; }

    /// <summary>The text of the API schema <see cref="SchemaId"/> names when it is an XML schema (XSD), else null.</summary>
    public string? XmlSchema { get; init; }
}

/// <summary>An instance-level schema: its id and the JSON of its document, or for an XML schema (XSD) its text in <see cref="Xml"/>.</summary>
public sealed record GatewaySchema(string Id, string Json)
{
    /// <summary>The XSD text of an XML schema (<c>schemaType</c> <c>xml</c>); null for a JSON schema.</summary>
    public string? Xml { get; init; }
}

/// <summary>A policy fragment: a named piece of policy XML included with <c>&lt;include-fragment fragment-id="…"/&gt;</c>.</summary>
public sealed record GatewayPolicyFragment
{
    public required string Id { get; init; }

    /// <summary>The <c>&lt;fragment&gt;…&lt;/fragment&gt;</c> document.</summary>
    public required string Value { get; init; }

    /// <summary>The format it was saved in: <c>xml</c> or <c>rawxml</c> (null).</summary>
    public string? Format { get; init; }
}

public sealed record GatewayProduct
{
    public required string Id { get; init; }

    public required string DisplayName { get; init; }

    public bool SubscriptionRequired { get; init; } = true;

    public bool ApprovalRequired { get; init; }

    public int? SubscriptionsLimit { get; init; }

    public string State { get; init; } = "notPublished";

    public IReadOnlyList<string> ApiIds { get; init; } = [];

    public IReadOnlyList<string> GroupIds { get; init; } = [];

    /// <summary>The product-scope policy document, if any.</summary>
    public string? Policy { get; init; }

    /// <summary>The format <see cref="Policy"/> was saved in: <c>xml</c> or <c>rawxml</c> (null).</summary>
    public string? PolicyFormat { get; init; }
}

public sealed record GatewaySubscription
{
    public required string Id { get; init; }

    public required string DisplayName { get; init; }

    /// <summary>Scope relative to the service: <c>/products/{id}</c>, <c>/apis/{id}</c>, <c>/apis</c> or <c>/</c> (all-access).</summary>
    public required string Scope { get; init; }

    /// <summary>Owner user id (the last segment of <c>ownerId</c>), if any.</summary>
    public string? UserId { get; init; }

    public required string State { get; init; }

    public required string PrimaryKeyDigest { get; init; }

    public required string SecondaryKeyDigest { get; init; }

    /// <summary>When the primary key stops working (Tollgate extension); null: never.</summary>
    public DateTimeOffset? PrimaryKeyExpiresAt { get; init; }

    /// <summary>When the secondary key stops working (Tollgate extension); null: never.</summary>
    public DateTimeOffset? SecondaryKeyExpiresAt { get; init; }

    /// <summary>The primary key a scheduled rotation replaced, working until <see cref="PreviousPrimaryKeyValidUntil"/>.</summary>
    public string? PreviousPrimaryKeyDigest { get; init; }

    public DateTimeOffset? PreviousPrimaryKeyValidUntil { get; init; }

    /// <summary>The secondary key a scheduled rotation replaced, working until <see cref="PreviousSecondaryKeyValidUntil"/>.</summary>
    public string? PreviousSecondaryKeyDigest { get; init; }

    public DateTimeOffset? PreviousSecondaryKeyValidUntil { get; init; }

    public DateTimeOffset CreatedDate { get; init; }

    /// <summary>When the subscription was activated (<c>startDate</c>), if it was.</summary>
    public DateTimeOffset? StartDate { get; init; }

    /// <summary>When the subscription was cancelled or expired (<c>endDate</c>), if it was.</summary>
    public DateTimeOffset? EndDate { get; init; }
}

/// <summary>Which of a subscription's keys a call used (recorded in the request log, never the key itself).</summary>
public static class SubscriptionKeySlots
{
    public const string Primary = "primary";
    public const string Secondary = "secondary";

    /// <summary>A key replaced by the last scheduled rotation, still in its overlap window.</summary>
    public const string PreviousPrimary = "previousPrimary";

    public const string PreviousSecondary = "previousSecondary";

    public static bool IsKnown(string? slot) => slot is null or Primary or Secondary or PreviousPrimary or PreviousSecondary;
}

public sealed record GatewayUser
{
    public required string Id { get; init; }

    public required string Email { get; init; }

    public string FirstName { get; init; } = "";

    public string LastName { get; init; } = "";

    public string State { get; init; } = "active";

    public IReadOnlyList<string> GroupIds { get; init; } = [];

    public string? Note { get; init; }

    public DateTimeOffset? RegistrationDate { get; init; }

    /// <summary>The user's identities (<c>identities</c>: provider and id).</summary>
    public IReadOnlyList<GatewayUserIdentity> Identities { get; init; } = [];
}

/// <summary>An identity of a user with an identity provider.</summary>
public sealed record GatewayUserIdentity(string Provider, string Id);

/// <summary>A group of users (<c>groups/{id}</c>).</summary>
public sealed record GatewayGroup(string Id, string DisplayName);
