using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's <c>tenant/access</c>: the administrator identifier and the keys that sign SharedAccessSignature tokens.</summary>
internal static class TenantAccessApi
{
    public static RouteGroupBuilder MapTenantAccessApi(this RouteGroupBuilder group)
    {
        group.MapArm(HttpMethods.Get, "tenant/access", async (ArmRequest arm) =>
        {
            var access = await arm.Service<TenantAccess>().GetAsync(arm.Ct);
            return Json(new JsonObject
            {
                ["id"] = $"{arm.Scope.BaseId}/tenant/access", ["type"] = "Microsoft.ApiManagement/service/tenant", ["name"] = "access",
                ["properties"] = new JsonObject { ["principalId"] = access.Id, ["enabled"] = access.Enabled },
            });
        }).Documented("TenantAccess_Get", "Returns the administrator identifier and whether access with SharedAccessSignature tokens is enabled (never the keys).", Obj(("type", "object")));
        group.MapArm(HttpMethods.Post, "tenant/access/listSecrets", async (ArmRequest arm) =>
        {
            var access = await arm.Service<TenantAccess>().GetAsync(arm.Ct);
            return Json(new JsonObject { ["id"] = "access", ["principalId"] = access.Id, ["primaryKey"] = access.PrimaryKey, ["secondaryKey"] = access.SecondaryKey, ["enabled"] = access.Enabled });
        }).Documented("TenantAccess_ListSecrets", "Returns the administrator identifier and keys that sign SharedAccessSignature tokens.", Obj(("type", "object")));
        group.MapArm(HttpMethods.Post, "tenant/access/regeneratePrimaryKey", async (ArmRequest arm) =>
        {
            await arm.Service<TenantAccess>().RegenerateAsync(primary: true, arm.Ct);
            return Results.NoContent();
        }).Documented("TenantAccess_RegeneratePrimaryKey", "Replaces the administrator primary key; tokens it signed stop working.", null, noContent: true);
        group.MapArm(HttpMethods.Post, "tenant/access/regenerateSecondaryKey", async (ArmRequest arm) =>
        {
            await arm.Service<TenantAccess>().RegenerateAsync(primary: false, arm.Ct);
            return Results.NoContent();
        }).Documented("TenantAccess_RegenerateSecondaryKey", "Replaces the administrator secondary key; tokens it signed stop working.", null, noContent: true);
        return group;
    }
}
