using System.IO.Compression;
using Tollgate.Core.Analytics;

namespace Tollgate.Management.Analytics;

/// <summary>
/// The binary form of a block of raw request records (one writer batch): version byte, count, then each record's
/// fields in order, compressed with Brotli at its fastest level. Read back only for byRequest reports.
/// </summary>
public static class RequestRecordCodec
{
    // Version 2 adds the key slot after the cache; version 1 blocks (written before) read with none.
    private const byte Version = 2;

    /// <summary>Records per stored block: keeps each block's payload small (well below the large-object heap).</summary>
    public const int BlockSize = 1000;

    // The writer encodes on one thread, batch after batch: its buffers are kept for the next block instead of
    // being allocated (and collected) every time.
    [ThreadStatic]
    private static MemoryStream? t_raw;

    [ThreadStatic]
    private static byte[]? t_compressed;

    public static byte[] Encode(IReadOnlyList<RequestRecord> records) => Encode(records, 0, records.Count);

    /// <summary>Encodes <paramref name="count"/> records starting at <paramref name="start"/>.</summary>
    public static byte[] Encode(IReadOnlyList<RequestRecord> records, int start, int count)
    {
        // Fields are written to memory first and compressed in one call: BrotliStream does a native encoder call per
        // Write, and BinaryWriter writes every field separately (that cost ~30 µs a record; this costs well under 1).
        var raw = t_raw ??= new MemoryStream(BlockSize * 128);
        raw.SetLength(0);
        using (var w = new BinaryWriter(raw, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            w.Write(count);
            for (var i = start; i < start + count; i++)
            {
                var r = records[i];
                w.Write(r.Timestamp.ToUnixTimeMilliseconds());
                w.Write(r.RequestId);
                Optional(w, r.ApiId);
                Optional(w, r.OperationId);
                Optional(w, r.ProductId);
                Optional(w, r.SubscriptionId);
                Optional(w, r.UserId);
                w.Write(r.Method);
                w.Write(r.Url);
                Optional(w, r.IpAddress);
                w.Write(r.ResponseCode);
                w.Write(r.BackendResponseCode ?? -1);
                w.Write(r.RequestSize);
                w.Write(r.ResponseSize);
                w.Write(r.ApiTime);
                w.Write(r.ServiceTime);
                w.Write(r.Cache ?? "none");
                Optional(w, r.KeySlot);
            }
        }

        var input = raw.GetBuffer().AsSpan(0, (int)raw.Length);
        var bound = BrotliEncoder.GetMaxCompressedLength(input.Length);
        var output = t_compressed is { } kept && kept.Length >= bound ? kept : t_compressed = new byte[bound];
        if (!BrotliEncoder.TryCompress(input, output, out var written, quality: 1, window: 22))
        {
            throw new InvalidOperationException("Brotli could not compress a request record block.");
        }

        return output.AsSpan(0, written).ToArray();
    }

    public static IEnumerable<RequestRecord> Decode(byte[] payload, string service)
    {
        // Decompressed in one go, then read from memory (reading field by field from a BrotliStream is slow).
        using var raw = new MemoryStream();
        using (var brotli = new BrotliStream(new MemoryStream(payload), CompressionMode.Decompress))
        {
            brotli.CopyTo(raw);
        }

        raw.Position = 0;
        using var r = new BinaryReader(raw);
        var version = r.ReadByte();
        if (version is not (1 or Version))
        {
            throw new InvalidDataException("Unknown request record block version.");
        }

        var count = r.ReadInt32();
        var list = new List<RequestRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var ts = DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64());
            var requestId = r.ReadString();
            var api = Optional(r);
            var operation = Optional(r);
            var product = Optional(r);
            var subscription = Optional(r);
            var user = Optional(r);
            var method = r.ReadString();
            var url = r.ReadString();
            var ip = Optional(r);
            var status = r.ReadInt32();
            var backend = r.ReadInt32();
            list.Add(new RequestRecord
            {
                Timestamp = ts, RequestId = requestId, ServiceName = service, ApiId = api, OperationId = operation, ProductId = product,
                SubscriptionId = subscription, UserId = user, Method = method, Url = url, IpAddress = ip, ResponseCode = status,
                BackendResponseCode = backend < 0 ? null : backend, RequestSize = r.ReadInt64(), ResponseSize = r.ReadInt64(),
                ApiTime = r.ReadDouble(), ServiceTime = r.ReadDouble(), Cache = r.ReadString(),
                KeySlot = version >= 2 ? Slot(Optional(r)) : null,
            });
        }

        return list;
    }

    private static void Optional(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
        {
            w.Write(value);
        }
    }

    private static string? Optional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    /// <summary>The slot as one of the shared constant strings (thousands of records do not each hold a copy).</summary>
    private static string? Slot(string? slot) => slot switch
    {
        Core.Gateway.SubscriptionKeySlots.Primary => Core.Gateway.SubscriptionKeySlots.Primary,
        Core.Gateway.SubscriptionKeySlots.Secondary => Core.Gateway.SubscriptionKeySlots.Secondary,
        Core.Gateway.SubscriptionKeySlots.PreviousPrimary => Core.Gateway.SubscriptionKeySlots.PreviousPrimary,
        Core.Gateway.SubscriptionKeySlots.PreviousSecondary => Core.Gateway.SubscriptionKeySlots.PreviousSecondary,
        _ => null,
    };
}
