using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>The cryptography factories by name (<c>SymmetricAlgorithm.Create("Aes")</c>, <c>HashAlgorithm.Create("SHA256")</c>, …).</summary>
public static partial class ExpressionRuntime
{
    /// <summary>
    /// The algorithms <c>CryptoConfig</c> knows by name, each made by its own factory. The framework's
    /// <c>Create(string)</c> goes through <c>CryptoConfig.CreateFromName</c>, which instantiates any type whose name it
    /// is given; expressions get this table instead (names compared ignoring case, as CryptoConfig does).
    /// </summary>
#pragma warning disable SYSLIB0021, SYSLIB0022, CA5350, CA5351 // obsolete or weak algorithms: APIM's expressions may ask for them by name
    private static readonly FrozenDictionary<string, Func<object>> CryptoFactories = BuildCryptoFactories();

    private static FrozenDictionary<string, Func<object>> BuildCryptoFactories()
    {
        var table = new Dictionary<string, Func<object>>(StringComparer.OrdinalIgnoreCase);
        void Add(Func<object> factory, params string[] names)
        {
            foreach (var name in names)
            {
                table[name] = factory;
                table["System.Security.Cryptography." + name] = factory;
            }
        }

        Add(() => SHA1.Create(), "SHA", "SHA1", "SHA1CryptoServiceProvider", "SHA1Managed", "SHA1Cng", "HashAlgorithm");
        Add(() => MD5.Create(), "MD5", "MD5CryptoServiceProvider", "MD5Cng");
        Add(() => SHA256.Create(), "SHA256", "SHA-256", "SHA256Managed", "SHA256CryptoServiceProvider", "SHA256Cng");
        Add(() => SHA384.Create(), "SHA384", "SHA-384", "SHA384Managed", "SHA384CryptoServiceProvider", "SHA384Cng");
        Add(() => SHA512.Create(), "SHA512", "SHA-512", "SHA512Managed", "SHA512CryptoServiceProvider", "SHA512Cng");
        Add(() => new HMACSHA1(), "HMACSHA1", "HMAC", "KeyedHashAlgorithm");
        Add(() => new HMACMD5(), "HMACMD5");
        Add(() => new HMACSHA256(), "HMACSHA256");
        Add(() => new HMACSHA384(), "HMACSHA384");
        Add(() => new HMACSHA512(), "HMACSHA512");
        Add(() => Aes.Create(), "AES", "AesManaged", "AesCryptoServiceProvider", "AesCng", "SymmetricAlgorithm");
        Add(() => Rijndael.Create(), "Rijndael", "RijndaelManaged");
        Add(() => TripleDES.Create(), "TripleDES", "3DES", "Triple DES", "TripleDESCryptoServiceProvider", "TripleDESCng");
        Add(() => DES.Create(), "DES", "DESCryptoServiceProvider");
        Add(() => RC2.Create(), "RC2", "RC2CryptoServiceProvider");
        Add(() => RSA.Create(), "RSA", "RSACryptoServiceProvider", "RSACng", "AsymmetricAlgorithm");
        return table.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }
#pragma warning restore SYSLIB0021, SYSLIB0022, CA5350, CA5351

    /// <summary>
    /// <c>T.Create(name)</c> for the cryptography types: the algorithm <paramref name="name"/> names, or null when it names
    /// none of the framework's algorithms or one that is not a <typeparamref name="T"/> (as <c>CryptoConfig</c> answers).
    /// </summary>
    public static T? CreateCrypto<T>(string name)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!CryptoFactories.TryGetValue(name.Trim(), out var factory))
        {
            return null;
        }

        var created = factory();
        if (created is T algorithm)
        {
            return algorithm;
        }

        (created as IDisposable)?.Dispose();
        return null;
    }
}
