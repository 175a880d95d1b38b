using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's <c>groups</c> and their users.</summary>
internal static class GroupsApi
{
    public static RouteGroupBuilder MapGroupsApi(this RouteGroupBuilder group)
    {
        group.MapEntity(ResourceKind.Group, "groups", "groupId", "Group", "GroupContractProperties", "groups");
        group.MapLink(ResourceKind.GroupUser, "groups/{groupId}/users", "groupId", "userId", "GroupUser", "UserContractProperties", "users of a group");
        return group;
    }
}
