using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Tollgate.Management.Api.ManagementEndpoints;
using static Tollgate.Management.Api.ManagementOpenApi;

namespace Tollgate.Management.Api.Resources;

/// <summary>APIM's e-mail <c>templates</c>: each always exists (customised or default); Tollgate adds preview and sendTest.</summary>
internal static class TemplatesApi
{
    private const string Contract = "EmailTemplateUpdateParameterPropertiesContract";

    public static RouteGroupBuilder MapTemplatesApi(this RouteGroupBuilder group)
    {
        group.MapArm(HttpMethods.Get, "templates", async (ArmRequest arm) => Page(AllOf(await arm.Mail.ListTemplatesAsync(arm.Scope, arm.Ct)), arm.Http))
            .Documented("EmailTemplate_ListByService", "Lists APIM's e-mail templates, each customised or with its default (isDefault).", Collection("EmailTemplateUpdateParameterProperties"));
        group.MapArm(HttpMethods.Get, "templates/{templateName}", async (ArmRequest arm) => Json(await arm.Mail.GetTemplateAsync(arm.Scope, arm.Route("templateName"), arm.Ct)))
            .Documented("EmailTemplate_Get", "Gets an e-mail template: subject, HTML body, title, description, isDefault and the $parameters it may use.", Ref(Contract));
        group.MapArm(HttpMethods.Put, "templates/{templateName}", (ArmRequest arm) => PutAsync(arm, merge: false))
            .Documented("EmailTemplate_CreateOrUpdate", "Customises a template (201 the first time); what is left out keeps its default. $Parameter is replaced in the subject by its value, in the body by its value HTML-encoded.",
                Ref(Contract), body: Contract, created: true);
        group.MapArm(HttpMethods.Patch, "templates/{templateName}", (ArmRequest arm) => PutAsync(arm, merge: true))
            .Documented("EmailTemplate_Update", "Changes the given properties of a template's customisation.", Ref(Contract), body: Contract);
        group.MapArm(HttpMethods.Delete, "templates/{templateName}", async (ArmRequest arm) =>
            await arm.Mail.ResetTemplateAsync(arm.Scope, arm.Route("templateName"), arm.Ct) ? Results.Ok() : Results.NoContent())
            .Documented("EmailTemplate_Delete", "Resets a template to its default (200; 204 when it was not customised).", null);
        group.MapArm(HttpMethods.Post, "templates/{templateName}/preview", async (ArmRequest arm) =>
            Json(await arm.Mail.PreviewTemplateAsync(arm.Scope, arm.Route("templateName"), await arm.BodyAsync(), arm.Ct)))
            .Documented("EmailTemplate_Preview", "Tollgate: renders the subject and body given (else the template's) with sample values for its parameters; nothing is saved.",
                Ref("EmailTemplatePreview"), body: "EmailTemplatePreviewRequest");
        group.MapArm(HttpMethods.Post, "templates/{templateName}/sendTest", async (ArmRequest arm) =>
            Json(await arm.Mail.SendTestAsync(arm.Scope, arm.Route("templateName"), await arm.BodyAsync(), arm.Ct), 202))
            .Documented("EmailTemplate_SendTest", "Tollgate: queues the template as saved, rendered with sample values, to the e-mail given, through the outbox (202 with the message's id). A bad e-mail is a 400 naming 'email'.",
                Obj(("type", "object"), ("properties", new JsonObject { ["email"] = Obj(("type", "string")), ["id"] = Obj(("type", "string")) })), body: "EmailTemplateSendTestRequest");
        return group;
    }

    private static async Task<IResult> PutAsync(ArmRequest arm, bool merge)
    {
        var (template, created) = await arm.Mail.PutTemplateAsync(arm.Scope, arm.Route("templateName"), await arm.BodyAsync(), merge, arm.Ct);
        return Json(template, created && !merge ? 201 : 200);
    }
}
