using System.Text;
using Azure.Storage.Blobs.Specialized;

namespace Tollgate.Studio.Batch;

/// <summary>
/// A write-only stream onto a block blob that stages blocks and commits nothing until <see cref="CommitAsync"/>: until
/// then readers see the blob as it was (or no blob), and a node that dies mid-job leaves only uncommitted blocks, which
/// the next attempt's commit discards. The commit swaps the whole content in one request, so an output appears complete
/// and once. Block ids name the claim (<c>{attempt}-{nonce}-{sequence}</c>, all the same length as Azure requires), so
/// one attempt never commits another's blocks.
/// </summary>
public sealed class StagedBlobWriter : Stream
{
    private readonly BlockBlobClient _blob;
    private readonly string _prefix;
    private readonly byte[] _buffer;
    private readonly List<string> _blocks = [];
    private int _length;
    private long _position;

    /// <summary>A writer of <paramref name="blob"/> for claim <paramref name="attempt"/>, staging blocks of <paramref name="blockSize"/> bytes.</summary>
    public StagedBlobWriter(BlockBlobClient blob, int attempt, int blockSize = 4 * 1024 * 1024)
    {
        _blob = blob ?? throw new ArgumentNullException(nameof(blob));
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        _prefix = $"{attempt % 1_000_000:D6}-{Guid.NewGuid().ToString("N")[..8]}-";
        _buffer = new byte[blockSize];
    }

    /// <summary>The block ids staged so far, in order.</summary>
    public IReadOnlyList<string> Blocks => _blocks;

    /// <summary>The claim number a block id of this writer's format carries.</summary>
    public static int AttemptOf(string blockId) =>
        int.Parse(Encoding.ASCII.GetString(Convert.FromBase64String(blockId)).AsSpan(0, 6), System.Globalization.CultureInfo.InvariantCulture);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _position;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, _buffer.Length - _length);
            buffer[..take].CopyTo(_buffer.AsMemory(_length));
            _length += take;
            _position += take;
            buffer = buffer[take..];
            if (_length == _buffer.Length)
            {
                await StageAsync(cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Flushing stages nothing early: blocks are staged full, the rest at the commit.
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    /// <summary>Stages what is buffered and commits every block staged by this writer as the blob's content.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_length > 0)
        {
            await StageAsync(cancellationToken);
        }

        await _blob.CommitBlockListAsync(_blocks, cancellationToken: cancellationToken);
    }

    private async Task StageAsync(CancellationToken cancellationToken)
    {
        var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(_prefix + _blocks.Count.ToString("D8", System.Globalization.CultureInfo.InvariantCulture)));
        using (var content = new MemoryStream(_buffer, 0, _length, writable: false))
        {
            await _blob.StageBlockAsync(id, content, cancellationToken: cancellationToken);
        }

        _blocks.Add(id);
        _length = 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Write asynchronously.");
}
