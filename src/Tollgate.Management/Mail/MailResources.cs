using System.Text.Json.Nodes;
using Tollgate.Core.Resources;
using Tollgate.Management.Api;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;

namespace Tollgate.Management.Mail;

/// <summary>
/// APIM's e-mail resources of an instance: <c>templates/{templateName}</c> (every template exists with its default;
/// PUT/PATCH customise it, DELETE resets it) and <c>notifications/{name}</c> with their
/// <c>recipientEmails/{email}</c> and <c>recipientUsers/{userId}</c>.
/// </summary>
public sealed class MailResources(IResourceStore store, ResourceService resources, MailNotifications notifications)
{
    // ---- templates ----

    public async Task<IReadOnlyList<JsonObject>> ListTemplatesAsync(ServiceScope scope, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var custom = (await store.ListAsync(scope.Name, MailNotifications.TemplateKind, "", ct)).ToDictionary(t => t.Key.Name, StringComparer.OrdinalIgnoreCase);
        return EmailTemplates.All.Select(t => TemplateJson(scope, t, custom.GetValueOrDefault(t.Name))).ToList();
    }

    public async Task<JsonObject> GetTemplateAsync(ServiceScope scope, string name, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var template = FindTemplate(name);
        return TemplateJson(scope, template, await store.GetAsync(TemplateKey(scope, template), ct));
    }

    /// <summary>PUT (<paramref name="merge"/> false: what is left out goes back to its default) or PATCH.</summary>
    public async Task<(JsonObject Body, bool Created)> PutTemplateAsync(ServiceScope scope, string name, JsonObject body, bool merge, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var template = FindTemplate(name);
        var input = body["properties"] as JsonObject ?? throw ArmException.Validation("properties", "'properties' is required and must be an object.");
        var errors = new List<ValidationError>();
        var props = SchemaValidator.Validate(input, ResourceSchemas.EmailTemplate, "", errors, applyDefaults: false);
        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        var key = TemplateKey(scope, template);
        var existing = await store.GetAsync(key, ct);
        var stored = merge && existing is not null ? (JsonObject)existing.Properties.DeepClone() : [];
        foreach (var (field, value) in props)
        {
            stored.Remove(field);
            if (value is not null)
            {
                stored[field] = value.DeepClone();
            }
        }

        await resources.ApplyChangesAsync(scope, [new ResourceChange.Put(key, stored, null)], ct);
        return (TemplateJson(scope, template, await store.GetAsync(key, ct)), existing is null);
    }

    public async Task<bool> ResetTemplateAsync(ServiceScope scope, string name, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var key = TemplateKey(scope, FindTemplate(name));
        if (await store.GetAsync(key, ct) is null)
        {
            return false;
        }

        await resources.ApplyChangesAsync(scope, [new ResourceChange.Delete(key)], ct);
        return true;
    }

    /// <summary>
    /// <c>POST …/templates/{name}/preview</c> (Tollgate): the subject and body given (else the template's own) rendered
    /// with the sample values, without saving anything.
    /// </summary>
    public async Task<JsonObject> PreviewTemplateAsync(ServiceScope scope, string name, JsonObject body, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var template = FindTemplate(name);
        var (subject, html) = await notifications.TemplateAsync(scope, template, ct);
        subject = OptionalText(body, "subject", 1000) ?? subject;
        html = OptionalText(body, "body", null) ?? html;
        var samples = await notifications.SampleValuesAsync(scope, ct);
        var (renderedSubject, renderedBody) = EmailTemplates.Render(subject, html, samples);
        var values = new JsonObject();
        foreach (var parameter in template.Parameters)
        {
            values[parameter.Name] = samples.GetValueOrDefault(parameter.Name);
        }

        return new JsonObject { ["subject"] = renderedSubject, ["body"] = renderedBody, ["text"] = EmailTemplates.PlainText(renderedBody), ["values"] = values };
    }

    /// <summary>
    /// <c>POST …/templates/{name}/sendTest</c> <c>{"email":"…"}</c> (Tollgate): queues the template as saved, rendered
    /// with the sample values, to that address through the outbox.
    /// </summary>
    public async Task<JsonObject> SendTestAsync(ServiceScope scope, string name, JsonObject body, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var template = FindTemplate(name);
        var errors = new List<ValidationError>();
        var checkedEmail = SchemaValidator.Validate(new JsonObject { ["email"] = body["email"]?.DeepClone() }, ResourceSchemas.RecipientEmail, "", errors, applyDefaults: false);
        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        var email = (string)checkedEmail["email"]!;
        var file = await notifications.SendTestAsync(scope, template, email, ct);
        return new JsonObject { ["email"] = email, ["id"] = Path.GetFileNameWithoutExtension(file) };
    }

