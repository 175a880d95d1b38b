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
        group.MapArm(HttpMethods.Get, "tenant", async (ArmRequest arm) =>
            Json(new JsonObject { ["value"] = new JsonArray(await AccessAsync(arm)), ["count"] = 1, ["nextLink"] = null }))
            .Documented("TenantAccess_ListByService", "Lists the access settings: the one 'access' (the administrator identifier and whether SharedAccessSignature access is enabled).", Obj(("type", "object")), list: true);
        group.MapArm(HttpMethods.Get, "tenant/access", async (ArmRequest arm) => Json(await AccessAsync(arm)))
            .Documented("TenantAccess_Get", "Returns the administrator identifier and whether access with SharedAccessSignature tokens is enabled (never the keys).", Obj(("type", "object")));
        group.MapArm(HttpMethods.Patch, "tenant/access", async (ArmRequest arm) =>
        {
            var body = await arm.BodyAsync();
            if (body["properties"] is not JsonObject properties)
            {
                throw ArmException.Validation("properties", "'properties' is required: {\"properties\":{\"enabled\":true}}.");
            }

            if (properties["enabled"] is { } enabled && (enabled.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)))
            {
                throw ArmException.Validation("properties.enabled", "'enabled' must be true or false.");
            }

            // Tollgate's portals and command-line client sign their management calls with these keys, so switching them
            // off would lock them out with no way back: refused, naming the way to stop tokens that are out there.
            if (properties["enabled"] is JsonValue off && off.GetValueKind() == System.Text.Json.JsonValueKind.False)
            {
                throw ArmException.Validation("properties.enabled",
                    "SharedAccessSignature access cannot be disabled in Tollgate: the portals and the command-line client sign their calls with these keys. "
                    + "To stop the tokens that are out there, regenerate both keys (POST tenant/access/regeneratePrimaryKey and regenerateSecondaryKey).");
            }

            return Json(await AccessAsync(arm));
        }).Documented("TenantAccess_Update", "Updates the access settings: enabled true is accepted (access is always on); false is a 400 naming properties.enabled, since Tollgate's portals and client sign with these keys.", Obj(("type", "object")), body: null, ifMatch: true);
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

    private static async Task<JsonObject> AccessAsync(ArmRequest arm)
    {
        var access = await arm.Service<TenantAccess>().GetAsync(arm.Ct);
        return new JsonObject
        {
            ["id"] = $"{arm.Scope.BaseId}/tenant/access", ["type"] = "Microsoft.ApiManagement/service/tenant", ["name"] = "access",
            ["properties"] = new JsonObject { ["principalId"] = access.Id, ["enabled"] = access.Enabled },
        };
    }
}
