using System.Text;
using System.Text.Unicode;

namespace Tollgate.Studio.Data;

/// <summary>UTF-8 checks of what clients send: a request body or a file is valid UTF-8, or refused with where it is not.</summary>
public static class Utf8Text
{
    /// <summary>The decoding of uploaded and BES input files: a BOM is skipped, an invalid byte sequence throws.</summary>
    public static Encoding Strict { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The offset of the first byte that is not part of a valid UTF-8 sequence, or -1 when all of it is valid.</summary>
    public static long FirstInvalidByte(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return -1;
        }

        var offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }
}
