using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>A JSON Web Token read by <see cref="PolicyExpressionExtensions.AsJwt"/>. The signature is not checked.</summary>
public sealed class Jwt
{
    internal Jwt(string? algorithm, string? type, IReadOnlyDictionary<string, string[]> claims)
    {
        Algorithm = algorithm;
        Type = type;
        Claims = claims;
    }

    /// <summary>The header's <c>alg</c>.</summary>
    public string? Algorithm { get; }

    /// <summary>The header's <c>typ</c>.</summary>
    public string? Type { get; }

    /// <summary>Every claim of the payload; arrays give several values, objects their JSON text.</summary>
    public IReadOnlyDictionary<string, string[]> Claims { get; }

    /// <summary>The <c>aud</c> claim's values.</summary>
    public IEnumerable<string> Audiences => Claims.TryGetValue("aud", out var v) ? v : [];

    /// <summary>The <c>exp</c> claim (UTC).</summary>
    public DateTime? ExpirationTime => Time("exp");

    /// <summary>The <c>jti</c> claim.</summary>
    public string? Id => Claim("jti");

    /// <summary>The <c>iss</c> claim.</summary>
    public string? Issuer => Claim("iss");

    /// <summary>The <c>iat</c> claim (UTC).</summary>
    public DateTime? IssuedAt => Time("iat");

    /// <summary>The <c>nbf</c> claim (UTC).</summary>
    public DateTime? NotBefore => Time("nbf");

    /// <summary>The <c>sub</c> claim.</summary>
    public string? Subject => Claim("sub");

    private string? Claim(string name) => Claims.TryGetValue(name, out var v) && v.Length > 0 ? v[0] : null;

    private DateTime? Time(string name) =>
        Claim(name) is { } s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? DateTime.UnixEpoch.AddSeconds(seconds)
            : null;
}

/// <summary>User id and password of an HTTP Basic <c>Authorization</c> value, read by <see cref="PolicyExpressionExtensions.AsBasic"/>.</summary>
public sealed class BasicAuthCredentials(string userId, string password)
{
    public string UserId { get; } = userId;

    public string Password { get; } = password;
}

