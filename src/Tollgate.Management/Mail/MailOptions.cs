namespace Tollgate.Management.Mail;

/// <summary>
/// E-mail notifications (section <c>Tollgate:Mail</c>). With <c>Smtp:Host</c> set, messages are sent over SMTP with
/// MailKit; without it (the demo) each one is written to <c>{data}/mail</c> as an <c>.eml</c> file. Either way a
/// message is first written to the outbox (<c>{data}/mail/outbox</c>) before the action that makes it returns, and
/// delivered from there in the background, with retries.
/// </summary>
public sealed class MailOptions
{
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>The wait after the first failed delivery; it doubles with each failure up to <see cref="MaxRetryDelay"/>. Default 5 s.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts to deliver a message. Default 15 minutes. A message is never dropped.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How often subscriptions' quota windows are checked for the "quota limit approaching" notification (80% of a
    /// quota's calls or bandwidth used). Default 1 minute; needs the gateways' counters readable from management.
    /// </summary>
    public TimeSpan QuotaCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How many days before a subscription key expires its owner is mailed
    /// (<c>subscriptionKeyExpiringDeveloperNotificationMessage</c>), once per key and expiry. Default 7; 0: no notice.
    /// </summary>
    public int KeyExpiryNoticeDays { get; set; } = 7;

    /// <summary>Whether an SMTP server is configured.</summary>
    public bool UsesSmtp => !string.IsNullOrWhiteSpace(Smtp.Host);

    /// <summary>What is wrong with the settings (naming the setting), or null.</summary>
    public string? Problem()
    {
        if (QuotaCheckInterval < TimeSpan.FromSeconds(1))
        {
            return $"Tollgate:Mail:QuotaCheckInterval is {QuotaCheckInterval}: it must be at least one second.";
        }

        if (KeyExpiryNoticeDays is < 0 or > 365)
        {
            return $"Tollgate:Mail:KeyExpiryNoticeDays is {KeyExpiryNoticeDays}: it must be between 0 (no notice) and 365.";
        }

        if (Smtp.Security is not ("none" or "starttls" or "tls"))
        {
            return $"Tollgate:Mail:Smtp:Security is '{Smtp.Security}': it must be none, starttls or tls.";
        }

        if (Smtp.Port is < 0 or > 65535)
        {
            return $"Tollgate:Mail:Smtp:Port is {Smtp.Port}: it must be a TCP port (1-65535), or 0 for the default of the security mode.";
        }

        if (!string.IsNullOrEmpty(Smtp.From) && !System.Net.Mail.MailAddress.TryCreate(Smtp.From, out _))
        {
            return $"Tollgate:Mail:Smtp:From is '{Smtp.From}', which is not an e-mail address.";
        }

        if (FirstRetryDelay <= TimeSpan.Zero || MaxRetryDelay < FirstRetryDelay)
        {
            return "Tollgate:Mail:FirstRetryDelay must be positive and no longer than Tollgate:Mail:MaxRetryDelay.";
        }

        return null;
    }
}

/// <summary>The SMTP server (section <c>Tollgate:Mail:Smtp</c>).</summary>
public sealed class SmtpOptions
{
    /// <summary>The server's host name or address; empty: no SMTP (messages go to <c>{data}/mail</c>).</summary>
    public string? Host { get; set; }

    /// <summary>The port; 0 (default): 25 with <c>none</c>, 587 with <c>starttls</c>, 465 with <c>tls</c>.</summary>
    public int Port { get; set; }

    /// <summary><c>none</c> (plain SMTP), <c>starttls</c> (default: upgrade with STARTTLS, required) or <c>tls</c> (TLS from the start).</summary>
    public string Security { get; set; } = "starttls";

    /// <summary>The user name to authenticate with; empty: no authentication.</summary>
    public string? UserName { get; set; }

    /// <summary>The password of <see cref="UserName"/>. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// The envelope sender and <c>From</c> when set; otherwise the instance's <c>notificationSenderEmail</c> is the
    /// <c>From</c> of its messages.
    /// </summary>
    public string? From { get; set; }

    /// <summary>How long one SMTP conversation may take. Default 30 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public int EffectivePort => Port != 0 ? Port : Security switch { "tls" => 465, "none" => 25, _ => 587 };
}
