using System.Collections;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.Gateway.Policies.Runtime;

// The snapshot's side of `context`: built once per snapshot (APIs, operations, products) or once per request when
// asked for (subscription, user), never copied from the request up front.

internal sealed class ApiInfo(GatewayApi api) : IApi, ISubscriptionKeyParameterNames
{
    /// <summary>One per API object: snapshots share every unchanged API's object, so a build makes only the changed ones.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<GatewayApi, ApiInfo> ByApi = new();

    /// <summary>The API's view for expressions, made once per API object (its service URL parsed once).</summary>
    public static ApiInfo Of(GatewayApi api) => ByApi.GetValue(api, static a => new ApiInfo(a));

    private readonly IUrl _serviceUrl = string.IsNullOrEmpty(api.ServiceUrl) || !Uri.TryCreate(api.ServiceUrl, UriKind.Absolute, out var uri)
        ? new Core.Policies.Expressions.Url("http://localhost/")
        : new Core.Policies.Expressions.Url(uri);

    public string Id => api.Id;

    public string Name => api.DisplayName;

    public string Path => api.Path;

    public IEnumerable<string> Protocols => api.Protocols;

    public IUrl ServiceUrl => _serviceUrl;

    public ISubscriptionKeyParameterNames SubscriptionKeyParameterNames => this;

    public bool IsCurrentRevision => true;

    public string Revision => api.Revision;

    public string? Version => api.ApiVersion;

    string ISubscriptionKeyParameterNames.Header => api.KeyHeaderName;

    string ISubscriptionKeyParameterNames.Query => api.KeyQueryName;
}

internal sealed class OperationInfo(GatewayOperation operation) : IOperation
{
    public string Id => operation.Id;

    public string Method => operation.Method;

    public string Name => operation.DisplayName;

    public string UrlTemplate => operation.UrlTemplate;
}

internal sealed class GroupInfo(string id, string name) : IGroup
{
    public string Id => id;

    public string Name => name;

    /// <summary>The groups with these ids, named from <paramref name="names"/> (the id when the group is not known).</summary>
    public static IGroup[] Of(IReadOnlyList<string> ids, IReadOnlyDictionary<string, string> names) =>
        ids.Select(g => (IGroup)new GroupInfo(g, names.GetValueOrDefault(g) ?? g)).ToArray();
}

/// <summary><c>context.Product</c>; its APIs are found (by <paramref name="findApi"/>) the first time an expression asks for them.</summary>
internal sealed class ProductInfo(GatewayProduct product, Func<string, GatewayApi?> findApi, IReadOnlyDictionary<string, string> groupNames) : IProduct
{
    private readonly IGroup[] _groups = GroupInfo.Of(product.GroupIds, groupNames);
    private IApi[]? _apis;

    public IEnumerable<IApi> Apis => _apis ??= product.ApiIds.Select(findApi).OfType<GatewayApi>().Select(IApi (a) => ApiInfo.Of(a)).ToArray();

    public bool ApprovalRequired => product.ApprovalRequired;

    public IEnumerable<IGroup> Groups => _groups;

    public string Id => product.Id;

    public string Name => product.DisplayName;

    public ProductState State => string.Equals(product.State, "published", StringComparison.OrdinalIgnoreCase) ? ProductState.Published : ProductState.NotPublished;

    public int? SubscriptionLimit => product.SubscriptionsLimit;

    public bool SubscriptionRequired => product.SubscriptionRequired;
}

/// <summary>The subscription used. The gateway holds key digests only: <c>Key</c> is the key of this request; the other key reads as empty.</summary>
/// <summary>
/// <c>context.Subscription</c>: the subscription of the request, its key read from the request only when asked for.
/// Reused with its <see cref="PolicyContext"/> (see <see cref="PolicyContext.Rent"/>).
/// </summary>
internal sealed class SubscriptionInfo(PolicyContext context) : ISubscription
{
    private GatewaySubscription _subscription = null!;
    private string? _key;

    internal SubscriptionInfo For(GatewaySubscription subscription)
    {
        _subscription = subscription;
        _key = null;
        return this;
    }

    public DateTime CreatedDate => _subscription.CreatedDate.UtcDateTime;

    public DateTime? EndDate => _subscription.EndDate?.UtcDateTime;

    public string Id => _subscription.Id;

    public string Key => _key ??= context.SubscriptionKey() ?? "";

    public string Name => _subscription.DisplayName;

    public string PrimaryKey => Tollgate.Security.KeyDigest.Of(Key).ToString() == _subscription.PrimaryKeyDigest ? Key : "";

    public string SecondaryKey => Tollgate.Security.KeyDigest.Of(Key).ToString() == _subscription.SecondaryKeyDigest ? Key : "";

    public DateTime? StartDate => _subscription.StartDate?.UtcDateTime;
}

