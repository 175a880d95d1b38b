using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tollgate.Management.Services;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>
/// APIM's <c>users</c>: the users, their groups, subscriptions and identities, their tokens and sign-on links, and
/// the password reset e-mail an administrator sends.
/// </summary>
internal static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this RouteGroupBuilder group)
    {
        group.MapEntity(ResourceKind.User, "users", "userId", "User", "UserContractProperties", "users");
        group.MapArm(HttpMethods.Get, "users/{userId}/subscriptions", async (ArmRequest arm) =>
            Page(await arm.Resources.ListSubscriptionsOfAsync(arm.Scope, ResourceKind.User, arm.Route("userId"), "ownerId", arm.Filter, arm.Top, arm.Skip, arm.Ct), arm.Http))
            .Documented("UserSubscription_List", "Lists the subscriptions of a user.", Collection("SubscriptionContractProperties"));
        group.MapArm(HttpMethods.Get, "users/{userId}/subscriptions/{sid}", async (ArmRequest arm) =>
        {
            var (subscription, etag) = await arm.Resources.GetUserSubscriptionAsync(arm.Scope, arm.Route("userId"), arm.Route("sid"), arm.Ct);
            return Resource(subscription, etag, 200);
        }).Documented("UserSubscription_Get", "Gets a subscription of the user (keys are never returned); 404 when it belongs to another user.", Ref("SubscriptionContractPropertiesContract"));
        group.MapArm(HttpMethods.Post, "users/{userId}/token", async (ArmRequest arm) =>
            Json(new JsonObject { ["value"] = await arm.Service<UserTokens>().IssueAsync(arm.Scope, arm.Route("userId"), await arm.BodyAsync(), arm.Ct) }))
            .Documented("User_GetSharedAccessToken", "A SharedAccessSignature token of the user, signed with the instance's primary or secondary user-token key (CSPRNG, per instance) and expiring at properties.expiry. 400 names keyType or expiry.", Ref("UserTokenResult"), body: "UserTokenParameters");
        group.MapArm(HttpMethods.Post, "users/{userId}/generateSsoUrl", async (ArmRequest arm) =>
            await arm.Service<DeveloperAccounts>().GenerateSsoUrlAsync(arm.Scope, arm.Route("userId"), arm.Ct) is { } ssoUrl
                ? Json(new JsonObject { ["value"] = ssoUrl })
                : Json(ArmException.NotFound("User").ToJson(), 404))
            .Documented("User_GenerateSsoUrl", "The developer portal URL that signs the user in: a single-use token valid for five minutes. The portal's /signin-sso also takes a user token (users/{userId}/token), as APIM's delegation sends it, until it expires.", Ref("GenerateSsoUrlResult"));
        group.MapArm(HttpMethods.Get, "users/{userId}/identities", IdentitiesAsync)
            .Documented("UserIdentities_List", "How the user signs in: the identities the user was written with, else provider Basic with the user's e-mail.", Ref("UserIdentityCollection"));
        group.MapArm(HttpMethods.Get, "users/{userId}/groups", (ArmRequest arm) => ResourceEndpoints.ListLinkedReverseAsync(arm, ResourceKind.GroupUser, "userId"))
            .Documented("UserGroup_List", "Lists the groups of a user.", Collection("GroupContractProperties"));
        group.MapArm(HttpMethods.Get, "users/{userId}/subscriptions/{sid}/usage", (ArmRequest arm) => SubscriptionsApi.UsageAsync(arm, ownerId: arm.Route("userId")))
            .Documented("UserSubscription_Usage", "Tollgate extension: the subscription's usage as /subscriptions/{sid}/usage gives it, only when the user owns the subscription (404 otherwise); what the developer portal reads.", Obj(("type", "object")));
        group.MapArm(HttpMethods.Post, "users/{userId}/confirmations/password/send", async (ArmRequest arm) =>
            // APIM's "User Confirmation Password - Send": the user gets a password reset e-mail.
            await arm.Service<DeveloperAccounts>().RequestPasswordResetOfAsync(arm.Scope, arm.Route("userId"), arm.Ct)
                ? Results.NoContent()
                : Json(ArmException.NotFound("User").ToJson(), 404))
            .Documented("UserConfirmationPassword_Send", "Sends the user an e-mail (passwordResetByAdminNotificationMessage) with a single-use link, valid for an hour, to choose a new password.", null, noContent: true);
        return group;
    }

    /// <summary>
    /// APIM's <c>GET users/{id}/identities</c> (UserIdentities_List): how the user signs in, <c>{value:[{provider, id}],
    /// count, nextLink}</c>. The identities the user was written with, else <c>Basic</c> with the user's e-mail (the
    /// developer portal's e-mail and password, every account here has one); 404 when there is no such user.
    /// </summary>
    private static async Task<IResult> IdentitiesAsync(ArmRequest arm)
    {
        var (user, _) = await arm.Resources.GetAsync(arm.Scope, ResourceKind.User, "", arm.Route("userId"), arm.Ct);
        var properties = user["properties"] as JsonObject;
        var identities = new JsonArray();
        foreach (var identity in (properties?["identities"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            identities.Add(new JsonObject { ["provider"] = identity["provider"]?.DeepClone(), ["id"] = identity["id"]?.DeepClone() });
        }

        if (identities.Count == 0)
        {
            identities.Add(new JsonObject { ["provider"] = "Basic", ["id"] = properties?["email"]?.DeepClone() });
        }

        return Json(new JsonObject { ["value"] = identities, ["count"] = identities.Count, ["nextLink"] = null });
    }
}