/// <summary>The helper methods APIM offers to policy expressions.</summary>
public static class PolicyExpressionExtensions
{
    /// <summary>
    /// The values of header (or query parameter, or claim) <paramref name="name"/> joined with commas, or
    /// <paramref name="defaultValue"/> when it is absent.
    /// </summary>
    public static string? GetValueOrDefault(this IReadOnlyDictionary<string, string[]> values, string name, string? defaultValue)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.TryGetValue(name, out var v) && v is not null ? string.Join(",", v) : defaultValue;
    }

    /// <summary>The values of <paramref name="name"/> joined with commas, or null when it is absent.</summary>
    // Not an optional parameter above: with one, the BCL's generic CollectionExtensions.GetValueOrDefault would win.
    public static string? GetValueOrDefault(this IReadOnlyDictionary<string, string[]> values, string name) => GetValueOrDefault(values, name, null);

    /// <summary>
    /// The variable <paramref name="name"/> as <typeparamref name="T"/>, or <paramref name="defaultValue"/> when it is not
    /// set. Throws <see cref="InvalidCastException"/> when the variable holds another type.
    /// </summary>
    public static T GetValueOrDefault<T>(this IReadOnlyDictionary<string, object> variables, string name, T defaultValue = default!)
    {
        ArgumentNullException.ThrowIfNull(variables);
        if (!variables.TryGetValue(name, out var value))
        {
            return defaultValue;
        }

        return value switch
        {
            T t => t,
            null when default(T) is null => default!,
            _ => throw new InvalidCastException($"Variable '{name}' holds a {value?.GetType().Name ?? "null"}, not a {typeof(T).Name}."),
        };
    }

    /// <summary>The variable <paramref name="name"/>, or null when it is not set.</summary>
    public static object? GetValueOrDefault(this IReadOnlyDictionary<string, object> variables, string name)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return variables.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>
    /// Reads a JWT (compact form, with or without a leading <c>Bearer </c>); null when <paramref name="input"/> is not
    /// one. The signature is not validated: use validate-jwt for that.
    /// </summary>
    public static Jwt? AsJwt(this string? input) => TryParseJwt(input, out var jwt) ? jwt : null;

    /// <summary>Reads a JWT like <see cref="AsJwt"/>; false when <paramref name="input"/> is not one.</summary>
    public static bool TryParseJwt(this string? input, [NotNullWhen(true)] out Jwt? result)
    {
        result = null;
        var token = StripScheme(input, "Bearer");
        if (token is null)
        {
            return false;
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        var header = ReadJsonObject(parts[0]);
        var payload = ReadJsonObject(parts[1]);
        if (header is null || payload is null)
        {
            return false;
        }

        var claims = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var property in payload.Properties())
        {
            claims[property.Name] = property.Value switch
            {
                JArray array => array.Select(ClaimText).ToArray(),
                var v => [ClaimText(v)],
            };
        }

        result = new Jwt((string?)(header["alg"] as JValue), (string?)(header["typ"] as JValue), claims);
        return true;
    }

    /// <summary>
    /// Reads an HTTP Basic <c>Authorization</c> value (<c>Basic base64(user:password)</c>, the scheme may be left out);
    /// null when <paramref name="input"/> is not one.
    /// </summary>
    public static BasicAuthCredentials? AsBasic(this string? input) => TryParseBasic(input, out var credentials) ? credentials : null;

    /// <summary>Reads an HTTP Basic value like <see cref="AsBasic"/>; false when <paramref name="input"/> is not one.</summary>
    public static bool TryParseBasic(this string? input, [NotNullWhen(true)] out BasicAuthCredentials? result)
    {
        result = null;
        var encoded = StripScheme(input, "Basic");
        if (encoded is null)
        {
            return false;
        }

        var bytes = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, bytes, out var length))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        result = new BasicAuthCredentials(text[..colon], text[(colon + 1)..]);
        return true;
    }

    /// <summary>
    /// URL-encoded form data (<c>application/x-www-form-urlencoded</c>) of the fields and their values, in order:
    /// <c>a=1&amp;a=2&amp;b=x+y</c>; a field without values is left out. The inverse of
    /// <see cref="IMessageBody.AsFormUrlEncodedContent"/>.
    /// </summary>
    public static string? ToFormUrlEncodedContent(this IDictionary<string, IList<string>>? values)
    {
        if (values is null)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var (name, list) in values)
        {
            foreach (var value in list ?? [])
            {
                if (text.Length > 0)
                {
                    text.Append('&');
                }

                text.Append(FormEncode(name)).Append('=').Append(FormEncode(value ?? ""));
                ExpressionRuntime.Size(text.Length, characters: true);
            }
        }

        return text.ToString();
    }

    /// <summary>The fields as a query string with its leading <c>?</c> (<see cref="ToFormUrlEncodedContent"/>); null when there are none.</summary>
    public static string? ToQueryString(this IDictionary<string, IList<string>>? values) =>
        values.ToFormUrlEncodedContent() is { Length: > 0 } content ? "?" + content : null;

    /// <summary>
    /// Encrypts <paramref name="input"/> with the symmetric algorithm named <paramref name="alg"/> (<c>Aes</c>,
    /// <c>TripleDES</c>, <c>DES</c>, <c>RC2</c>, <c>Rijndael</c>, as .NET names them), in its default mode (CBC, PKCS7 padding).
    /// </summary>
    public static byte[] Encrypt(this byte[] input, string alg, byte[] key, byte[] iv)
    {
        using var algorithm = SymmetricByName(alg);
        return input.Encrypt(algorithm, key, iv);
    }

    /// <summary>Encrypts <paramref name="input"/> with <paramref name="alg"/>, its key and IV.</summary>
    public static byte[] Encrypt(this byte[] input, SymmetricAlgorithm alg)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(alg);
        using var encryptor = alg.CreateEncryptor();
        return encryptor.TransformFinalBlock(input, 0, input.Length);
    }

    /// <summary>Encrypts <paramref name="input"/> with <paramref name="alg"/>, <paramref name="key"/> and <paramref name="iv"/>.</summary>
    public static byte[] Encrypt(this byte[] input, SymmetricAlgorithm alg, byte[] key, byte[] iv)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(alg);
        using var encryptor = alg.CreateEncryptor(key, iv);
        return encryptor.TransformFinalBlock(input, 0, input.Length);
    }

    /// <summary>Decrypts <paramref name="input"/> with the symmetric algorithm named <paramref name="alg"/> (see <see cref="Encrypt(byte[], string, byte[], byte[])"/>).</summary>
    public static byte[] Decrypt(this byte[] input, string alg, byte[] key, byte[] iv)
    {
        using var algorithm = SymmetricByName(alg);
        return input.Decrypt(algorithm, key, iv);
    }

    /// <summary>Decrypts <paramref name="input"/> with <paramref name="alg"/>, its key and IV.</summary>
    public static byte[] Decrypt(this byte[] input, SymmetricAlgorithm alg)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(alg);
        using var decryptor = alg.CreateDecryptor();
        return decryptor.TransformFinalBlock(input, 0, input.Length);
    }

    /// <summary>Decrypts <paramref name="input"/> with <paramref name="alg"/>, <paramref name="key"/> and <paramref name="iv"/>.</summary>
    public static byte[] Decrypt(this byte[] input, SymmetricAlgorithm alg, byte[] key, byte[] iv)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(alg);
        using var decryptor = alg.CreateDecryptor(key, iv);
        return decryptor.TransformFinalBlock(input, 0, input.Length);
    }

    /// <summary>
    /// True when an X.509 chain builds for <paramref name="input"/> from the machine's trusted roots without checking
    /// revocation. Nothing is downloaded: intermediate certificates the machine does not have make it false.
    /// </summary>
    public static bool VerifyNoRevocation(this X509Certificate2 input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        try
        {
            return chain.Build(input);
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }

    private static SymmetricAlgorithm SymmetricByName(string alg) =>
        ExpressionRuntime.CreateCrypto<SymmetricAlgorithm>(alg)
        ?? throw new ArgumentException($"'{alg}' is not the name of a symmetric algorithm (Aes, TripleDES, DES, RC2, Rijndael).", nameof(alg));

    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);

    private static string? StripScheme(string? input, string scheme)
    {
        var v = input?.Trim();
        if (string.IsNullOrEmpty(v))
        {
            return null;
        }

        if (v.Length > scheme.Length && v.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && char.IsWhiteSpace(v[scheme.Length]))
        {
            v = v[scheme.Length..].Trim();
        }

        return v.Length == 0 || v.Any(char.IsWhiteSpace) ? null : v;
    }

    private static JObject? ReadJsonObject(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        s = s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
        var bytes = new byte[s.Length];
        if (!Convert.TryFromBase64String(s, bytes, out var length))
        {
            return null;
        }

        try
        {
            using var reader = new JsonTextReader(new StringReader(Encoding.UTF8.GetString(bytes, 0, length))) { DateParseHandling = DateParseHandling.None };
            return JToken.ReadFrom(reader) as JObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string ClaimText(JToken token) => token switch
    {
        JValue { Value: null } => "",
        JValue { Value: IFormattable f } => f.ToString(null, CultureInfo.InvariantCulture),
        JValue v => v.ToString(CultureInfo.InvariantCulture),
        _ => token.ToString(Formatting.None),
    };
}
