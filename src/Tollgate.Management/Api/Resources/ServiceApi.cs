using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>
/// APIM's instances (<c>Microsoft.ApiManagement/service/{serviceName}</c>): the instance itself in the group, and the
/// lists of a resource group's or subscription's instances and the name check, which are above any instance.
/// </summary>
internal static class ServiceApi
{
    public static RouteGroupBuilder MapServiceApi(this RouteGroupBuilder group)
    {
        group.MapArm(HttpMethods.Get, "", async (ArmRequest arm) => Json(await arm.Resources.GetServiceAsync(arm.Scope, arm.Ct)))
            .Documented("ApiManagementService_Get", "Gets an API Management instance.", Ref("ServicePropertiesContract"));
        group.MapArm(HttpMethods.Put, "", async (ArmRequest arm) =>
        {
            var (body, created) = await arm.Resources.PutServiceAsync(arm.Scope, await arm.BodyAsync(), arm.Ct);
            return Json(body, created ? 201 : 200);
        }).Documented("ApiManagementService_CreateOrUpdate", "Creates an instance with APIM's built-ins (Starter and Unlimited products; Administrators, Developers and Guests groups; the administrator and their subscriptions).",
            Ref("ServicePropertiesContract"), body: "ServicePropertiesContract", created: true);
        group.MapArm(HttpMethods.Patch, "", async (ArmRequest arm) => Json(await arm.Resources.PatchServiceAsync(arm.Scope, await arm.BodyAsync(), arm.Ct)))
            .Documented("ApiManagementService_Update", "Updates the given properties of an instance.", Ref("ServicePropertiesContract"), body: "ServicePropertiesContract");
        group.MapArm(HttpMethods.Delete, "", async (ArmRequest arm) =>
        {
            await arm.Resources.DeleteServiceAsync(arm.Scope, arm.Ct);
            return Results.Ok();
        }).Documented("ApiManagementService_Delete", "Deletes an instance and everything in it.", null);
        return group;
    }

    /// <summary>
    /// The routes above any instance: the instances of a resource group or subscription, and
    /// <c>checkNameAvailability</c>. Services come from the request, so the document can be made without them.
    /// </summary>
    public static IEndpointRouteBuilder MapServiceListApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ApiManagement/service", (HttpContext http, string subscriptionId, string resourceGroupName) =>
            Handle(http, async ct => Page(AllOf(await Resources(http).ListServicesAsync(subscriptionId, resourceGroupName, ct)), http)))
            .Documented("ApiManagementService_ListByResourceGroup", "Lists the API Management instances of a resource group.", Collection("ServiceProperties"));
        app.MapGet("/subscriptions/{subscriptionId}/providers/Microsoft.ApiManagement/service", (HttpContext http, string subscriptionId) =>
            Handle(http, async ct => Page(AllOf(await Resources(http).ListServicesAsync(subscriptionId, null, ct)), http)))
            .Documented("ApiManagementService_List", "Lists the API Management instances of a subscription.", Collection("ServiceProperties"));
        app.MapPost("/subscriptions/{subscriptionId}/providers/Microsoft.ApiManagement/checkNameAvailability", Task<IResult> (HttpContext http) =>
            Handle(http, async ct =>
            {
                CheckApiVersion(http);
                return Json(await Resources(http).CheckNameAvailabilityAsync(await ReadBodyAsync(http, ct), ct));
            }))
            .Documented("ApiManagementService_CheckNameAvailability", "Whether an instance name is free (names are host names, unique across subscriptions) and valid.", Ref("ServiceNameAvailability"), body: "ServiceCheckNameAvailabilityParameters");
        return app;
    }

    private static ResourceService Resources(HttpContext http) => http.RequestServices.GetRequiredService<ResourceService>();
}
