using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's <c>subscriptions</c>: keys only through <c>listSecrets</c>, their regeneration, and Tollgate's usage of one.</summary>
internal static class SubscriptionsApi
{
    public static RouteGroupBuilder MapSubscriptionsApi(this RouteGroupBuilder group)
    {
        group.MapEntity(ResourceKind.Subscription, "subscriptions", "sid", "Subscription", "SubscriptionContractProperties", "subscriptions (keys are never returned by GET)");
        group.MapArm(HttpMethods.Post, "subscriptions/{sid}/listSecrets", async (ArmRequest arm) => Json(await arm.Resources.ListSecretsAsync(arm.Scope, arm.Route("sid"), arm.Ct)))
            .Documented("Subscription_ListSecrets", "Returns the subscription's primary and secondary keys.", Ref("SubscriptionKeysContract"));
        group.MapArm(HttpMethods.Get, "subscriptions/{sid}/usage", (ArmRequest arm) => UsageAsync(arm, ownerId: null))
            .Documented("Subscription_Usage", "Tollgate extension: calls and bandwidth in the subscription's current rate-limit and quota windows (from the gateways' counters; null with currentWindowsUnavailable when they live in another process's memory) and its history from the request log (interval, default P1D; $filter on timestamp, default the last 30 days).", Obj(("type", "object")));
        group.MapArm(HttpMethods.Post, "subscriptions/{sid}/regeneratePrimaryKey", async (ArmRequest arm) =>
        {
            await arm.Resources.RegenerateKeyAsync(arm.Scope, arm.Route("sid"), primary: true, arm.Ct);
            return Results.NoContent();
        }).Documented("Subscription_RegeneratePrimaryKey", "Replaces the primary key with a new random one.", null, noContent: true);
        group.MapArm(HttpMethods.Post, "subscriptions/{sid}/regenerateSecondaryKey", async (ArmRequest arm) =>
        {
            await arm.Resources.RegenerateKeyAsync(arm.Scope, arm.Route("sid"), primary: false, arm.Ct);
            return Results.NoContent();
        }).Documented("Subscription_RegenerateSecondaryKey", "Replaces the secondary key with a new random one.", null, noContent: true);
        return group;
    }

    /// <summary>
    /// A subscription's usage; with <paramref name="ownerId"/> (the developer portal's route) the subscription must be
    /// that user's, else it is not found (never saying it exists).
    /// </summary>
    public static async Task<IResult> UsageAsync(ArmRequest arm, string? ownerId) =>
        Json(await Analytics.SubscriptionUsageEndpoint.GetAsync(arm.Resources, arm.Service<Analytics.IAnalyticsStore>(),
            arm.Http.RequestServices.GetService<Analytics.ICurrentUsageSource>(), arm.Service<TimeProvider>(),
            arm.Scope, arm.Route("sid"), arm.Filter, arm.Query("interval"), arm.Ct, ownerId: ownerId));
}
