using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Tollgate.Management.Mail;

/// <summary>Delivers one message read from the outbox.</summary>
public interface IMailTransport
{
    /// <summary>Delivers the message; throws when it could not (the message stays queued).</summary>
    Task SendAsync(MimeMessage message, CancellationToken ct);

    /// <summary>The directory a delivered message's file is moved to.</summary>
    string DeliveredDirectory { get; }
}

/// <summary>SMTP with MailKit: one connection per delivery round.</summary>
public sealed class SmtpMailTransport(SmtpOptions options, MailOutbox outbox) : IMailTransport
{
    public string DeliveredDirectory => outbox.SentDirectory;

    public async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        using var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        var security = options.Security switch
        {
            "none" => SecureSocketOptions.None,
            "tls" => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTls,
        };
        await client.ConnectAsync(options.Host!, options.EffectivePort, security, ct);
        if (!string.IsNullOrEmpty(options.UserName))
        {
            await client.AuthenticateAsync(options.UserName, options.Password ?? "", ct);
        }

        if (!string.IsNullOrEmpty(options.From))
        {
            await client.SendAsync(message, MailboxAddress.Parse(options.From), message.GetRecipients(onlyUnique: true), ct);
        }
        else
        {
            await client.SendAsync(message, ct);
        }

        await client.DisconnectAsync(quit: true, ct);
    }
}

/// <summary>No SMTP server (the demo): a delivered message is an <c>.eml</c> file in <c>{data}/mail</c>.</summary>
public sealed class FolderMailTransport(MailOutbox outbox) : IMailTransport
{
    public string DeliveredDirectory => outbox.MailDirectory;

    // The file itself is the delivery: MailDelivery moves it from the outbox into the mail folder.
    public Task SendAsync(MimeMessage message, CancellationToken ct) => Task.CompletedTask;
}
