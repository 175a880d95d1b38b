using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Security;

/// <summary>Generates secrets with the operating system's CSPRNG.</summary>
public static class SecretGenerator
{
    /// <summary>A subscription key as APIM makes them: 32 lowercase hexadecimal characters (128 bits).</summary>
    public static string NewSubscriptionKey() => RandomNumberGenerator.GetHexString(32, lowercase: true);

    /// <summary>A base64 key of <paramref name="bytes"/> random bytes (tenant access keys, Studio API keys).</summary>
    public static string NewBase64Key(int bytes = 64) => Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes));
}

/// <summary>
/// The SHA-256 digest of a key, as the gateway indexes subscriptions: the gateway never holds keys,
/// only digests, and a lookup compares digests in constant time.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct KeyDigest : IEquatable<KeyDigest>
{
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private KeyDigest(ReadOnlySpan<byte> hash)
    {
        _a = BinaryPrimitives.ReadUInt64LittleEndian(hash);
        _b = BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]);
        _c = BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]);
        _d = BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]);
    }

    /// <summary>Digest of a key as the client sent it.</summary>
    public static KeyDigest Of(ReadOnlySpan<char> key)
    {
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        // Sized to the key (stack memory is zeroed: a fixed 512 bytes cost more than the hash of a short key).
        var buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        var n = Encoding.UTF8.GetBytes(key, buffer);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer[..n], hash);
        return new KeyDigest(hash);
    }

    /// <summary>Parses the base64 form produced by <see cref="ToString"/>.</summary>
    public static KeyDigest Parse(string base64)
    {
        Span<byte> hash = stackalloc byte[32];
        if (!Convert.TryFromBase64String(base64, hash, out var written) || written != 32)
        {
            throw new FormatException("A key digest is 32 bytes of base64.");
        }

        return new KeyDigest(hash);
    }

    public bool Equals(KeyDigest other)
    {
        // Constant time: no early exit on the first differing word.
        var diff = (_a ^ other._a) | (_b ^ other._b) | (_c ^ other._c) | (_d ^ other._d);
        return diff == 0;
    }

    public override bool Equals(object? obj) => obj is KeyDigest other && Equals(other);

    public override int GetHashCode() => (int)_a;

    public override string ToString()
    {
        Span<byte> hash = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(hash, _a);
        BinaryPrimitives.WriteUInt64LittleEndian(hash[8..], _b);
        BinaryPrimitives.WriteUInt64LittleEndian(hash[16..], _c);
        BinaryPrimitives.WriteUInt64LittleEndian(hash[24..], _d);
        return Convert.ToBase64String(hash);
    }

    public static bool operator ==(KeyDigest left, KeyDigest right) => left.Equals(right);

    public static bool operator !=(KeyDigest left, KeyDigest right) => !left.Equals(right);
}

/// <summary>Encrypts secrets at rest with AES-256-GCM under one data key.</summary>
public sealed class SecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public SecretProtector(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("The data key must be 32 bytes (AES-256).", nameof(key));
        }

        _key = key;
    }

    public byte[] Protect(ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize));
        return output;
    }

    public byte[] Unprotect(ReadOnlySpan<byte> protectedData)
    {
        if (protectedData.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The protected data is too short.");
        }

        var plaintext = new byte[protectedData.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(protectedData[..NonceSize], protectedData[(NonceSize + TagSize)..], protectedData.Slice(NonceSize, TagSize), plaintext);
        return plaintext;
    }

    public string ProtectString(string value) => Convert.ToBase64String(Protect(Encoding.UTF8.GetBytes(value)));

    /// <summary>
    /// The installation's protector: the key from <paramref name="configuredKey"/> (base64, 32 bytes) when given, else
    /// <c>{dataDirectory}/secrets.key</c>, created with a CSPRNG on first use and readable only by its owner.
    /// </summary>
    public static SecretProtector Load(string? configuredKey, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configuredKey))
        {
            return new SecretProtector(Convert.FromBase64String(configuredKey));
        }

        PrivateFiles.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, "secrets.key");
        if (!File.Exists(path))
        {
            var key = RandomNumberGenerator.GetBytes(32);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using var stream = new FileStream(path, options);
                stream.Write(key);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first; use theirs.
            }
        }

        return new SecretProtector(File.ReadAllBytes(path));
    }

    public string UnprotectString(string value) => Encoding.UTF8.GetString(Unprotect(Convert.FromBase64String(value)));
}

/// <summary>Password hashing for portal users (PBKDF2-SHA256, per-password salt).</summary>
public static class PasswordHasher
{
    private const int Iterations = 100_000;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations))
        {
            return false;
        }

        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
