using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>
/// APIM's version sets (<c>apiVersionSets/{versionSetId}</c>, plain entities), an API's revisions
/// (<c>GET apis/{apiId}/revisions</c>) and its releases (<c>apis/{apiId}/releases/{releaseId}</c>). The revisions and
/// releases of <c>apis/{apiId};rev={n}</c> are the API's, so these routes are outside the revision-resolving API group.
/// </summary>
internal static class ApiVersionsApi
{
    private const string Releases = "releases of an API (creating one makes the revision its apiId names current; deleting one leaves the revisions as they are)";

    public static RouteGroupBuilder MapApiVersionsApi(this RouteGroupBuilder group)
    {
        group.MapEntity(ResourceKind.ApiVersionSet, "apiVersionSets", "versionSetId", "ApiVersionSet", "ApiVersionSetContractProperties",
            "version sets (APIs name one with apiVersionSetId and apiVersion; deleting a set that still has APIs is a 409, deleting its last API deletes it)");

        group.MapArm(HttpMethods.Get, "apis/{apiId}/revisions", async (ArmRequest arm) =>
            Page(await arm.Resources.ListRevisionsAsync(arm.Scope, arm.Api, arm.Filter, arm.Top, arm.Skip, arm.Ct), arm.Http))
            .Documented("ApiRevision_ListByService", "Lists the revisions of an API by number; $filter (apiRevision, isCurrent, description), $top and $skip.",
                Obj(("type", "object"), ("properties", new JsonObject
                {
                    ["value"] = Obj(("type", "array"), ("items", Ref("ApiRevisionContract"))),
                    ["count"] = Obj(("type", "integer"), ("format", "int64")),
                    ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
                })), list: true);

        group.MapArm(HttpMethods.Get, "apis/{apiId}/releases", async (ArmRequest arm) =>
            Page(await arm.Resources.ListReleasesAsync(arm.Scope, arm.Api, arm.Filter, arm.Top, arm.Skip, arm.Ct), arm.Http))
            .Documented("ApiRelease_ListByParent", $"Lists {Releases}; supports $filter, $top and $skip, with nextLink for the next page.",
                Collection("ApiReleaseContractProperties"), list: true);
        const string Release = "apis/{apiId}/releases/{releaseId}";
        group.MapArm(HttpMethods.Get, Release, async (ArmRequest arm) =>
        {
            var (body, etag) = await arm.Resources.GetReleaseAsync(arm.Scope, arm.Api, arm.Route("releaseId"), arm.Ct);
            return Resource(body, etag, 200);
        }).DocumentedGet("ApiRelease", "ApiReleaseContractProperties", Releases);
        group.MapArm(HttpMethods.Put, Release, (ArmRequest arm) => PutReleaseAsync(arm, merge: false))
            .DocumentedPut("ApiRelease", "ApiReleaseContractProperties", Releases);
        group.MapArm(HttpMethods.Patch, Release, (ArmRequest arm) => PutReleaseAsync(arm, merge: true))
            .DocumentedPatch("ApiRelease", "ApiReleaseContractProperties", Releases);
        group.MapArm(HttpMethods.Delete, Release, async (ArmRequest arm) =>
            await arm.Resources.DeleteReleaseAsync(arm.Scope, arm.Api, arm.Route("releaseId"), arm.IfMatch, arm.Ct) ? Results.Ok() : Results.NoContent())
            .DocumentedDelete("ApiRelease", Releases);
        return group;
    }

    private static async Task<IResult> PutReleaseAsync(ArmRequest arm, bool merge)
    {
        var put = await arm.Resources.PutReleaseAsync(arm.Scope, arm.Api, arm.Route("releaseId"), await arm.BodyAsync(), arm.IfMatch, merge, arm.Ct);
        return Resource(put.Body, put.ETag, put.Created && !merge ? 201 : 200);
    }
}
