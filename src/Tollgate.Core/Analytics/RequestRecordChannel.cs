using System.Threading.Channels;

namespace Tollgate.Core.Analytics;

/// <summary>
/// The hand-off from gateways to the analytics writer: bounded, never blocking the request. When it is full the
/// record is dropped and counted (<see cref="Dropped"/>), so a slow store can cost data but never latency.
/// </summary>
public sealed class RequestRecordChannel
{
    private readonly Channel<RequestRecord> _channel;
    private long _dropped;

    public RequestRecordChannel(int capacity = 100_000)
    {
        _channel = Channel.CreateBounded<RequestRecord>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>Records dropped because the channel was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public ChannelReader<RequestRecord> Reader => _channel.Reader;

    /// <summary>Queues a record without waiting; returns false (and counts a drop) when full.</summary>
    public bool TryWrite(in RequestRecord record)
    {
        if (_channel.Writer.TryWrite(record))
        {
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Queues a record, waiting while the channel is full: for records that arrive from remote gateways, whose sender can wait.</summary>
    public ValueTask WriteAsync(RequestRecord record, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(record, cancellationToken);

    /// <summary>No more records will come (shutdown): the reader drains what is queued and ends.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
