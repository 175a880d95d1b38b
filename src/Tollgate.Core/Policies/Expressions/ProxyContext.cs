using System.Security.Cryptography.X509Certificates;

namespace Tollgate.Core.Policies.Expressions;

// The `context` object of APIM policy expressions (docs/apim-compatibility.md), as interfaces the gateway implements over
// its request. Member names and types are APIM's so that expressions written for APIM compile unchanged. Everything
// here is read-only: policies (set-variable, set-header, ...) change the request, expressions only look at it.

/// <summary>The <c>context</c> variable of a policy expression.</summary>
public interface IProxyContext
{
    /// <summary>The API the request was matched to.</summary>
    IApi Api { get; }

    /// <summary>The backend <c>set-backend-service backend-id</c> routed the request to; null when it goes to the API's service URL.</summary>
    IBackend? Backend { get; }

    /// <summary>The gateway serving the request.</summary>
    IDeployment Deployment { get; }

    /// <summary>Time between <see cref="Timestamp"/> and now.</summary>
    TimeSpan Elapsed { get; }

    /// <summary>The error being handled in the <c>on-error</c> section; null elsewhere.</summary>
    ILastError? LastError { get; }

    /// <summary>The operation the request was matched to.</summary>
    IOperation Operation { get; }

    /// <summary>The product of the subscription used, or null.</summary>
    IProduct? Product { get; }

    /// <summary>The incoming request (as changed by the policies that ran so far).</summary>
    IRequest Request { get; }

    /// <summary>Unique identifier of the request.</summary>
    Guid RequestId { get; }

    /// <summary>The response (in the outbound and on-error sections); null before there is one.</summary>
    IResponse? Response { get; }

    /// <summary>The subscription whose key was used, or null.</summary>
    ISubscription? Subscription { get; }

    /// <summary>When the request was received (UTC).</summary>
    DateTime Timestamp { get; }

    /// <summary>True when the request is being traced.</summary>
    bool Tracing { get; }

    /// <summary>The user owning the subscription, or null.</summary>
    IUser? User { get; }

    /// <summary>Variables set with <c>set-variable</c>; see <see cref="PolicyExpressionExtensions.GetValueOrDefault{T}"/>.</summary>
    IReadOnlyDictionary<string, object> Variables { get; }

    /// <summary>The workspace of the API; null, as for every API of an instance without workspaces (Tollgate has none).</summary>
    IWorkspace? Workspace { get; }

    /// <summary>Writes a message to the request's trace (when tracing is on).</summary>
    void Trace(string message);

    /// <summary>APIM's GraphQL resolver context. Tollgate runs no GraphQL APIs: an expression naming it is refused when saved.</summary>
    [Obsolete("context.GraphQL is not available: Tollgate runs no GraphQL APIs or resolvers.", error: true)]
    object? GraphQL => null;
}

/// <summary>The backend a request was routed to (<c>context.Backend</c>).</summary>
public interface IBackend
{
    /// <summary>The backend's Azure region (its <c>azureRegion</c>); empty when it has none.</summary>
    string AzureRegion { get; }

    string Id { get; }

    BackendType Type { get; }
}

/// <summary>A single backend or a load-balanced pool.</summary>
public enum BackendType
{
    Single,
    Pool,
}

/// <summary>A workspace (<c>context.Workspace</c>).</summary>
public interface IWorkspace
{
    string Id { get; }

    string Name { get; }
}

/// <summary>An API (<c>context.Api</c>, and the elements of <see cref="IProduct.Apis"/>).</summary>
public interface IApi
{
    string Id { get; }

    string Name { get; }

    string Path { get; }

    IEnumerable<string> Protocols { get; }

    IUrl ServiceUrl { get; }

    ISubscriptionKeyParameterNames SubscriptionKeyParameterNames { get; }

    bool IsCurrentRevision { get; }

    string Revision { get; }

    string? Version { get; }
}

/// <summary>Names of the subscription key header and query parameter of an API.</summary>
public interface ISubscriptionKeyParameterNames
{
    string Header { get; }

    string Query { get; }
}

/// <summary>The gateway (<c>context.Deployment</c>).</summary>
public interface IDeployment
{
    /// <summary>The gateway serving the request.</summary>
    IGateway Gateway { get; }

    /// <summary>The gateway's id (<c>managed</c> for APIM's managed gateway).</summary>
    string GatewayId { get; }

    /// <summary>The instance's location.</summary>
    string Region { get; }

    /// <summary>The instance's ARM resource id (<c>/subscriptions/…/resourceGroups/…/providers/Microsoft.ApiManagement/service/{name}</c>).</summary>
    string ServiceId { get; }

    string ServiceName { get; }

    /// <summary>The carbon intensity of the instance's region.</summary>
    ISustainabilityInfo SustainabilityInfo { get; }

    IReadOnlyDictionary<string, X509Certificate2> Certificates { get; }
}

/// <summary>The gateway serving the request (<c>context.Deployment.Gateway</c>).</summary>
public interface IGateway
{
    /// <summary><c>managed</c> for the managed gateway.</summary>
    string Id { get; }

    /// <summary>The gateway instance (<c>managed</c> for the managed gateway).</summary>
    string InstanceId { get; }

    bool IsManaged { get; }
}

/// <summary><c>context.Deployment.SustainabilityInfo</c>.</summary>
public interface ISustainabilityInfo
{
    CarbonIntensityCategory CurrentCarbonIntensity { get; }
}

