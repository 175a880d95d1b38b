using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's publisher <c>notifications</c> (they always exist) and their recipients, by e-mail or by user.</summary>
internal static class NotificationsApi
{
    public static RouteGroupBuilder MapNotificationsApi(this RouteGroupBuilder group)
    {
        group.MapArm(HttpMethods.Get, "notifications", async (ArmRequest arm) => Page(AllOf(await arm.Mail.ListNotificationsAsync(arm.Scope, arm.Ct)), arm.Http))
            .Documented("Notification_ListByService", "Lists the publisher notifications with their recipients.", Obj(("type", "object"), ("properties", new JsonObject
            {
                ["value"] = Obj(("type", "array"), ("items", Ref("NotificationContract"))),
                ["count"] = Obj(("type", "integer")),
                ["nextLink"] = Obj(("type", "string"), ("nullable", true)),
            })));
        group.MapArm(HttpMethods.Get, "notifications/{notificationName}", GetAsync)
            .Documented("Notification_Get", "Gets a notification and its recipients. RequestPublisherNotificationMessage without recipients goes to the instance's publisherEmail.", Ref("NotificationContract"));
        group.MapArm(HttpMethods.Put, "notifications/{notificationName}", GetAsync)
            .Documented("Notification_CreateOrUpdate", "Notifications always exist: answers the notification as it is.", Ref("NotificationContract"));
        group.MapRecipients("recipientEmails", "email", byUser: false, "NotificationRecipientEmail", "RecipientEmailContractProperties", "e-mail recipients of the notification");
        group.MapRecipients("recipientUsers", "userId", byUser: true, "NotificationRecipientUser", "RecipientUserContractProperties", "users who receive the notification (at their e-mail)");
        return group;
    }

    private static async Task<IResult> GetAsync(ArmRequest arm) => Json(await arm.Mail.GetNotificationAsync(arm.Scope, arm.Route("notificationName"), arm.Ct));

    /// <summary>A notification's recipients, as links are (list, PUT, HEAD, DELETE) and documented the same way.</summary>
    private static void MapRecipients(this RouteGroupBuilder group, string collection, string id, bool byUser, string name, string properties, string what)
    {
        var list = $"notifications/{{notificationName}}/{collection}";
        var item = $"{list}/{{{id}}}";
        group.MapArm(HttpMethods.Get, list, async (ArmRequest arm) => Page(AllOf(await arm.Mail.ListRecipientsAsync(arm.Scope, arm.Route("notificationName"), byUser, arm.Ct)), arm.Http))
            .DocumentedLinkList(name, properties, what);
        group.MapArm(HttpMethods.Put, item, async (ArmRequest arm) =>
        {
            var (body, created) = await arm.Mail.AddRecipientAsync(arm.Scope, arm.Route("notificationName"), byUser, arm.Route(id), arm.Ct);
            return Json(body, created ? 201 : 200);
        }).DocumentedLinkPut(name, properties, what);
        group.MapArm(HttpMethods.Get, item, async (ArmRequest arm) =>
            await arm.Mail.RecipientExistsAsync(arm.Scope, arm.Route("notificationName"), byUser, arm.Route(id), arm.Ct) ? Results.NoContent() : Results.NotFound())
            .DocumentedLinkHead(name, what);
        group.MapArm(HttpMethods.Delete, item, async (ArmRequest arm) =>
            await arm.Mail.RemoveRecipientAsync(arm.Scope, arm.Route("notificationName"), byUser, arm.Route(id), arm.Ct) ? Results.Ok() : Results.NoContent())
            .DocumentedLinkDelete(name, what);
    }
}
