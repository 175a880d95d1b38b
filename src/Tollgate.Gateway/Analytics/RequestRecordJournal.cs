using System.Text.Json;
using Tollgate.Core.Analytics;
using Tollgate.Security;

namespace Tollgate.Gateway.Analytics;

/// <summary>
/// For a gateway running apart from management: every request record is appended to a journal segment on disk, in
/// the request's own thread, as it is queued for <see cref="RequestRecordShipper"/>. A gateway killed outright
/// (SIGKILL, an OOM kill) therefore keeps the record of every call it had answered: the shipper puts a segment left
/// by a crash in its buffer at the next start and sends it. The shipper takes the queued records and the current
/// segment together (<see cref="Rotate"/>) and deletes the segment once those records are with management or in the
/// buffer; a crash between the two sends them twice, one delete's time once per batch, never loses them.
/// </summary>
/// <remarks>
/// No fsync: the journal is for a process that dies, not for a machine that loses power (the page cache survives the
/// first). Queuing and appending share one lock, as do draining and rotating, so a segment holds exactly the records
/// queued while it was current.
/// </remarks>
public sealed class RequestRecordJournal : IDisposable
{
    private const string Extension = ".jsonl";
    private readonly object _lock = new();
    private readonly RequestRecordChannel _channel;
    private readonly string _directory;
    private FileStream? _segment;
    private string _segmentPath = "";
    private long _sequence;
    private bool _failed;

    public RequestRecordJournal(RequestRecordChannel channel, string directory)
    {
        _channel = channel;
        _directory = directory;
        PrivateFiles.CreateDirectory(directory, tightenExisting: true);
    }

    /// <summary>The folder of the segments.</summary>
    public string Directory => _directory;

    /// <summary>Segments left by an earlier process (a crash), oldest first; the current one is never among them.</summary>
    public string[] LeftOver()
    {
        var files = System.IO.Directory.GetFiles(_directory, "*" + Extension);
        Array.Sort(files, StringComparer.Ordinal);
        lock (_lock)
        {
            return files.Where(f => f != _segmentPath).ToArray();
        }
    }

    /// <summary>Queues <paramref name="record"/> and appends it to the current segment; false when the channel was full (the record is dropped and counted there).</summary>
    public bool Write(in RequestRecord record)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(record, RecordBatch.Json);
        lock (_lock)
        {
            if (!_channel.TryWrite(record))
            {
                return false;
            }

            if (_failed)
            {
                return true;
            }

            try
            {
                var segment = _segment ??= Open();
                segment.Write(line);
                segment.Write("\n"u8);
            }
            catch (IOException)
            {
                // A full or broken disk: the records still go to management, only without the crash guarantee.
                _failed = true;
            }
        }

        return true;
    }

    /// <summary>
    /// Drains every queued record and closes the segment that holds them (a new one is opened by the next write).
    /// Returns that segment's path (null when nothing was written to disk) and the records.
    /// </summary>
    public (string? Segment, List<RequestRecord> Records) Rotate()
    {
        var records = new List<RequestRecord>();
        lock (_lock)
        {
            while (_channel.Reader.TryRead(out var record))
            {
                records.Add(record);
            }

            var closed = _segment is null ? null : _segmentPath;
            _segment?.Dispose();
            _segment = null;
            _segmentPath = "";
            _failed = false;
            return (closed, records);
        }
    }

    /// <summary>The records of a segment; a last line cut short by the crash is left out (its call never got an answer written after it).</summary>
    public static List<RequestRecord> Read(string path)
    {
        var records = new List<RequestRecord>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                records.Add(JsonSerializer.Deserialize<RequestRecord>(line, RecordBatch.Json));
            }
            catch (JsonException)
            {
                // Torn tail.
            }
        }

        return records;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _segment?.Dispose();
            _segment = null;
        }
    }

    private FileStream Open()
    {
        _segmentPath = Path.Combine(_directory, $"{DateTime.UtcNow.Ticks:D19}-{Environment.ProcessId:D7}-{++_sequence:D10}{Extension}");
        // No buffer: every record is one write(2), in the page cache before the lock is released.
        return new FileStream(_segmentPath, PrivateFiles.Options(FileMode.CreateNew, FileAccess.Write, bufferSize: 0));
    }
}
