using System.Net;
using System.Text.RegularExpressions;

namespace Tollgate.Management.Mail;

/// <summary>A parameter a template may use, written <c>$Name</c> in its subject and body.</summary>
public sealed record EmailTemplateParameter(string Name, string Title, string Description);

/// <summary>One of APIM's e-mail templates with its default subject and (HTML) body.</summary>
public sealed record EmailTemplateDefault(string Name, string Title, string Description, string Subject, string Body, IReadOnlyList<EmailTemplateParameter> Parameters);

/// <summary>
/// APIM's e-mail templates (<c>.../service/{s}/templates/{templateName}</c>), their defaults and their rendering:
/// <c>$Parameter</c> in the subject is replaced by the value as it is, in the body by the value HTML-encoded (user
/// data never becomes markup). A <c>$Word</c> that is not a parameter of the message stays as written.
/// </summary>
public static partial class EmailTemplates
{
    private static EmailTemplateParameter P(string name, string title) => new(name, title, title);

    private static readonly EmailTemplateParameter DevFirstName = P("DevFirstName", "Developer first name");
    private static readonly EmailTemplateParameter DevLastName = P("DevLastName", "Developer last name");
    private static readonly EmailTemplateParameter OrganizationName = P("OrganizationName", "Organization name");
    private static readonly EmailTemplateParameter DevPortalUrl = P("DevPortalUrl", "Developer portal URL");
    private static readonly EmailTemplateParameter DevPortalHost = P("DevPortalHost", "Developer portal host name");
    private static readonly EmailTemplateParameter ConfirmUrl = P("ConfirmUrl", "The link to open to confirm (single use, expiring)");
    private static readonly EmailTemplateParameter ProdName = P("ProdName", "Product name");
    private static readonly EmailTemplateParameter SubscriptionName = P("SubscriptionName", "Subscription name");
    private static readonly EmailTemplateParameter SubscriptionsUrl = P("SubscriptionsUrl", "The developer's subscriptions page");
    private static readonly EmailTemplateParameter RejectReason = P("RejectReason", "The administrator's comment");
    private static readonly EmailTemplateParameter DevEmail = P("DevEmail", "Developer e-mail");

    private const string Signature = "<p>Thank you,<br />The $OrganizationName API team<br /><a href=\"$DevPortalUrl\">$DevPortalUrl</a></p>";