    private static string? OptionalText(JsonObject body, string field, int? maxLength) => body[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var text) && text.Length > 0 && (maxLength is null || text.Length <= maxLength) => text,
        _ => throw ArmException.Validation(field, maxLength is null ? $"'{field}' must be a non-empty string." : $"'{field}' must be a string of 1 to {maxLength} characters."),
    };

    private static EmailTemplateDefault FindTemplate(string name) => EmailTemplates.Find(name) ?? throw ArmException.NotFound("EmailTemplate");

    private static ResourceKey TemplateKey(ServiceScope scope, EmailTemplateDefault template) => new(scope.Name, MailNotifications.TemplateKind, "", template.Name);

    private static JsonObject TemplateJson(ServiceScope scope, EmailTemplateDefault template, StoredResource? custom)
    {
        var p = custom?.Properties;
        return new JsonObject
        {
            ["id"] = $"{scope.BaseId}/templates/{template.Name}",
            ["type"] = "Microsoft.ApiManagement/service/templates",
            ["name"] = template.Name,
            ["properties"] = new JsonObject
            {
                ["subject"] = (string?)p?["subject"] ?? template.Subject,
                ["body"] = (string?)p?["body"] ?? template.Body,
                ["title"] = (string?)p?["title"] ?? template.Title,
                ["description"] = (string?)p?["description"] ?? template.Description,
                ["isDefault"] = custom is null,
                ["parameters"] = new JsonArray(template.Parameters.Select(x => (JsonNode)new JsonObject { ["name"] = x.Name, ["title"] = x.Title, ["description"] = x.Description }).ToArray()),
            },
        };
    }

    // ---- notifications ----

    public async Task<IReadOnlyList<JsonObject>> ListNotificationsAsync(ServiceScope scope, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var list = new List<JsonObject>();
        foreach (var n in MailNotifications.Notifications)
        {
            list.Add(await NotificationJsonAsync(scope, n, ct));
        }

        return list;
    }

    /// <summary>GET, and PUT (notifications always exist: PUT answers them as they are).</summary>
    public async Task<JsonObject> GetNotificationAsync(ServiceScope scope, string name, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        return await NotificationJsonAsync(scope, FindNotification(name), ct);
    }

    public async Task<IReadOnlyList<JsonObject>> ListRecipientsAsync(ServiceScope scope, string name, bool users, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var n = FindNotification(name);
        return (await store.ListAsync(scope.Name, users ? MailNotifications.RecipientUserKind : MailNotifications.RecipientEmailKind, n.Name, ct))
            .Select(r => RecipientJson(scope, n, users, r.Key.Name)).ToList();
    }

    public async Task<bool> RecipientExistsAsync(ServiceScope scope, string name, bool users, string recipient, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var n = FindNotification(name);
        return await store.GetAsync(RecipientKey(scope, n, users, recipient), ct) is not null;
    }

    public async Task<(JsonObject Body, bool Created)> AddRecipientAsync(ServiceScope scope, string name, bool users, string recipient, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var n = FindNotification(name);
        JsonObject properties;
        if (users)
        {
            _ = await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", recipient), ct) ?? throw ArmException.NotFound("User");
            properties = [];
        }
        else
        {
            var errors = new List<ValidationError>();
            properties = SchemaValidator.Validate(new JsonObject { ["email"] = recipient }, ResourceSchemas.RecipientEmail, "", errors, applyDefaults: false);
            if (errors.Count > 0)
            {
                throw ArmException.Validation(errors);
            }
        }

        var key = RecipientKey(scope, n, users, recipient);
        var existing = await store.GetAsync(key, ct);
        await resources.ApplyChangesAsync(scope, [new ResourceChange.Put(key, properties, null)], ct);
        return (RecipientJson(scope, n, users, recipient), existing is null);
    }

    public async Task<bool> RemoveRecipientAsync(ServiceScope scope, string name, bool users, string recipient, CancellationToken ct)
    {
        await resources.GetServiceAsync(scope, ct);
        var key = RecipientKey(scope, FindNotification(name), users, recipient);
        if (await store.GetAsync(key, ct) is null)
        {
            return false;
        }

        await resources.ApplyChangesAsync(scope, [new ResourceChange.Delete(key)], ct);
        return true;
    }

    private static NotificationDefinition FindNotification(string name) => MailNotifications.FindNotification(name) ?? throw ArmException.NotFound("Notification");

    private static ResourceKey RecipientKey(ServiceScope scope, NotificationDefinition n, bool users, string recipient) =>
        new(scope.Name, users ? MailNotifications.RecipientUserKind : MailNotifications.RecipientEmailKind, n.Name, recipient);

    private static JsonObject RecipientJson(ServiceScope scope, NotificationDefinition n, bool users, string recipient) => new()
    {
        ["id"] = $"{scope.BaseId}/notifications/{n.Name}/{(users ? "recipientUsers" : "recipientEmails")}/{recipient}",
        ["type"] = $"Microsoft.ApiManagement/service/notifications/{(users ? "recipientUsers" : "recipientEmails")}",
        ["name"] = recipient,
        ["properties"] = users ? new JsonObject { ["userId"] = $"{scope.BaseId}/users/{recipient}" } : new JsonObject { ["email"] = recipient },
    };

    private async Task<JsonObject> NotificationJsonAsync(ServiceScope scope, NotificationDefinition n, CancellationToken ct)
    {
        var emails = await store.ListAsync(scope.Name, MailNotifications.RecipientEmailKind, n.Name, ct);
        var users = await store.ListAsync(scope.Name, MailNotifications.RecipientUserKind, n.Name, ct);
        return new JsonObject
        {
            ["id"] = $"{scope.BaseId}/notifications/{n.Name}",
            ["type"] = "Microsoft.ApiManagement/service/notifications",
            ["name"] = n.Name,
            ["properties"] = new JsonObject
            {
                ["title"] = n.Title,
                ["description"] = n.Description,
                ["recipients"] = new JsonObject
                {
                    ["emails"] = new JsonArray(emails.Select(e => (JsonNode)$"{scope.BaseId}/recipientEmails/{e.Key.Name}").ToArray()),
                    ["users"] = new JsonArray(users.Select(u => (JsonNode)$"{scope.BaseId}/users/{u.Key.Name}").ToArray()),
                },
            },
        };
    }
}
