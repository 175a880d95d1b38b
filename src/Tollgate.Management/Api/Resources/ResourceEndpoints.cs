using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>
/// What the resource files share: the plain entity of a <see cref="ResourceKind"/> (list with <c>$filter</c>,
/// <c>$top</c>, <c>$skip</c> and nextLink; GET/PUT/PATCH/DELETE with ETags and If-Match), links between two entities
/// (<c>products/{productId}/apis/{apiId}</c>), and the OpenAPI operations both are documented with.
/// </summary>
internal static class ResourceEndpoints
{
    /// <summary>
    /// <c>{collection}</c> and <c>{collection}/{id}</c> of <paramref name="kind"/>. Under <c>apis/{apiId}</c>
    /// (<paramref name="child"/>) the entity is the API's, and a missing API is a 404 before anything else.
    /// </summary>
    public static void MapEntity(this RouteGroupBuilder group, ResourceKind kind, string collection, string id, string name, string properties, string what,
        bool child = false)
    {
        group.MapEntityList(kind, collection, name, properties, what, child);
        var item = $"{collection}/{{{id}}}";
        group.MapArm(HttpMethods.Get, item, async (ArmRequest arm) =>
        {
            var parent = await ParentAsync(arm, child);
            var (body, etag) = await arm.Resources.GetAsync(arm.Scope, kind, parent, arm.Route(id), arm.Ct);
            return Resource(body, etag, 200);
        }).DocumentedGet(name, properties, what);
        group.MapArm(HttpMethods.Put, item, async (ArmRequest arm) =>
        {
            var parent = await ParentAsync(arm, child);
            var put = await arm.Resources.PutAsync(arm.Scope, kind, parent, arm.Route(id), await arm.BodyAsync(), arm.IfMatch, arm.Ct);
            return Resource(put.Body, put.ETag, put.Created ? 201 : 200);
        }).DocumentedPut(name, properties, what);
        group.MapArm(HttpMethods.Patch, item, async (ArmRequest arm) =>
        {
            var parent = await ParentAsync(arm, child);
            var patch = await arm.Resources.PatchAsync(arm.Scope, kind, parent, arm.Route(id), await arm.BodyAsync(), arm.IfMatch, arm.Ct);
            return Resource(patch.Body, patch.ETag, 200);
        }).DocumentedPatch(name, properties, what);
        group.MapArm(HttpMethods.Delete, item, async (ArmRequest arm) => await DeleteEntityAsync(arm, kind, await ParentAsync(arm, child), arm.Route(id)))
            .DocumentedDelete(name, what);
    }

    /// <summary>The list of <paramref name="kind"/>: <c>GET {collection}</c>.</summary>
    public static void MapEntityList(this RouteGroupBuilder group, ResourceKind kind, string collection, string name, string properties, string what, bool child = false) =>
        group.MapArm(HttpMethods.Get, collection, async (ArmRequest arm) =>
            Page(await arm.Resources.ListAsync(arm.Scope, kind, await ParentAsync(arm, child), arm.Filter, arm.Top, arm.Skip, arm.Ct), arm.Http))
            .Documented(name + (child ? "_ListByParent" : "_ListByService"), $"Lists {what}; supports $filter, $top and $skip, with nextLink for the next page.",
                Collection(properties), list: true);

    public static async Task<IResult> DeleteEntityAsync(ArmRequest arm, ResourceKind kind, string parent, string name) =>
        await arm.Resources.DeleteAsync(arm.Scope, kind, parent, name, arm.IfMatch, arm.DeleteSubscriptions, arm.Ct) ? Results.Ok() : Results.NoContent();

    /// <summary>
    /// A link of <paramref name="linkKind"/> between the entity named by <paramref name="parent"/> and the one named by
    /// <paramref name="id"/>: <c>GET {collection}</c> lists the linked entities, <c>PUT/DELETE {collection}/{id}</c>
    /// adds and removes, <c>HEAD</c> (or GET) answers 204 when linked, else 404.
    /// </summary>
    public static void MapLink(this RouteGroupBuilder group, string linkKind, string collection, string parent, string id, string name, string properties, string what)
    {
        group.MapArm(HttpMethods.Get, collection, async (ArmRequest arm) =>
            Page(await arm.Resources.ListLinkedAsync(arm.Scope, linkKind, LinkParent(arm, parent), reverse: false, arm.Filter, arm.Top, arm.Skip, arm.Ct), arm.Http))
            .DocumentedLinkList(name, properties, what);
        var item = $"{collection}/{{{id}}}";
        group.MapArm(HttpMethods.Put, item, async (ArmRequest arm) =>
        {
            var (body, created) = await arm.Resources.PutLinkAsync(arm.Scope, linkKind, LinkParent(arm, parent), arm.Route(id), arm.Ct);
            return Json(body, created ? 201 : 200);
        }).DocumentedLinkPut(name, properties, what);
        group.MapArm(HttpMethods.Get, item, async (ArmRequest arm) =>
            await arm.Resources.LinkExistsAsync(arm.Scope, linkKind, LinkParent(arm, parent), arm.Route(id), arm.Ct) ? Results.NoContent() : Results.NotFound())
            .DocumentedLinkHead(name, what);
        group.MapArm(HttpMethods.Delete, item, async (ArmRequest arm) =>
            await arm.Resources.DeleteLinkAsync(arm.Scope, linkKind, LinkParent(arm, parent), arm.Route(id), arm.Ct) ? Results.Ok() : Results.NoContent())
            .DocumentedLinkDelete(name, what);
    }

