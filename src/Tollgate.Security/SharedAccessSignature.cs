using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Security;

/// <summary>
/// APIM's management <c>SharedAccessSignature</c> scheme:
/// <c>SharedAccessSignature uid={identifier}&amp;ex={expiry, ISO 8601 "O"}&amp;sn={base64 HMAC-SHA512(key, identifier + "\n" + expiry)}</c>.
/// </summary>
public static class SharedAccessSignature
{
    public const string Scheme = "SharedAccessSignature";

    /// <summary>
    /// The longest a token may live: one expiring later than this from now is refused (as are tokens that would
    /// otherwise never expire, <c>ex=9999-12-31…</c>). 30 days, APIM's longest management token.
    /// </summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(30);

    /// <summary>Creates the <c>Authorization</c> header value for the identifier and key, valid until <paramref name="expiry"/>.</summary>
    public static string Create(string identifier, string key, DateTimeOffset expiry)
    {
        var ex = expiry.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        var sn = Sign(key, identifier, ex);
        return $"{Scheme} uid={identifier}&ex={ex}&sn={sn}";
    }

    /// <summary>
    /// Checks a header value. <paramref name="keysFor"/> returns the keys that may have signed for an identifier
    /// (primary and secondary). Returns null when valid, else the reason.
    /// </summary>
    public static string? Validate(string? header, Func<string, IReadOnlyList<string>> keysFor, DateTimeOffset now)
    {
        header = FromBearer(header);
        if (string.IsNullOrEmpty(header) || !header.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase))
        {
            return "The Authorization header must use the SharedAccessSignature scheme.";
        }

        string? uid = null, ex = null, sn = null;
        foreach (var part in header[(Scheme.Length + 1)..].Trim().Split('&'))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var name = part[..eq];
            var value = part[(eq + 1)..];
            switch (name)
            {
                case "uid": uid = value; break;
                case "ex": ex = value; break;
                case "sn": sn = value; break;
            }
        }

        if (uid is null || ex is null || sn is null)
        {
            return "The SharedAccessSignature token must carry uid, ex and sn.";
        }

        if (!DateTimeOffset.TryParse(ex, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expiry))
        {
            return "The SharedAccessSignature token has an unreadable expiry.";
        }

        if (expiry <= now)
        {
            return "The SharedAccessSignature token has expired.";
        }

        if (expiry - now > MaxLifetime)
        {
            return $"The SharedAccessSignature token expires too far ahead ({expiry.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}); tokens may expire at most {MaxLifetime.TotalDays:0} days from now.";
        }

        byte[] presented;
        try
        {
            presented = Convert.FromBase64String(sn);
        }
        catch (FormatException)
        {
            return "The SharedAccessSignature token has an invalid signature.";
        }

        foreach (var key in keysFor(uid))
        {
            var expected = Convert.FromBase64String(Sign(key, uid, ex));
            if (CryptographicOperations.FixedTimeEquals(expected, presented))
            {
                return null;
            }
        }

        return "The SharedAccessSignature token has an invalid signature.";
    }

    /// <summary>
    /// Azure SDKs send whatever their credential returns as <c>Authorization: Bearer {token}</c>; a credential that
    /// returns a SharedAccessSignature (with or without its scheme name) is accepted in that form too.
    /// </summary>
    private static string? FromBearer(string? header)
    {
        const string Bearer = "Bearer ";
        if (header is null || !header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return header;
        }

        var token = header[Bearer.Length..].Trim();
        return token.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase) ? token : $"{Scheme} {token}";
    }

    private static string Sign(string key, string identifier, string expiry)
    {
        var data = Encoding.UTF8.GetBytes(identifier + "\n" + expiry);
        return Convert.ToBase64String(HMACSHA512.HashData(Encoding.UTF8.GetBytes(key), data));
    }
}
