using Tollgate.Core.Resources;

namespace Tollgate.Management.Services;

/// <summary>An ARM resource type of an API Management instance.</summary>
/// <param name="Kind">Storage kind.</param>
/// <param name="Segment">URL collection segment (<c>apis</c>).</param>
/// <param name="ArmType">The <c>type</c> in responses.</param>
/// <param name="Title">Name used in messages ("Api not found.").</param>
/// <param name="Schema">The <c>properties</c> contract.</param>
public sealed record ResourceKind(string Kind, string Segment, string ArmType, string Title, ObjectSchema Schema)
{
    public static readonly ResourceKind Api = new("api", "apis", "Microsoft.ApiManagement/service/apis", "Api", ResourceSchemas.Api);
    public static readonly ResourceKind Operation = new("operation", "operations", "Microsoft.ApiManagement/service/apis/operations", "Operation", ResourceSchemas.Operation);
    public static readonly ResourceKind Product = new("product", "products", "Microsoft.ApiManagement/service/products", "Product", ResourceSchemas.Product);
    public static readonly ResourceKind Group = new("group", "groups", "Microsoft.ApiManagement/service/groups", "Group", ResourceSchemas.Group);
    public static readonly ResourceKind User = new("user", "users", "Microsoft.ApiManagement/service/users", "User", ResourceSchemas.User);
    public static readonly ResourceKind Subscription = new("subscription", "subscriptions", "Microsoft.ApiManagement/service/subscriptions", "Subscription", ResourceSchemas.Subscription);
    public static readonly ResourceKind NamedValue = new("namedValue", "namedValues", "Microsoft.ApiManagement/service/namedValues", "NamedValue", ResourceSchemas.NamedValue);
    public static readonly ResourceKind Tag = new("tag", "tags", "Microsoft.ApiManagement/service/tags", "Tag", ResourceSchemas.Tag);

    public static readonly ResourceKind Backend = new("backend", "backends", "Microsoft.ApiManagement/service/backends", "Backend", ResourceSchemas.Backend);

    /// <summary>A client certificate (<c>certificates/{id}</c>): written and deleted by its own rules (ResourceService.Certificates), so not in <see cref="All"/>.</summary>
    public static readonly ResourceKind Certificate = new("certificate", "certificates", "Microsoft.ApiManagement/service/certificates", "Certificate", ResourceSchemas.Certificate);

    /// <summary>An instance-level schema (<c>schemas/{id}</c>), named by <c>validate-content schema-id</c>.</summary>
    public static readonly ResourceKind GlobalSchema = new("globalSchema", "schemas", "Microsoft.ApiManagement/service/schemas", "Schema", ResourceSchemas.GlobalSchema);

    /// <summary>An API's schema (<c>apis/{apiId}/schemas/{schemaId}</c>), a child of the API like its operations.</summary>
    public static readonly ResourceKind ApiSchema = new("apiSchema", "schemas", "Microsoft.ApiManagement/service/apis/schemas", "Schema", ResourceSchemas.ApiSchema);

    /// <summary>A version set (<c>apiVersionSets/{id}</c>): the APIs naming it are the versions of one API.</summary>
    public static readonly ResourceKind ApiVersionSet = new("apiVersionSet", "apiVersionSets", "Microsoft.ApiManagement/service/apiVersionSets", "ApiVersionSet", ResourceSchemas.ApiVersionSet);

    /// <summary>A release of an API (<c>apis/{apiId}/releases/{releaseId}</c>), stored under the API's name.</summary>
    public static readonly ResourceKind ApiRelease = new("apiRelease", "releases", "Microsoft.ApiManagement/service/apis/releases", "ApiRelease", ResourceSchemas.ApiRelease);

    /// <summary>Link kinds: stored as empty resources whose parent is the first id and name the second.</summary>
    public const string ProductApi = "productApi";
    public const string ProductGroup = "productGroup";
    public const string GroupUser = "groupUser";
    public const string ApiTag = "apiTag";
    public const string ProductTag = "productTag";

    /// <summary>The tags of an operation: the link's parent is <c>{apiId}/{operationId}</c> (an operation is named within its API).</summary>
    public const string OperationTag = "operationTag";
    public const string ServiceKind = "service";

    public static readonly IReadOnlyList<ResourceKind> All = [Api, Operation, Product, Group, User, Subscription, NamedValue, Tag, Backend, GlobalSchema, ApiVersionSet];
}

/// <summary>An API Management instance as addressed by an ARM path.</summary>
public sealed record ServiceScope(string SubscriptionId, string ResourceGroup, string Name)
{
    public string BaseId => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}/providers/Microsoft.ApiManagement/service/{Name}";
}
