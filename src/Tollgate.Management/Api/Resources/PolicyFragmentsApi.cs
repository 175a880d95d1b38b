using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's <c>policyFragments</c>, and the policies and fragments that include one (<c>listReferences</c>).</summary>
internal static class PolicyFragmentsApi
{
    public static RouteGroupBuilder MapPolicyFragmentsApi(this RouteGroupBuilder group)
    {
        group.MapArm(HttpMethods.Get, "policyFragments", async (ArmRequest arm) => Json(await arm.Policies.ListFragmentsAsync(arm.Scope, arm.Ct)))
            .Documented("PolicyFragment_ListByService", "Lists the policy fragments.", Collection("PolicyFragment"));
        group.MapArm(HttpMethods.Get, "policyFragments/{id}", async (ArmRequest arm) => Json(await arm.Policies.GetFragmentAsync(arm.Scope, arm.Route("id"), arm.Ct)))
            .Documented("PolicyFragment_Get", "Gets a policy fragment.", Ref("PolicyFragmentContract"));
        group.MapArm(HttpMethods.Put, "policyFragments/{id}", async (ArmRequest arm) =>
        {
            var (body, created) = await arm.Policies.PutFragmentAsync(arm.Scope, arm.Route("id"), await arm.BodyAsync(), arm.Ct);
            return Json(body, created ? 201 : 200);
        }).Documented("PolicyFragment_CreateOrUpdate", "Creates or replaces a policy fragment after validating it.", Ref("PolicyFragmentContract"), body: "PolicyFragmentContract", created: true);
        group.MapArm(HttpMethods.Delete, "policyFragments/{id}", async (ArmRequest arm) =>
            await arm.Policies.DeleteFragmentAsync(arm.Scope, arm.Route("id"), arm.Ct) ? Results.Ok() : Results.NoContent())
            .Documented("PolicyFragment_Delete", "Deletes a policy fragment; one still included by a policy or another fragment is refused with 409 naming them.", null);
        group.MapArm(HttpMethods.Post, "policyFragments/{id}/listReferences", async (ArmRequest arm) =>
            Json(await arm.Policies.ListFragmentReferencesAsync(arm.Scope, arm.Route("id"), arm.Top, arm.Skip, arm.Ct)))
            .Documented("PolicyFragment_ListReferences", "Lists the policies (global, product, API, operation) and other fragments that include the fragment with <include-fragment fragment-id=\"…\"/>; $top and $skip page them.", Ref("ResourceCollection"));
        return group;
    }
}