    /// <summary>The entities of <paramref name="linkKind"/> linked to the other side: <c>GET tags/{tagId}/apis</c> and the like.</summary>
    public static Task<IResult> ListLinkedReverseAsync(ArmRequest arm, string linkKind, string id) => ListLinkedAsync(arm, linkKind, arm.Route(id), reverse: true);

    public static async Task<IResult> ListLinkedAsync(ArmRequest arm, string linkKind, string parent, bool reverse) =>
        Page(await arm.Resources.ListLinkedAsync(arm.Scope, linkKind, parent, reverse, arm.Filter, arm.Top, arm.Skip, arm.Ct), arm.Http);

    /// <summary>
    /// APIM's list by tag (<c>Api_ListByTags</c> and the like): a TagResourceCollection, with <c>$filter</c> on the
    /// <paramref name="fields"/> APIM documents, <c>$top</c>, <c>$skip</c> and the <paramref name="includeNotTagged"/> flag.
    /// </summary>
    public static RouteHandlerBuilder DocumentedByTags(this RouteHandlerBuilder builder, string operationId, string what, string part, string includeNotTagged, string fields) =>
        builder.Documented(() =>
        {
            var op = Op(operationId, $"Lists the {what} with each of their tags: one item {{tag: {{id, name}}, {part}: {{…}}}} per tag carried, ordered by tag "
                + $"(with {includeNotTagged}=true, the untagged ones too, without tag, last). $filter on {fields} (also as {part}/name, the display name), "
                + "tag/id (the tag's name) and tag/name (its display name); $top and $skip, with nextLink for the next page.",
                Ref("TagResourceCollection"), list: true);
            op["parameters"]!.AsArray().Add(Obj(("name", includeNotTagged), ("in", "query"), ("required", false), ("schema", Obj(("type", "boolean"), ("default", false))),
                ("description", $"Include the {what} that carry no tag.")));
            return op;
        });

    public static RouteHandlerBuilder DocumentedGet(this RouteHandlerBuilder builder, string name, string properties, string what) =>
        builder.Documented(name + "_Get", $"Gets one of the {what}. The ETag header carries its version.", Ref(properties + "Contract"));

    public static RouteHandlerBuilder DocumentedPut(this RouteHandlerBuilder builder, string name, string properties, string what, string? description = null) =>
        builder.Documented(name + "_CreateOrUpdate", description ?? $"Creates (201) or replaces (200) one of the {what}. Every invalid field is reported at once.",
            Ref(properties + "Contract"), body: properties + "Contract", created: true, ifMatch: true);

    public static RouteHandlerBuilder DocumentedPatch(this RouteHandlerBuilder builder, string name, string properties, string what) =>
        builder.Documented(name + "_Update", $"Updates the given properties of one of the {what}.", Ref(properties + "Contract"), body: properties + "Contract", ifMatch: true);

    public static RouteHandlerBuilder DocumentedDelete(this RouteHandlerBuilder builder, string name, string what) =>
        builder.Documented(name + "_Delete", $"Deletes one of the {what} (200; 204 when it did not exist).", null, ifMatch: true);

    public static RouteHandlerBuilder DocumentedLinkList(this RouteHandlerBuilder builder, string name, string properties, string what) =>
        builder.Documented(name + "_ListByParent", $"Lists the {what}.", Collection(properties), list: true);

    public static RouteHandlerBuilder DocumentedLinkPut(this RouteHandlerBuilder builder, string name, string properties, string what) =>
        builder.Documented(name + "_CreateOrUpdate", $"Adds to the {what}.", Ref(properties + "Contract"), created: true);

    /// <summary>A link's existence check is documented as APIM's HEAD (the endpoint answers GET the same way).</summary>
    public static RouteHandlerBuilder DocumentedLinkHead(this RouteHandlerBuilder builder, string name, string what) =>
        builder.Documented(name + "_CheckEntityExists", $"204 when it is among the {what}, else 404.", null, noContent: true, method: HttpMethods.Head);

    public static RouteHandlerBuilder DocumentedLinkDelete(this RouteHandlerBuilder builder, string name, string what) =>
        builder.Documented(name + "_Delete", $"Removes from the {what}.", null);

    /// <summary>
    /// The parent of a link: the API (resolved when under <c>apis/{apiId}</c>), an operation of it as
    /// <c>{apiId}/{operationId}</c>, or the route value <paramref name="parent"/>.
    /// </summary>
    private static string LinkParent(ArmRequest arm, string parent) => parent switch
    {
        "apiId" => arm.Api,
        "operationId" => $"{arm.Api}/{arm.Route(parent)}",
        _ => arm.Route(parent),
    };

    /// <summary>Under an API, the API (which must exist); else the instance itself ("").</summary>
    private static async Task<string> ParentAsync(ArmRequest arm, bool child)
    {
        if (!child)
        {
            return "";
        }

        await arm.Resources.GetAsync(arm.Scope, ResourceKind.Api, "", arm.Api, arm.Ct);
        return arm.Api;
    }
}
