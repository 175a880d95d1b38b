using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>
/// The policy document of each of APIM's four scopes (<c>policies/policy</c> of the instance, of
/// <c>products/{productId}</c>, <c>apis/{apiId}</c> and <c>apis/{apiId}/operations/{operationId}</c>) and the list of
/// a scope's policies. The two API scopes are under the API group, so <c>apis/{apiId};rev={n}</c> is the revision's.
/// </summary>
internal static class PoliciesApi
{
    public static RouteGroupBuilder MapPoliciesApi(this RouteGroupBuilder group)
    {
        group.MapScope("", "Policy", "Service", _ => []);
        group.MapScope("products/{productId}/", "ProductPolicy", "Product", arm => ["products", arm.Route("productId")]);
        var api = group.MapApiGroup();
        api.MapScope("", "ApiPolicy", "Api", arm => ["apis", arm.Api]);
        api.MapScope("operations/{operationId}/", "ApiOperationPolicy", "Operation", arm => ["apis", arm.Api, "operations", arm.Route("operationId")]);
        return group;
    }

    /// <summary>The routes of one scope, documented with APIM's operation ids (<c>ApiPolicy_Get</c>, <c>ProductPolicy_ListByProduct</c>).</summary>
    private static void MapScope(this RouteGroupBuilder group, string owner, string name, string listBy, Func<ArmRequest, string[]> scope)
    {
        group.MapArm(HttpMethods.Get, owner + "policies", async (ArmRequest arm) => Json(await arm.Policies.ListAsync(arm.Scope, new PolicyScope(scope(arm)), arm.Ct)))
            .Documented($"{name}_ListBy{listBy}", "Lists the policy documents of this scope (at most the one named policy).", Collection("Policy"));
        var policy = owner + "policies/policy";
        group.MapArm(HttpMethods.Get, policy, async (ArmRequest arm) =>
        {
            var (document, etag) = await arm.Policies.GetWithETagAsync(arm.Scope, new PolicyScope(scope(arm)), arm.Query("format"), arm.Ct);
            return Resource(document, etag, 200);
        }).Documented(name + "_Get", "Gets the policy document of this scope; format=rawxml returns it as written.", Ref("PolicyContract"));
        group.MapArm(HttpMethods.Put, policy, async (ArmRequest arm) =>
        {
            var (body, created, etag) = await arm.Policies.PutAsync(arm.Scope, new PolicyScope(scope(arm)), await arm.BodyAsync(), arm.IfMatch?.Trim('"'), arm.Ct);
            return Resource(body, etag, created ? 201 : 200);
        }).Documented(name + "_CreateOrUpdate", "Creates or replaces the policy document of this scope after validating it.", Ref("PolicyContract"), body: "PolicyContract", created: true);
        group.MapArm(HttpMethods.Delete, policy, async (ArmRequest arm) =>
            await arm.Policies.DeleteAsync(arm.Scope, new PolicyScope(scope(arm)), arm.Ct) ? Results.Ok() : Results.NoContent())
            .Documented(name + "_Delete", "Deletes the policy document of this scope.", null);
    }
}
