using System.Buffers.Binary;
using System.Text;

namespace Tollgate.Gateway.Policies.Caching;

/// <summary>
/// A response kept by <c>cache-store</c>: status, headers (each name with its values, in order) and body.
/// Serialized as: <c>"TGCR"</c>, version byte 1, int32 status, int32 header count, then per header a string name,
/// int32 value count and string values, then int32 body length and the body; integers little-endian, strings as an
/// int32 UTF-8 byte length and the bytes.
/// </summary>
public sealed record CachedResponse(int StatusCode, IReadOnlyList<KeyValuePair<string, string[]>> Headers, ReadOnlyMemory<byte> Body)
{
    private static ReadOnlySpan<byte> Magic => "TGCR"u8;

    private const byte Version = 1;

    /// <summary>The bytes an <see cref="ICacheStore"/> keeps.</summary>
    public byte[] Serialize()
    {
        var size = Magic.Length + 1 + 4 + 4 + 4 + Body.Length;
        foreach (var (name, values) in Headers)
        {
            size += 4 + Encoding.UTF8.GetByteCount(name) + 4;
            foreach (var value in values)
            {
                size += 4 + Encoding.UTF8.GetByteCount(value);
            }
        }

        var buffer = new byte[size];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        span[Magic.Length] = Version;
        var position = Magic.Length + 1;
        WriteInt32(span, ref position, StatusCode);
        WriteInt32(span, ref position, Headers.Count);
        foreach (var (name, values) in Headers)
        {
            WriteString(span, ref position, name);
            WriteInt32(span, ref position, values.Length);
            foreach (var value in values)
            {
                WriteString(span, ref position, value);
            }
        }

        WriteInt32(span, ref position, Body.Length);
        Body.Span.CopyTo(span[position..]);
        return buffer;
    }

    /// <summary>Reads what <see cref="Serialize"/> wrote; false for anything else (truncated, another format or version).</summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> data, out CachedResponse? response)
    {
        response = null;
        if (data.Length < Magic.Length + 1 || !data[..Magic.Length].SequenceEqual(Magic) || data[Magic.Length] != Version)
        {
            return false;
        }

        var position = Magic.Length + 1;
        if (!TryReadInt32(data, ref position, out var status) || !TryReadInt32(data, ref position, out var headerCount) || headerCount < 0)
        {
            return false;
        }

        var headers = new List<KeyValuePair<string, string[]>>(Math.Min(headerCount, 256));
        for (var i = 0; i < headerCount; i++)
        {
            if (!TryReadString(data, ref position, out var name) || !TryReadInt32(data, ref position, out var valueCount) || valueCount < 0 || valueCount > data.Length)
            {
                return false;
            }

            var values = new string[valueCount];
            for (var j = 0; j < valueCount; j++)
            {
                if (!TryReadString(data, ref position, out values[j]))
                {
                    return false;
                }
            }

            headers.Add(new(name, values));
        }

        if (!TryReadInt32(data, ref position, out var bodyLength) || bodyLength < 0 || bodyLength != data.Length - position)
        {
            return false;
        }

        response = new CachedResponse(status, headers, data[position..].ToArray());
        return true;
    }

    private static void WriteInt32(Span<byte> span, ref int position, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[position..], value);
        position += 4;
    }

    private static void WriteString(Span<byte> span, ref int position, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, span[(position + 4)..]);
        WriteInt32(span, ref position, length);
        position += length;
    }

    private static bool TryReadInt32(ReadOnlySpan<byte> data, ref int position, out int value)
    {
        if (data.Length - position < 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
        position += 4;
        return true;
    }

    private static bool TryReadString(ReadOnlySpan<byte> data, ref int position, out string value)
    {
        value = "";
        if (!TryReadInt32(data, ref position, out var length) || length < 0 || length > data.Length - position)
        {
            return false;
        }

        value = Encoding.UTF8.GetString(data.Slice(position, length));
        position += length;
        return true;
    }
}
