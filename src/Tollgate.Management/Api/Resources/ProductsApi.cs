using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's <c>products</c>: the products, the APIs they contain, the groups that can see them and their subscriptions.</summary>
internal static class ProductsApi
{
    public static RouteGroupBuilder MapProductsApi(this RouteGroupBuilder group)
    {
        group.MapEntity(ResourceKind.Product, "products", "productId", "Product", "ProductContractProperties", "products");
        group.MapLink(ResourceKind.ProductApi, "products/{productId}/apis", "productId", "apiId", "ProductApi", "ApiContractProperties", "APIs of a product");
        group.MapLink(ResourceKind.ProductGroup, "products/{productId}/groups", "productId", "groupId", "ProductGroup", "GroupContractProperties", "groups that can see a product");
        group.MapLink(ResourceKind.ProductTag, "products/{productId}/tags", "productId", "tagId", "ProductTag", "TagContractProperties", "tags of a product");
        group.MapArm(HttpMethods.Get, "products/{productId}/subscriptions", async (ArmRequest arm) =>
            Page(await arm.Resources.ListSubscriptionsOfAsync(arm.Scope, ResourceKind.Product, arm.Route("productId"), "scope", arm.Filter, arm.Top, arm.Skip, arm.Ct), arm.Http))
            .Documented("ProductSubscriptions_List", "Lists the subscriptions to a product.", Collection("SubscriptionContractProperties"));
        group.MapArm(HttpMethods.Get, "productsByTags", async (ArmRequest arm) =>
            Page(await arm.Resources.ListProductsByTagsAsync(arm.Scope, arm.Filter, arm.Top, arm.Skip, arm.IncludeNotTagged("includeNotTaggedProducts"), arm.Ct), arm.Http))
            .DocumentedByTags("Product_ListByTags", "products", "product", "includeNotTaggedProducts", "name, displayName, description, terms, state");
        return group;
    }
}
