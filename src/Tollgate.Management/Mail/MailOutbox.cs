using System.Globalization;
using System.Threading.Channels;
using MimeKit;
using Tollgate.Security;

namespace Tollgate.Management.Mail;

/// <summary>
/// The durable outbox: a message is an <c>.eml</c> file in <c>{data}/mail/outbox</c>, written completely (to a
/// temporary name, then renamed) before <see cref="EnqueueAsync"/> returns, so a message queued by an action survives
/// a crash or an SMTP server that is down. <see cref="MailDelivery"/> moves it out once delivered: to
/// <c>{data}/mail/sent</c> after SMTP, or to <c>{data}/mail</c> itself when no SMTP server is configured.
/// </summary>
public sealed class MailOutbox
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TimeProvider _time;

    public MailOutbox(string mailDirectory, TimeProvider time)
    {
        MailDirectory = mailDirectory;
        OutboxDirectory = Path.Combine(mailDirectory, "outbox");
        SentDirectory = Path.Combine(mailDirectory, "sent");
        _time = time;
    }

    /// <summary><c>{data}/mail</c>: where messages go when no SMTP server is configured.</summary>
    public string MailDirectory { get; }

    public string OutboxDirectory { get; }

    public string SentDirectory { get; }

    /// <summary>Signalled (at most one pending signal) whenever a message is queued.</summary>
    internal ChannelReader<bool> Queued => _signal.Reader;

    /// <summary>Writes the message to the outbox and returns its file name.</summary>
    public async Task<string> EnqueueAsync(MimeMessage message, CancellationToken ct)
    {
        PrivateFiles.CreateDirectory(MailDirectory);
        PrivateFiles.CreateDirectory(OutboxDirectory);
        var name = _time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N") + ".eml";
        var temporary = Path.Combine(OutboxDirectory, name + ".tmp");
        await using (var file = new FileStream(temporary, PrivateFiles.Options(FileMode.CreateNew)))
        {
            await message.WriteToAsync(file, ct);
            await file.FlushAsync(ct);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path.Combine(OutboxDirectory, name));
        _signal.Writer.TryWrite(true);
        return name;
    }

    /// <summary>The queued messages' paths, oldest first.</summary>
    public IReadOnlyList<string> Pending() =>
        Directory.Exists(OutboxDirectory)
            ? Directory.GetFiles(OutboxDirectory, "*.eml").Order(StringComparer.Ordinal).ToArray()
            : [];
}
