namespace Tollgate.Core.Policies.Definitions.ValidateJwt;

/// <summary>A <c>validate-jwt</c>.</summary>
/// <param name="HeaderName">The header holding the token, if that is where it is.</param>
/// <param name="QueryParameterName">The query parameter holding the token, if that is where it is.</param>
/// <param name="TokenValue">The token as an expression, if that is where it is.</param>
/// <param name="RequireScheme">The scheme the header's token must carry (<c>Bearer</c>), if any.</param>
/// <param name="FailedValidationHttpCode">The status of a failure; 401 by default.</param>
/// <param name="FailedValidationErrorMessage">The message of a failure; APIM's per reason when null.</param>
/// <param name="RequireExpirationTime">Whether the token needs <c>exp</c>; true by default.</param>
/// <param name="RequireSignedTokens">Whether the token must be signed; true by default.</param>
/// <param name="ClockSkew">Seconds of leeway on the token's times; 0 by default.</param>
/// <param name="OutputTokenVariableName">A variable to receive the validated token, if any.</param>
/// <param name="OpenIdConfigUrl">An OpenID configuration whose keys (and issuer) also apply, if any.</param>
/// <param name="IssuerSigningKeys">Keys the signature may be made with.</param>
/// <param name="DecryptionKeys">Keys an encrypted token may be decrypted with.</param>
/// <param name="Audiences">Audiences allowed (literals, or expressions evaluated per request); any when none.</param>
/// <param name="Issuers">Issuers allowed (literals, or expressions evaluated per request); any when none.</param>
/// <param name="RequiredClaims">Claims the token must carry.</param>
public sealed record ValidateJwtConfig(
    string? HeaderName,
    string? QueryParameterName,
    PolicySetting? TokenValue,
    string? RequireScheme,
    int FailedValidationHttpCode,
    PolicySetting? FailedValidationErrorMessage,
    bool RequireExpirationTime,
    bool RequireSignedTokens,
    int ClockSkew,
    string? OutputTokenVariableName,
    string? OpenIdConfigUrl,
    IReadOnlyList<JwtKeyConfig> IssuerSigningKeys,
    IReadOnlyList<JwtKeyConfig> DecryptionKeys,
    IReadOnlyList<PolicySetting> Audiences,
    IReadOnlyList<PolicySetting> Issuers,
    IReadOnlyList<RequiredClaimConfig> RequiredClaims);

/// <summary>
/// A <c>key</c>: base64 bytes of a symmetric key as its text, an RSA key's modulus <paramref name="N"/> and exponent
/// <paramref name="E"/>, or the uploaded certificate (<c>certificates/{id}</c>) <paramref name="CertificateId"/> names, whose
/// public key checks signatures (and whose private key decrypts, among <c>decryption-keys</c>).
/// </summary>
public sealed record JwtKeyConfig(string? Id, string? Text, string? N, string? E, string? CertificateId = null);

/// <summary>A <c>claim</c> of <c>required-claims</c>: its values, all or any of them (<c>match</c>), split by <c>separator</c> if given.</summary>
public sealed record RequiredClaimConfig(string Name, IReadOnlyList<string> Values, bool MatchAll, string? Separator);