    public static readonly IReadOnlyList<EmailTemplateDefault> All =
    [
        new("applicationApprovedNotificationMessage", "Gallery application approved", "Developers who submitted their application for publication in the application gallery on the developer portal receive this e-mail after their submission is approved.",
            "Your application $AppName is published in the application gallery",
            "<p>Dear $DevFirstName $DevLastName,</p><p>We are happy to let you know that your request to publish the $AppName application in the application gallery has been approved. Your application has been published and can be viewed <a href=\"$AppUrl\">here</a>.</p>" + Signature,
            [DevFirstName, DevLastName, P("AppName", "Application name"), P("AppUrl", "Application URL"), OrganizationName, DevPortalUrl]),
        new("accountClosedDeveloper", "Developer farewell letter", "Developers receive this e-mail when they close their account.",
            "Thank you for using the $OrganizationName API!",
            "<p>Dear $DevFirstName $DevLastName,</p><p>Your account with the $OrganizationName API is closed. We hope to see you again.</p>" + Signature,
            [DevFirstName, DevLastName, OrganizationName, DevPortalUrl]),
        new("confirmSignUpIdentityDefault", "New developer account confirmation", "Developers receive this e-mail to confirm their e-mail address after they sign up for a new account.",
            "Please confirm your new $OrganizationName API account",
            "<p>Dear $DevFirstName $DevLastName,</p><p>Thank you for joining the $OrganizationName API program! We host a growing number of cool APIs and strive to provide an awesome experience for API developers.</p><p>First, confirm your e-mail address by opening this link: <a id=\"confirmUrl\" href=\"$ConfirmUrl\">$ConfirmUrl</a>. It works once, within 24 hours.</p><p>If you did not sign up at $DevPortalHost, ignore this e-mail.</p>" + Signature,
            [DevFirstName, DevLastName, DevEmail, ConfirmUrl, DevPortalHost, OrganizationName, DevPortalUrl]),
        new("emailChangeIdentityDefault", "Email change confirmation", "Developers receive this e-mail to confirm a new e-mail address after they change their existing one.",
            "Please confirm the new e-mail associated with your $OrganizationName API account",
            "<p>Dear $DevFirstName $DevLastName,</p><p>Confirm your new e-mail address by opening this link: <a href=\"$ConfirmUrl\">$ConfirmUrl</a>.</p>" + Signature,
            [DevFirstName, DevLastName, ConfirmUrl, OrganizationName, DevPortalUrl]),
        new("inviteUserNotificationMessage", "Invite user", "An e-mail invitation to create an account, sent on request by API publishers.",
            "You are invited to join the $OrganizationName developer network",
            "<p>Dear $DevFirstName $DevLastName,</p><p>Your account has been created. Open this link to choose your password and sign in: <a id=\"confirmUrl\" href=\"$ConfirmUrl\">$ConfirmUrl</a>. It works once, within 7 days.</p>" + Signature,
            [DevFirstName, DevLastName, ConfirmUrl, OrganizationName, DevPortalUrl]),
        new("newCommentNotificationMessage", "New comment added to an issue", "Developers receive this e-mail when someone comments on the issue they created on the Issues page of the developer portal.",
            "$IssueName issue has a new comment",
            "<p>Dear $DevFirstName $DevLastName,</p><p>You have received a new comment on the $IssueName issue: $CommentText</p>" + Signature,
            [DevFirstName, DevLastName, P("IssueName", "Issue name"), P("CommentText", "Comment text"), OrganizationName, DevPortalUrl]),
        new("newDeveloperNotificationMessage", "Welcome letter for new developers", "Developers receive this welcome e-mail after they confirm their new account.",
            "Welcome to the $OrganizationName API!",
            "<p>Dear $DevFirstName $DevLastName,</p><p>Your $OrganizationName API account is ready. Sign in at <a href=\"$DevPortalUrl\">$DevPortalUrl</a> to browse the APIs, subscribe to products and get your keys.</p>" + Signature,
            [DevFirstName, DevLastName, DevEmail, OrganizationName, DevPortalUrl]),
        new("newIssueNotificationMessage", "New issue received", "This e-mail is sent to developers when they report a new issue on the Issues page of the developer portal.",
            "Your request $IssueName was received",
            "<p>Dear $DevFirstName $DevLastName,</p><p>Thank you for contacting us. Our API team will review your issue and get back to you soon.</p>" + Signature,
            [DevFirstName, DevLastName, P("IssueName", "Issue name"), OrganizationName, DevPortalUrl]),
        new("passwordResetByAdminNotificationMessage", "Password reset by the administrator", "Developers receive this e-mail when their password is reset by an administrator.",
            "Your password was reset",
            "<p>Dear $DevFirstName $DevLastName,</p><p>The administrator of the $OrganizationName API reset the password of your account. Choose a new one by opening this link: <a id=\"confirmUrl\" href=\"$ConfirmUrl\">$ConfirmUrl</a>. It works once, within an hour.</p>" + Signature,
            [DevFirstName, DevLastName, ConfirmUrl, OrganizationName, DevPortalUrl]),
        new("passwordResetIdentityDefault", "Password change confirmation", "Developers receive this e-mail when they request a password change of their account. The link in it opens the page to choose the new password.",
            "Your password change request",
            "<p>Dear $DevFirstName $DevLastName,</p><p>We received a request to change the password of your $OrganizationName API account. To choose a new password, open this link: <a id=\"confirmUrl\" href=\"$ConfirmUrl\">$ConfirmUrl</a>. It works once, within an hour.</p><p>If you did not ask for it, ignore this e-mail: your password stays as it is.</p>" + Signature,
            [DevFirstName, DevLastName, ConfirmUrl, OrganizationName, DevPortalUrl]),
        new("purchaseDeveloperNotificationMessage", "New subscription activated", "Developers receive this e-mail when their subscription to a product is activated.",
            "Your subscription to the $ProdName",
            "<p>Dear $DevFirstName $DevLastName,</p><p>Thank you for subscribing to the $ProdName product. Your subscription $SubscriptionName is active; its keys are on <a href=\"$SubscriptionsUrl\">your subscriptions page</a>.</p>" + Signature,
            [DevFirstName, DevLastName, ProdName, SubscriptionName, SubscriptionsUrl, OrganizationName, DevPortalUrl]),
        new("quotaLimitApproachingDeveloperNotificationMessage", "Developer quota limit approaching notification", "Developers receive this e-mail to alert them when they are approaching a quota limit.",
            "You are approaching an API quota limit",
            "<p>Dear $DevFirstName $DevLastName,</p><p>Your subscription $SubscriptionName to the $ProdName product is close to its quota: $CallsLimit calls, $CallsConsumed used so far.</p>" + Signature,
            [DevFirstName, DevLastName, ProdName, SubscriptionName, P("CallsLimit", "Calls allowed"), P("CallsConsumed", "Calls used"), OrganizationName, DevPortalUrl]),
        new("subscriptionKeyExpiringDeveloperNotificationMessage", "Subscription key expiring", "Tollgate extension: developers receive this e-mail some days (Tollgate:Mail:KeyExpiryNoticeDays, 7 by default) before a key of their subscription expires, once per key and expiry.",
            "Your $KeyName key of $SubscriptionName expires on $ExpiresAt",
            "<p>Dear $DevFirstName $DevLastName,</p><p>The $KeyName key of your subscription $SubscriptionName to the $ProdName product expires on $ExpiresAt. Calls made with it are refused from then on.</p><p>Switch your applications to the other key, or regenerate this one, on <a href=\"$SubscriptionsUrl\">your subscriptions page</a>.</p>" + Signature,
            [DevFirstName, DevLastName, ProdName, SubscriptionName, P("KeyName", "Which key expires: primary or secondary"), P("ExpiresAt", "When the key expires (UTC)"), SubscriptionsUrl, OrganizationName, DevPortalUrl]),
        new("rejectDeveloperNotificationMessage", "Subscription request declined", "This e-mail is sent to developers when their subscription requests for products requiring publisher approval is declined.",
            "Your subscription request for the $ProdName product",
            "<p>Dear $DevFirstName $DevLastName,</p><p>We would like to inform you that we decided to decline your subscription request for the $ProdName product. $RejectReason</p>" + Signature,
            [DevFirstName, DevLastName, ProdName, SubscriptionName, RejectReason, OrganizationName, DevPortalUrl]),
        new("requestDeveloperNotificationMessage", "Subscription request received", "This e-mail is sent to developers when they request a subscription to a product that requires the publisher's approval.",
            "Your subscription request for the $ProdName product",
            "<p>Dear $DevFirstName $DevLastName,</p><p>Thank you for your interest in the $ProdName product. Your subscription request is being reviewed; you will get an e-mail once it is decided.</p>" + Signature,
            [DevFirstName, DevLastName, ProdName, SubscriptionName, OrganizationName, DevPortalUrl]),
    ];