/// <summary>APIM's carbon intensity categories of a region's electricity.</summary>
public enum CarbonIntensityCategory
{
    NotAvailable,
    VeryLow,
    Low,
    Medium,
    High,
    VeryHigh,
}

/// <summary>The error handled by the <c>on-error</c> section (<c>context.LastError</c>).</summary>
public interface ILastError
{
    string Source { get; }

    string Reason { get; }

    string Message { get; }

    string Scope { get; }

    string Section { get; }

    string Path { get; }

    string PolicyId { get; }
}

/// <summary>The operation (<c>context.Operation</c>).</summary>
public interface IOperation
{
    string Id { get; }

    string Method { get; }

    string Name { get; }

    string UrlTemplate { get; }
}

/// <summary>Publication state of a product.</summary>
public enum ProductState
{
    NotPublished,
    Published,
}

/// <summary>A product (<c>context.Product</c>).</summary>
public interface IProduct
{
    IEnumerable<IApi> Apis { get; }

    bool ApprovalRequired { get; }

    IEnumerable<IGroup> Groups { get; }

    string Id { get; }

    string Name { get; }

    ProductState State { get; }

    /// <summary>The product's <c>subscriptionsLimit</c> (APIM's first spelling).</summary>
    int? SubscriptionLimit { get; }

    /// <summary>The product's <c>subscriptionsLimit</c> (the spelling of APIM's current reference).</summary>
    int? SubscriptionsLimit => SubscriptionLimit;

    bool SubscriptionRequired { get; }
}

/// <summary>A group of users.</summary>
public interface IGroup
{
    string Id { get; }

    string Name { get; }
}

/// <summary>The request (<c>context.Request</c>).</summary>
public interface IRequest
{
    /// <summary>The body, or null when the request has none.</summary>
    IMessageBody? Body { get; }

    /// <summary>The client certificate, or null.</summary>
    X509Certificate2? Certificate { get; }

    /// <summary>Headers by name (case-insensitive); see <see cref="PolicyExpressionExtensions.GetValueOrDefault(IReadOnlyDictionary{string, string[]}, string, string?)"/>.</summary>
    IReadOnlyDictionary<string, string[]> Headers { get; }

    string IpAddress { get; }

    /// <summary>Values of the operation's URL template parameters.</summary>
    IReadOnlyDictionary<string, string> MatchedParameters { get; }

    string Method { get; }

    /// <summary>The URL as received, before any policy changed it.</summary>
    IUrl OriginalUrl { get; }

    IUrl Url { get; }

    /// <summary>The private endpoint connection, or null (Tollgate has none).</summary>
    IPrivateEndpointConnection? PrivateEndpointConnection { get; }
}

/// <summary>A private endpoint connection.</summary>
public interface IPrivateEndpointConnection
{
    string Name { get; }

    string GroupId { get; }

    string MemberName { get; }
}

/// <summary>The response (<c>context.Response</c>).</summary>
public interface IResponse
{
    IMessageBody? Body { get; }

    IReadOnlyDictionary<string, string[]> Headers { get; }

    int StatusCode { get; }

    string StatusReason { get; }
}

/// <summary>The subscription whose key was used (<c>context.Subscription</c>).</summary>
public interface ISubscription
{
    DateTime CreatedDate { get; }

    DateTime? EndDate { get; }

    string Id { get; }

    string Key { get; }

    string Name { get; }

    string PrimaryKey { get; }

    string SecondaryKey { get; }

    DateTime? StartDate { get; }
}

/// <summary>The user owning the subscription (<c>context.User</c>).</summary>
public interface IUser
{
    string Email { get; }

    string FirstName { get; }

    IEnumerable<IGroup> Groups { get; }

    string Id { get; }

    IEnumerable<IUserIdentity> Identities { get; }

    string LastName { get; }

    string? Note { get; }

    DateTime RegistrationDate { get; }
}

/// <summary>An identity of a user with an identity provider.</summary>
public interface IUserIdentity
{
    string Id { get; }

    string Provider { get; }
}

/// <summary>A URL (<c>context.Request.Url</c>, <c>context.Api.ServiceUrl</c>, ...). <c>ToString()</c> gives the whole URL.</summary>
public interface IUrl
{
    string Host { get; }

    string Path { get; }

    int Port { get; }

    /// <summary>Query parameters by name; see <see cref="PolicyExpressionExtensions.GetValueOrDefault(IReadOnlyDictionary{string, string[]}, string, string?)"/>.</summary>
    IReadOnlyDictionary<string, string[]> Query { get; }

    /// <summary>The query string with its leading <c>?</c>, or empty.</summary>
    string QueryString { get; }

    string Scheme { get; }
}

/// <summary>A request or response body.</summary>
public interface IMessageBody
{
    /// <summary>
    /// Reads the body as <typeparamref name="T"/>: <c>string</c>, <c>byte[]</c>, <c>JObject</c>, <c>JToken</c>,
    /// <c>JArray</c>, <c>XNode</c>, <c>XElement</c> or <c>XDocument</c>. Reading consumes the body (it reads as empty
    /// afterwards) unless <paramref name="preserveContent"/> is true.
    /// </summary>
    T As<T>(bool preserveContent = false);

    /// <summary>
    /// Reads the body as URL-encoded form data (<c>application/x-www-form-urlencoded</c>): each field's values by name,
    /// in order. Reading a field that is not there gives (and adds) an empty list, so <c>body["new"].Add("v")</c> works.
    /// Consumes the body unless <paramref name="preserveContent"/> is true.
    /// </summary>
    IDictionary<string, IList<string>> AsFormUrlEncodedContent(bool preserveContent = false);
}