internal sealed class UserInfo(GatewayUser user, IReadOnlyDictionary<string, string> groupNames) : IUser
{
    private readonly IGroup[] _groups = GroupInfo.Of(user.GroupIds, groupNames);

    public string Email => user.Email;

    public string FirstName => user.FirstName;

    public IEnumerable<IGroup> Groups => _groups;

    public string Id => user.Id;

    public IEnumerable<IUserIdentity> Identities => user.Identities.Select(IUserIdentity (i) => new UserIdentityInfo(i.Provider, i.Id));

    public string LastName => user.LastName;

    public string? Note => user.Note;

    public DateTime RegistrationDate => user.RegistrationDate?.UtcDateTime ?? DateTime.MinValue;
}

internal sealed record UserIdentityInfo(string Provider, string Id) : IUserIdentity;

/// <summary>
/// <c>context.Deployment</c>: the gateway is one of Tollgate's gateway processes, shown as APIM shows its managed
/// gateway (<c>managed</c>); the region is the instance's location.
/// </summary>
internal sealed class DeploymentInfo(string serviceName, string? region, string? serviceId) : IDeployment, IGateway, ISustainabilityInfo
{
    public IGateway Gateway => this;

    public string GatewayId => "managed";

    public string Region => region ?? "local";

    public string ServiceId => serviceId ?? "";

    public string ServiceName => serviceName;

    public ISustainabilityInfo SustainabilityInfo => this;

    public IReadOnlyDictionary<string, X509Certificate2> Certificates { get; } = FrozenDictionary<string, X509Certificate2>.Empty;

    string IGateway.Id => "managed";

    string IGateway.InstanceId => "managed";

    bool IGateway.IsManaged => true;

    /// <summary>Tollgate knows no carbon intensity of its machine's region.</summary>
    CarbonIntensityCategory ISustainabilityInfo.CurrentCarbonIntensity => CarbonIntensityCategory.NotAvailable;
}

/// <summary><c>context.Backend</c>: the backend set-backend-service routed the request to (for a pool, the member it picked).</summary>
internal sealed class BackendInfo(GatewayBackend backend) : IBackend
{
    public string AzureRegion => "";

    public string Id => backend.Id;

    public BackendType Type => backend.IsPool ? BackendType.Pool : BackendType.Single;
}

/// <summary>Headers (request or response) seen as APIM's <c>IReadOnlyDictionary&lt;string, string[]&gt;</c>, live: policies' changes show.</summary>
internal sealed class HeaderView(IHeaderDictionary headers) : IReadOnlyDictionary<string, string[]>
{
    public string[] this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"Header '{key}' is not present.");

    public IEnumerable<string> Keys => headers.Keys;

    public IEnumerable<string[]> Values => headers.Select(h => ToArray(h.Value));

    public int Count => headers.Count;

    public bool ContainsKey(string key) => headers.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string[] value)
    {
        if (headers.TryGetValue(key, out var values))
        {
            value = ToArray(values);
            return true;
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string[]>> GetEnumerator()
    {
        foreach (var h in headers)
        {
            yield return new KeyValuePair<string, string[]>(h.Key, ToArray(h.Value));
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static string[] ToArray(StringValues values) => values.Count == 0 ? [] : (string[])values.ToArray()!;
}

/// <summary>Query parameters seen as APIM's dictionary, live over the request's current query string.</summary>
internal sealed class QueryView(HttpRequest request) : IReadOnlyDictionary<string, string[]>
{
    public string[] this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"Query parameter '{key}' is not present.");

    public IEnumerable<string> Keys => request.Query.Keys;

    public IEnumerable<string[]> Values => request.Query.Select(q => (string[])q.Value.ToArray()!);

    public int Count => request.Query.Count;

    public bool ContainsKey(string key) => request.Query.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string[] value)
    {
        if (request.Query.TryGetValue(key, out var values))
        {
            value = (string[])values.ToArray()!;
            return true;
        }

        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string[]>> GetEnumerator()
    {
        foreach (var q in request.Query)
        {
            yield return new KeyValuePair<string, string[]>(q.Key, (string[])q.Value.ToArray()!);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary><c>context.Request.Url</c>: the request's current URL (policies' changes show).</summary>
internal sealed class RequestUrl(HttpRequest request) : IUrl
{
    private QueryView? _query;

    public string Host => request.Host.Host;

    public string Path => request.PathBase.Add(request.Path).Value ?? "/";

    public int Port => request.Host.Port ?? (string.Equals(request.Scheme, "https", StringComparison.OrdinalIgnoreCase) ? 443 : 80);

    public IReadOnlyDictionary<string, string[]> Query => _query ??= new QueryView(request);

    public string QueryString => request.QueryString.Value ?? "";

    public string Scheme => request.Scheme;

    public override string ToString() => $"{Scheme}://{request.Host.Value}{Path}{QueryString}";
}