    /// <summary>
    /// Sample values of the parameters, for a preview or a test message (the instance's own organization name and
    /// portal address are added by <see cref="MailNotifications.SampleValuesAsync"/>); a link is never a working one.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> SampleValues(string portalUrl)
    {
        var portal = portalUrl.TrimEnd('/');
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DevFirstName"] = "Ada",
            ["DevLastName"] = "Lovelace",
            ["DevEmail"] = "ada.lovelace@example.com",
            ["ConfirmUrl"] = portal + "/reset-password?token=sample-token",
            ["ProdName"] = "Starter",
            ["SubscriptionName"] = "Ada's Starter subscription",
            ["SubscriptionsUrl"] = portal + "/subscriptions",
            ["RejectReason"] = "The product is reserved for partners.",
            ["AppName"] = "Weather app",
            ["AppUrl"] = portal + "/applications/weather-app",
            ["IssueName"] = "Timeouts on GET /forecast",
            ["CommentText"] = "It works again since this morning.",
            ["CallsLimit"] = "10000",
            ["CallsConsumed"] = "9500",
            ["KeyName"] = "primary",
            ["ExpiresAt"] = "2027-01-31 12:00 UTC",
        };
    }

    public static EmailTemplateDefault? Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Substitutes the parameters: as they are in the subject, HTML-encoded in the (HTML) body.</summary>
    public static (string Subject, string HtmlBody) Render(string subject, string body, IReadOnlyDictionary<string, string?> values) =>
        (Substitute(subject, values, encode: false), Substitute(body, values, encode: true));

    /// <summary>
    /// A plain-text alternative of an HTML body: paragraphs and line breaks kept, tags removed, entities decoded; what a
    /// reader never sees (scripts, styles, comments, the head) left out.
    /// </summary>
    public static string PlainText(string html)
    {
        var text = UnseenPattern().Replace(html, "");
        text = BreakPattern().Replace(text, "\n");
        text = ParagraphEndPattern().Replace(text, "\n\n");
        text = TagPattern().Replace(text, "");
        return WebUtility.HtmlDecode(text).Trim() + "\n";
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, string?> values, bool encode) =>
        ParameterPattern().Replace(text, m =>
            values.TryGetValue(m.Groups[1].Value, out var value)
                ? encode ? WebUtility.HtmlEncode(value ?? "") : (value ?? "").ReplaceLineEndings(" ")
                : m.Value);

    [GeneratedRegex(@"\$([A-Za-z][A-Za-z0-9]*)")]
    private static partial Regex ParameterPattern();

    // Non-backtracking: linear in the body's length whatever it holds; an unclosed one runs to the end, as in a browser.
    [GeneratedRegex(@"<script\b.*?(</script\s*>|\z)|<style\b.*?(</style\s*>|\z)|<head\b.*?(</head\s*>|\z)|<!--.*?(-->|\z)",
        RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.NonBacktracking)]
    private static partial Regex UnseenPattern();

    [GeneratedRegex(@"<br\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex BreakPattern();

    [GeneratedRegex(@"</p\s*>", RegexOptions.IgnoreCase)]
    private static partial Regex ParagraphEndPattern();

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex TagPattern();
}
