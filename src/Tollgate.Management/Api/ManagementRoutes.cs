using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api;

/// <summary>
/// The route group of an instance's management API and what every call on it shares. Each resource maps its own
/// routes and methods in <c>Api/Resources/*Api.cs</c> with <see cref="MapArm"/>; the group's filter does, for every one
/// of them: the ARM error shape (<see cref="ManagementEndpoints.Handle"/>), the <c>api-version</c> check, and for a
/// write the download of an import by link (outside the lock) and then the write lock
/// (<see cref="ResourceService.SerializedAsync{T}"/>), so that a read, check and write of one call stay together.
/// </summary>
public static class ManagementRoutes
{
    /// <summary>Where an instance lives; the route values are the names APIM's REST reference gives them.</summary>
    public const string InstancePath = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service/{serviceName}";

    /// <summary>The patterns each group has mapped, so that a route's other methods answer the ARM 405 (see <see cref="MapArm"/>).</summary>
    private static readonly ConditionalWeakTable<RouteGroupBuilder, HashSet<string>> Patterns = new();

    /// <summary>The group every resource maps into, with the filter every call shares.</summary>
    public static RouteGroupBuilder MapInstanceGroup(this IEndpointRouteBuilder app) =>
        app.MapGroup(InstancePath).AddEndpointFilter(static (context, next) => InvokeAsync(context.HttpContext, () => next(context)));

    /// <summary>
    /// Maps <paramref name="method"/> (GET also answers HEAD, as APIM does) on <paramref name="pattern"/>. The first
    /// time a group sees a pattern it also maps the pattern for every other method, answering the ARM 405
    /// MethodNotAllowed: routing prefers an endpoint that names the method, so that one only answers what no resource
    /// maps (a bare 405 from routing would not have the ARM error shape).
    /// </summary>
    public static RouteHandlerBuilder MapArm(this RouteGroupBuilder group, string method, string pattern, Delegate handler)
    {
        if (Patterns.GetOrCreateValue(group).Add(pattern))
        {
            group.Map(pattern, static () => ManagementEndpoints.MethodNotAllowed()).WithMetadata(Undocumented.Instance);
        }

        string[] methods = method == HttpMethods.Get ? [HttpMethods.Get, HttpMethods.Head] : [method];
        return group.MapMethods(pattern, methods, handler);
    }

    /// <summary>
    /// The last route of the group: any other path below an instance is the ARM 404 naming it (after the api-version
    /// check, as every call).
    /// </summary>
    public static RouteGroupBuilder MapUnknownPaths(this RouteGroupBuilder group)
    {
        group.Map("{**rest}", static (ArmRequest arm) =>
            Task.FromException<IResult>(new ArmException(404, "ResourceNotFound", $"The resource path '{arm.Rest}' is not part of the management API.")))
            .WithMetadata(Undocumented.Instance);
        return group;
    }

    /// <summary>
    /// The filter of <c>apis/{apiId}</c> and everything below it: APIM addresses an API's revision as
    /// <c>apis/{apiId};rev={n}</c>, stored as the API itself when n is its current revision, else as
    /// <c>{apiId};rev={n}</c>; the endpoints read the stored id from <see cref="ArmRequest.Api"/>. (An API's revisions
    /// and releases, <c>apis/{apiId};rev={n}/revisions</c>, are the API's: they are mapped outside this group.)
    /// </summary>
    public static RouteGroupBuilder MapApiGroup(this RouteGroupBuilder group) =>
        group.MapGroup("apis/{apiId}").AddEndpointFilter(static async (context, next) =>
        {
            await ResolveApiRevisionAsync(ArmRequest.Of(context.HttpContext));
            return await next(context);
        });

    /// <summary>Resolves <c>{apiId};rev={n}</c> once, for every endpoint of <see cref="MapApiGroup"/>.</summary>
    internal static async Task ResolveApiRevisionAsync(ArmRequest arm)
    {
        var raw = ArmRequest.RawRoute(arm.Http, "apiId");
        var at = raw.IndexOf(";rev=", StringComparison.OrdinalIgnoreCase);
        if (at <= 0)
        {
            arm.AddressApi(raw, revisionAddressed: false);
            return;
        }

        arm.AddressApi(await arm.Resources.ResolveApiIdAsync(arm.Scope, raw, arm.Ct), revisionAddressed: true);
    }

    private static async ValueTask<object?> InvokeAsync(HttpContext http, Func<ValueTask<object?>> next) =>
        await ManagementEndpoints.Handle(http, async ct =>
        {
            ManagementEndpoints.CheckApiVersion(http);
            if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
            {
                return AsResult(await next());
            }

            // An import from a link downloads its document first, outside the write lock.
            var arm = ArmRequest.Of(http);
            await http.RequestServices.GetRequiredService<LinkedDocuments>().ResolveImportAsync(http, arm.Rest, ct);
            return AsResult(await arm.Resources.SerializedAsync(async () => await next(), ct));
        });

    private static IResult AsResult(object? result) => result as IResult ?? Results.Empty;
}

/// <summary>
/// The OpenAPI operation an endpoint is: the management document (<see cref="ManagementOpenApi"/>) is made from this
/// metadata on the mapped endpoints, so a route cannot be added without its documentation, nor documented without a
/// route. <see cref="Method"/> null means the endpoint's first HTTP method.
/// </summary>
public sealed class ManagementOperation(string? method, Func<JsonObject> build)
{
    public string? Method { get; } = method;

    /// <summary>A new copy of the operation object each time (a JSON node has one parent).</summary>
    public JsonObject Build() => build();
}

/// <summary>An endpoint of the management group that is deliberately not in the document: the ARM 405 and 404 answers.</summary>
public sealed class Undocumented
{
    public static readonly Undocumented Instance = new();

    private Undocumented()
    {
    }
}

/// <summary>How resource files attach their <see cref="ManagementOperation"/>.</summary>
public static class ManagementOperationExtensions
{
    /// <summary>Documents the endpoint as <c>operationId</c> with APIM's naming (<c>Api_CreateOrUpdate</c>).</summary>
    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder builder, string operationId, string description, JsonObject? response,
        string? body = null, bool created = false, bool list = false, bool ifMatch = false, bool noContent = false, string? method = null) =>
        builder.WithMetadata(new ManagementOperation(method, () => ManagementOpenApi.Op(operationId, description, response?.DeepClone().AsObject(), body, created, list, ifMatch, noContent)));

    /// <summary>Documents the endpoint with an operation object built by <paramref name="build"/> (parameters or content types of its own).</summary>
    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder builder, Func<JsonObject> build, string? method = null) =>
        builder.WithMetadata(new ManagementOperation(method, build));
}
