using System.IO.Compression;
using Tollgate.Core.Analytics;

namespace Tollgate.Management.Analytics;

/// <summary>
/// The binary form of a block of raw request records (one writer batch): version byte, count, then each record's
/// fields in order, compressed with Brotli at its fastest level. Read back only for byRequest reports.
/// </summary>
public static class RequestRecordCodec
{
    private const byte Version = 1;

    public static byte[] Encode(IReadOnlyList<RequestRecord> records)
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var w = new BinaryWriter(brotli))
        {
            w.Write(Version);
            w.Write(records.Count);
            foreach (var r in records)
            {
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
            }
        }

        return output.ToArray();
    }

    public static IEnumerable<RequestRecord> Decode(byte[] payload, string service)
    {
        using var brotli = new BrotliStream(new MemoryStream(payload), CompressionMode.Decompress);
        using var r = new BinaryReader(brotli);
        if (r.ReadByte() != Version)
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
}
