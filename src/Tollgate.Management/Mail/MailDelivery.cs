using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;
using Tollgate.Security;
using Tollgate.ServiceDefaults;

namespace Tollgate.Management.Mail;

/// <summary>
/// Delivers the outbox in the background: each queued message is sent (or written to the mail folder), then its
/// file leaves the outbox. A failure keeps the file and tries it again after a wait that doubles from
/// <see cref="MailOptions.FirstRetryDelay"/> up to <see cref="MailOptions.MaxRetryDelay"/>; a message is never dropped,
/// and the action that queued it is never undone. Waits use the <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class MailDelivery(MailOutbox outbox, IMailTransport transport, MailOptions options, TimeProvider time, ILogger<MailDelivery> logger) : BackgroundService
{
    private readonly Dictionary<string, Failure> _failures = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _round = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            DateTimeOffset? next;
            try
            {
                next = await DeliverDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            using var timer = next is { } at ? new CancellationTokenSource(Max(at - time.GetUtcNow(), TimeSpan.FromMilliseconds(1)), time) : new CancellationTokenSource();
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timer.Token);
            try
            {
                await outbox.Queued.WaitToReadAsync(wait.Token);
                while (outbox.Queued.TryRead(out _))
                {
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // A retry is due.
            }
        }
    }

    /// <summary>Delivers every queued message that is due; returns when the next retry is due (null: nothing waits).</summary>
    public async Task<DateTimeOffset?> DeliverDueAsync(CancellationToken ct)
    {
        await _round.WaitAsync(ct);
        try
        {
            DateTimeOffset? next = null;
            foreach (var path in outbox.Pending())
            {
                var name = Path.GetFileName(path);
                var now = time.GetUtcNow();
                if (_failures.TryGetValue(name, out var failure) && failure.Next > now)
                {
                    next = next is null || failure.Next < next ? failure.Next : next;
                    continue;
                }

                try
                {
                    MimeMessage message;
                    await using (var file = File.OpenRead(path))
                    {
                        message = await MimeMessage.LoadAsync(file, ct);
                    }

                    await transport.SendAsync(message, ct);
                    PrivateFiles.CreateDirectory(transport.DeliveredDirectory);
                    File.Move(path, Path.Combine(transport.DeliveredDirectory, name), overwrite: true);
                    _failures.Remove(name);
                    Delivered(logger, name, message.To.Count + message.Cc.Count + message.Bcc.Count);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    var attempts = (failure?.Attempts ?? 0) + 1;
                    var delay = TimeSpan.FromTicks(Math.Min(options.MaxRetryDelay.Ticks, options.FirstRetryDelay.Ticks * (1L << Math.Min(attempts - 1, 30))));
                    var at = time.GetUtcNow() + delay;
                    _failures[name] = new Failure(attempts, at);
                    next = next is null || at < next ? at : next;
                    // The exception's message only: MailKit's say what failed (connection, TLS, authentication), never a password.
                    DeliveryFailed(logger, name, attempts, delay.TotalSeconds, ex.GetType().Name, ex.Message);
                }
            }

            return next;
        }
        finally
        {
            _round.Release();
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed record Failure(int Attempts, DateTimeOffset Next);

    [LoggerMessage(EventIds.MailDelivered, LogLevel.Information, "E-mail {File} delivered to {Recipients} recipient(s).")]
    private static partial void Delivered(ILogger logger, string file, int recipients);

    [LoggerMessage(EventIds.MailDeliveryFailed, LogLevel.Warning, "E-mail {File} not delivered (attempt {Attempts}); it stays in the outbox and is tried again in {RetrySeconds} s: {Error}: {Message}")]
    private static partial void DeliveryFailed(ILogger logger, string file, int attempts, double retrySeconds, string error, string message);
}
