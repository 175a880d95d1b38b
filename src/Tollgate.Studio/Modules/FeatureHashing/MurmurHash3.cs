using System.Buffers.Binary;
using System.Numerics;

namespace Tollgate.Studio.Modules.FeatureHashing;

/// <summary>
/// MurmurHash3_x86_32, the "murmurhash v3 (32-bit only)" that Vowpal Wabbit uses as its <c>uniform_hash</c>.
/// </summary>
/// <remarks>
/// VW's variant is the reference x86_32 algorithm: 4-byte little-endian blocks, the usual tail handling
/// and the fmix32 finaliser. VW passes a 64-bit seed but only its low 32 bits take part, so the seed is a
/// <see cref="uint"/> here. Check values: <c>("hello", 0) = 0x248bfa47</c>, <c>("a", 0) = 0x3c2569b2</c>.
/// </remarks>
public static class MurmurHash3
{
    private const uint C1 = 0xcc9e2d51;
    private const uint C2 = 0x1b873593;

    /// <summary>Hashes <paramref name="data"/> with MurmurHash3_x86_32.</summary>
    /// <param name="data">The bytes to hash (for VW features: the UTF-8 bytes of the token).</param>
    /// <param name="seed">The seed; VW's default namespace uses 0.</param>
    /// <returns>The 32-bit hash.</returns>
    public static uint Hash32(ReadOnlySpan<byte> data, uint seed = 0)
    {
        uint h1 = seed;
        int blockBytes = data.Length & ~3;

        for (int i = 0; i < blockBytes; i += 4)
        {
            uint k1 = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i, 4));
            k1 *= C1;
            k1 = BitOperations.RotateLeft(k1, 15);
            k1 *= C2;

            h1 ^= k1;
            h1 = BitOperations.RotateLeft(h1, 13);
            h1 = (h1 * 5) + 0xe6546b64;
        }

        ReadOnlySpan<byte> tail = data[blockBytes..];
        uint t = 0;
        switch (tail.Length)
        {
            case 3:
                t ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                t ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                t ^= tail[0];
                t *= C1;
                t = BitOperations.RotateLeft(t, 15);
                t *= C2;
                h1 ^= t;
                break;
        }

        h1 ^= (uint)data.Length;
        return FMix32(h1);
    }

    private static uint FMix32(uint h)
    {
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }
}
