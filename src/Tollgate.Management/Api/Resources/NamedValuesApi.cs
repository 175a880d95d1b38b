using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's <c>namedValues</c>: the values themselves are only answered by <c>listValue</c>.</summary>
internal static class NamedValuesApi
{
    public static RouteGroupBuilder MapNamedValuesApi(this RouteGroupBuilder group)
    {
        group.MapEntity(ResourceKind.NamedValue, "namedValues", "namedValueId", "NamedValue", "NamedValueContractProperties", "named values (secret values are never returned by GET)");
        group.MapArm(HttpMethods.Post, "namedValues/{namedValueId}/listValue", async (ArmRequest arm) =>
            Json(await arm.Resources.ListNamedValueAsync(arm.Scope, arm.Route("namedValueId"), arm.Ct)))
            .Documented("NamedValue_ListValue", "Returns the value of a named value, secret or not.", Ref("NamedValueSecretContract"));
        group.MapArm(HttpMethods.Post, "namedValues/{namedValueId}/refreshSecret", async (ArmRequest arm) =>
            Json(await arm.Resources.RefreshNamedValueSecretAsync(arm.Scope, arm.Route("namedValueId"), arm.Ct)))
            .Documented("NamedValue_RefreshSecret", "APIM refreshes a Key Vault-backed secret here. Tollgate reaches no Key Vault: always 400 ValidationError naming 'keyVault' and saying why (404 when the named value does not exist).", Ref("NamedValueContractPropertiesContract"));
        return group;
    }
}
