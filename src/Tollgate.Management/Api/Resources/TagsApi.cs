using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's <c>tags</c>, and the APIs carrying one (the tags of an API are in <see cref="ApisApi"/>).</summary>
internal static class TagsApi
{
    public static RouteGroupBuilder MapTagsApi(this RouteGroupBuilder group)
    {
        group.MapEntity(ResourceKind.Tag, "tags", "tagId", "Tag", "TagContractProperties", "tags (deleting one removes it from every API)");
        group.MapArm(HttpMethods.Get, "tags/{tagId}/apis", (ArmRequest arm) => ResourceEndpoints.ListLinkedReverseAsync(arm, ResourceKind.ApiTag, "tagId"))
            .Documented("TagApi_ListByTag", "Tollgate extension: the APIs carrying a tag (APIM lists them with apisByTags and $filter=tag/id eq '{tagId}').", Collection("ApiContractProperties"));
        return group;
    }
}
