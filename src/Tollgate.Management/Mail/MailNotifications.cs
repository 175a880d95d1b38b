using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MimeKit;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;
using Tollgate.ServiceDefaults;

namespace Tollgate.Management.Mail;

/// <summary>Told of every committed write of a resource (after the change set, never inside it).</summary>
public interface IResourceWriteObserver
{
    /// <summary><paramref name="before"/> null: created; <paramref name="after"/> null: deleted. Must not throw.</summary>
    Task WrittenAsync(ServiceScope scope, ResourceKind kind, StoredResource? before, StoredResource? after, CancellationToken ct);
}

/// <summary>One of APIM's publisher notifications (<c>.../service/{s}/notifications/{name}</c>).</summary>
public sealed record NotificationDefinition(string Name, string Title, string Description);

/// <summary>
/// APIM's e-mail notifications: renders the instance's templates (customised or default) for developers and the
/// publisher notifications for their recipients, and queues them in the outbox. Follows the writes of users and
/// subscriptions: a user created <c>pending</c> gets the sign-up confirmation (with a single-use link), one created
/// with <c>confirmation: invite</c> and no password the invitation (a single-use link to choose one), confirmed the
/// welcome letter, closed the farewell; a subscription submitted for approval notifies the
/// <c>RequestPublisherNotificationMessage</c> recipients (the instance's <c>publisherEmail</c> while it has none) and
/// the developer, an activated one the developer and the <c>PurchasePublisherNotificationMessage</c> recipients, a
/// rejected one the developer. A message that cannot be queued is logged; the write stands.
/// </summary>
public sealed partial class MailNotifications(IResourceStore store, MailOutbox outbox, MailOptions mailOptions, ManagementOptions options, AccountTokens tokens, SecretVault vault,
    ILogger<MailNotifications> logger)
    : IResourceWriteObserver
{
    public const string TemplateKind = "emailTemplate";
    public const string RecipientEmailKind = "notificationRecipientEmail";
    public const string RecipientUserKind = "notificationRecipientUser";
    public const string DefaultSender = "apimgmt-noreply@mail.windowsazure.com";

    public static readonly IReadOnlyList<NotificationDefinition> Notifications =
    [
        new("RequestPublisherNotificationMessage", "Subscription requests (requiring approval)", "The following email recipients and users will receive email notifications about subscription requests for API products requiring approval."),
        new("PurchasePublisherNotificationMessage", "New subscriptions", "The following email recipients and users will receive email notifications about new API product subscriptions."),
        new("NewApplicationNotificationMessage", "Application gallery requests", "The following email recipients and users will receive email notifications when new applications are submitted to the application gallery."),
        new("BCC", "BCC", "The following recipients will receive blind carbon copies of all emails sent to developers."),
        new("NewIssuePublisherNotificationMessage", "New issue or comment", "The following email recipients and users will receive email notifications when a new issue or comment is submitted on the developer portal."),
        new("AccountClosedPublisher", "Close account message", "The following email recipients and users will receive email notifications when account is closed."),
        new("QuotaLimitApproachingPublisherNotificationMessage", "Approaching subscription quota limit", "The following email recipients and users will receive email notifications when subscription usage gets close to usage quota."),
    ];

    public static NotificationDefinition? FindNotification(string name) =>
        Notifications.FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The template as the instance has it: its customisation, else APIM's default.</summary>
    public async Task<(string Subject, string Body)> TemplateAsync(ServiceScope scope, EmailTemplateDefault template, CancellationToken ct)
    {
        var custom = await store.GetAsync(new ResourceKey(scope.Name, TemplateKind, "", template.Name), ct);
        return ((string?)custom?.Properties["subject"] ?? template.Subject, (string?)custom?.Properties["body"] ?? template.Body);
    }

    /// <summary>The sample values of a preview or test message: <see cref="EmailTemplates.SampleValues"/> with the instance's own name and portal.</summary>
    public async Task<Dictionary<string, string?>> SampleValuesAsync(ServiceScope scope, CancellationToken ct)
    {
        var service = await store.GetAsync(ResourceService.ServiceKey(scope.Name), ct);
        var values = BaseValues(scope, service);
        foreach (var (k, v) in EmailTemplates.SampleValues(options.PortalUrlOf(scope.Name)))
        {
            values[k] = v;
        }

        return values;
    }

    /// <summary>
    /// Queues a test message of the template as the instance has it, rendered with the sample values, to
    /// <paramref name="email"/> (a Tollgate extension: <c>POST …/templates/{name}/sendTest</c>). Returns the outbox file's name.
    /// </summary>
    public async Task<string> SendTestAsync(ServiceScope scope, EmailTemplateDefault template, string email, CancellationToken ct)
    {
        var service = await store.GetAsync(ResourceService.ServiceKey(scope.Name), ct);
        var (subject, body) = await TemplateAsync(scope, template, ct);
        var (renderedSubject, html) = EmailTemplates.Render(subject, body, await SampleValuesAsync(scope, ct));
        var message = Message(service, renderedSubject, html);
        message.To.Add(MailboxAddress.Parse(email));
        message.Headers.Add("X-Tollgate-Test", template.Name);
        return await outbox.EnqueueAsync(message, ct);
    }

    /// <summary>Renders a template for a user and queues it (with the BCC notification's recipients).</summary>
    public async Task SendToUserAsync(ServiceScope scope, string templateName, StoredResource user, IReadOnlyDictionary<string, string?> extra, CancellationToken ct)
    {
        var email = (string?)user.Properties["email"];
        if (string.IsNullOrEmpty(email))
        {
            return;
        }

        var service = await store.GetAsync(ResourceService.ServiceKey(scope.Name), ct);
        var template = EmailTemplates.Find(templateName) ?? throw new ArgumentException($"No template '{templateName}'.", nameof(templateName));
        var (subject, body) = await TemplateAsync(scope, template, ct);
        var values = BaseValues(scope, service);
        values["DevFirstName"] = (string?)user.Properties["firstName"];
        values["DevLastName"] = (string?)user.Properties["lastName"];
        values["DevEmail"] = email;
        foreach (var (k, v) in extra)
        {
            values[k] = v;
        }

        var (renderedSubject, html) = EmailTemplates.Render(subject, body, values);
        var message = Message(service, renderedSubject, html);
        message.To.Add(new MailboxAddress($"{values["DevFirstName"]} {values["DevLastName"]}".Trim(), email));
        foreach (var bcc in await RecipientsAsync(scope, "BCC", service, ct))
        {
            message.Bcc.Add(MailboxAddress.Parse(bcc));
        }

        await outbox.EnqueueAsync(message, ct);
    }

    /// <summary>Queues a publisher notification to its recipients (nothing when it has none).</summary>
    public async Task SendToPublisherAsync(ServiceScope scope, string notification, string subject, string htmlBody, CancellationToken ct)
    {
        var service = await store.GetAsync(ResourceService.ServiceKey(scope.Name), ct);
        var recipients = await RecipientsAsync(scope, notification, service, ct);
        if (recipients.Count == 0)
        {
            return;
        }

        var message = Message(service, subject, htmlBody);
        foreach (var r in recipients)
        {
            message.To.Add(MailboxAddress.Parse(r));
        }

        await outbox.EnqueueAsync(message, ct);
    }

    /// <summary>
    /// The e-mail addresses a notification goes to: its recipient e-mails and the e-mails of its recipient users;
    /// <c>RequestPublisherNotificationMessage</c> without any goes to the instance's <c>publisherEmail</c>.
    /// </summary>
    public async Task<IReadOnlyList<string>> RecipientsAsync(ServiceScope scope, string notification, StoredResource? service, CancellationToken ct)
    {
        var emails = (await store.ListAsync(scope.Name, RecipientEmailKind, notification, ct)).Select(r => (string?)r.Properties["email"] ?? r.Key.Name).ToList();
        foreach (var u in await store.ListAsync(scope.Name, RecipientUserKind, notification, ct))
        {
            var user = await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", u.Key.Name), ct);
            if ((string?)user?.Properties["email"] is { Length: > 0 } email)
            {
                emails.Add(email);
            }
        }

        if (emails.Count == 0 && notification == "RequestPublisherNotificationMessage" && (string?)service?.Properties["publisherEmail"] is { Length: > 0 } publisher)
        {
            emails.Add(publisher);
        }

        return emails.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    public async Task WrittenAsync(ServiceScope scope, ResourceKind kind, StoredResource? before, StoredResource? after, CancellationToken ct)
    {
        try
        {
            if (kind == ResourceKind.User)
            {
                await UserWrittenAsync(scope, before, after, ct);
            }
            else if (kind == ResourceKind.Subscription)
            {
                await SubscriptionWrittenAsync(scope, before, after, ct);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            NotQueued(logger, kind.Title, (after ?? before)?.Key.Name ?? "", ex.GetType().Name, ex.Message);
        }
    }

    /// <summary>The link of a developer portal page with a token: <c>{developerPortalUrl}/{page}?token=…</c>.</summary>
    public string PortalLink(ServiceScope scope, string page, string token) =>
        $"{options.PortalUrlOf(scope.Name).TrimEnd('/')}/{page}?token={Uri.EscapeDataString(token)}";

    private async Task UserWrittenAsync(ServiceScope scope, StoredResource? before, StoredResource? after, CancellationToken ct)
    {
        var wasState = (string?)before?.Properties["state"];
        var state = (string?)after?.Properties["state"];
        if (after is not null && after.Key.Name == "1")
        {
            return; // The administrator.
        }

        var secrets = after is null ? [] : vault.Unprotect(after.Secrets);
        var invited = (string?)secrets["confirmation"] == "invite";
        if (before is null && invited && (state == "pending" || (state == "active" && secrets["passwordHash"] is null)))
        {
            // An invitation: the link opens the page that sets the password (and activates a pending account).
            var token = await tokens.IssueAsync(scope, after!.Key.Name, AccountTokens.Reset, ct, AccountTokens.InviteLifetime);
            await SendToUserAsync(scope, "inviteUserNotificationMessage", after, new Dictionary<string, string?> { ["ConfirmUrl"] = PortalLink(scope, "reset-password", token) }, ct);
        }
        else if (before is null && state == "pending")
        {
            var token = await tokens.IssueAsync(scope, after!.Key.Name, AccountTokens.Confirm, ct);
            await SendToUserAsync(scope, "confirmSignUpIdentityDefault", after, new Dictionary<string, string?> { ["ConfirmUrl"] = PortalLink(scope, "confirm", token) }, ct);
        }
        else if (wasState == "pending" && state == "active")
        {
            await SendToUserAsync(scope, "newDeveloperNotificationMessage", after!, new Dictionary<string, string?>(), ct);
        }
        else if (before is not null && wasState != "deleted" && (after is null || state == "deleted") && before.Key.Name != "1")
        {
            await SendToUserAsync(scope, "accountClosedDeveloper", before, new Dictionary<string, string?>(), ct);
            var name = $"{(string?)before.Properties["firstName"]} {(string?)before.Properties["lastName"]}".Trim();
            await SendToPublisherAsync(scope, "AccountClosedPublisher", $"Developer account closed: {name}",
                $"<p>The developer account of {WebUtility.HtmlEncode(name)} ({WebUtility.HtmlEncode((string?)before.Properties["email"])}) was closed.</p>", ct);
        }
    }

    private async Task SubscriptionWrittenAsync(ServiceScope scope, StoredResource? before, StoredResource? after, CancellationToken ct)
    {
        if (after is null)
        {
            return;
        }

        var wasState = (string?)before?.Properties["state"];
        var state = (string?)after.Properties["state"];
        if (wasState == state)
        {
            return;
        }

        var owner = (string?)after.Properties["ownerId"];
        var userId = owner?.StartsWith("/users/", StringComparison.OrdinalIgnoreCase) == true ? owner["/users/".Length..] : null;
        var user = userId is null ? null : await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.User.Kind, "", userId), ct);
        var scopeText = (string?)after.Properties["scope"] ?? "";
        var productId = scopeText.StartsWith("/products/", StringComparison.OrdinalIgnoreCase) ? scopeText["/products/".Length..] : null;
        var product = productId is null ? null : await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.Product.Kind, "", productId), ct);
        var productName = (string?)product?.Properties["displayName"] ?? productId ?? scopeText;
        var values = new Dictionary<string, string?>
        {
            ["ProdName"] = productName,
            ["SubscriptionName"] = (string?)after.Properties["displayName"],
            ["SubscriptionsUrl"] = options.PortalUrlOf(scope.Name).TrimEnd('/') + "/subscriptions",
            ["RejectReason"] = (string?)after.Properties["stateComment"],
        };
        var developer = user is null ? "(no user)" : $"{(string?)user.Properties["firstName"]} {(string?)user.Properties["lastName"]} ({(string?)user.Properties["email"]})";
        var adminLink = options.PortalUrlOf(scope.Name).TrimEnd('/') + $"/admin/{Uri.EscapeDataString(scope.Name)}/subscriptions";
        var sendToDeveloper = user is not null && userId != "1";
        if (before is null && state == "submitted")
        {
            await SendToPublisherAsync(scope, "RequestPublisherNotificationMessage", $"Subscription request for the {productName} product",
                $"<p>{WebUtility.HtmlEncode(developer)} requested a subscription ({WebUtility.HtmlEncode((string?)after.Properties["displayName"])}) to the {WebUtility.HtmlEncode(productName)} product, which requires approval.</p>"
                + $"<p>Approve or reject it in the publisher portal: <a href=\"{WebUtility.HtmlEncode(adminLink)}\">{WebUtility.HtmlEncode(adminLink)}</a></p>", ct);
            if (sendToDeveloper)
            {
                await SendToUserAsync(scope, "requestDeveloperNotificationMessage", user!, values, ct);
            }
        }
        else if (state == "active" && (before is null || wasState == "submitted"))
        {
            if (sendToDeveloper)
            {
                await SendToUserAsync(scope, "purchaseDeveloperNotificationMessage", user!, values, ct);
            }

            await SendToPublisherAsync(scope, "PurchasePublisherNotificationMessage", $"New subscription to the {productName} product",
                $"<p>{WebUtility.HtmlEncode(developer)} has a new active subscription ({WebUtility.HtmlEncode((string?)after.Properties["displayName"])}) to the {WebUtility.HtmlEncode(productName)} product.</p>", ct);
        }
        else if (state == "rejected" && wasState == "submitted" && sendToDeveloper)
        {
            await SendToUserAsync(scope, "rejectDeveloperNotificationMessage", user!, values, ct);
        }
    }

    private Dictionary<string, string?> BaseValues(ServiceScope scope, StoredResource? service)
    {
        var portal = options.PortalUrlOf(scope.Name);
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["OrganizationName"] = (string?)service?.Properties["publisherName"] ?? scope.Name,
            ["DevPortalUrl"] = portal,
            ["DevPortalHost"] = Uri.TryCreate(portal, UriKind.Absolute, out var uri) ? uri.Authority : portal,
        };
    }

    private MimeMessage Message(StoredResource? service, string subject, string html)
    {
        var message = new MimeMessage();
        var sender = (string?)service?.Properties["notificationSenderEmail"] ?? mailOptions.Smtp.From ?? DefaultSender;
        message.From.Add(new MailboxAddress((string?)service?.Properties["publisherName"] ?? "", sender));
        message.Subject = subject;
        message.Body = new BodyBuilder { HtmlBody = html, TextBody = EmailTemplates.PlainText(html) }.ToMessageBody();
        message.Headers.Add("Auto-Submitted", "auto-generated");
        return message;
    }

    [LoggerMessage(EventIds.MailNotQueued, LogLevel.Error, "The e-mail notification about {Kind} '{Name}' could not be queued (the change is kept): {Error}: {Message}")]
    private static partial void NotQueued(ILogger logger, string kind, string name, string error, string message);
}
