using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's <c>backends</c> (plain entities; a pool's members are checked by the resource service).</summary>
internal static class BackendsApi
{
    public static RouteGroupBuilder MapBackendsApi(this RouteGroupBuilder group)
    {
        group.MapEntity(ResourceKind.Backend, "backends", "backendId", "Backend", "BackendContractProperties", "backends that set-backend-service backend-id routes to (a member of a pool cannot be deleted: 409)");
        return group;
    }
}
