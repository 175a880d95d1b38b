using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Tollgate.Core.Gateway;
using Tollgate.Core.Policies.Definitions.ValidateJwt;
using Tollgate.Core.Policies.Expressions;
using Tollgate.Gateway.Analytics;
using Tollgate.Gateway.Hosting;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateJwt;

/// <summary>One <c>claim</c> of <c>required-claims</c>: its name, the values it may hold, all or any of them.</summary>
internal sealed record RequiredClaim(string Name, string[] Values, bool MatchAll, string? Separator);

/// <summary>
/// <c>validate-jwt</c>: the token from a header (with an optional scheme), a query parameter or an expression, checked
/// for its signature (HS256/RS256/ES256…, keys inline, from uploaded certificates by <c>certificate-id</c>, or from an
/// OpenID configuration), issuer, audience, lifetime on the
/// gateway's clock with <c>clock-skew</c>, and required claims. Validation parameters and keys are built once, when the
/// snapshot is applied; OpenID metadata is fetched off the request path at build time and refreshed by the
/// configuration manager. A failure is APIM's: the status (default 401) and message, LastError Source validate-jwt
/// with its Reason (TokenNotPresent, TokenExpired, TokenSignatureInvalid, TokenClaimNotFound…).
/// </summary>
internal sealed class ValidateJwtHandler : PolicyHandler
{
    private static readonly JsonWebTokenHandler Tokens = new() { MapInboundClaims = false };

    private readonly string? _header;
    private readonly string? _query;
    private readonly PolicyValue? _tokenValue;
    private readonly string? _scheme;
    private readonly int _statusCode;
    private readonly PolicyValue? _errorMessage;
    private readonly bool _requireExpiration;
    private readonly TimeSpan _clockSkew;
    private readonly string? _outputVariable;
    private readonly RequiredClaim[] _claims;
    private readonly TokenValidationParameters _parameters;
    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _openId;
    private volatile Tuple<OpenIdConnectConfiguration, TokenValidationParameters>? _withMetadata;

    // Keys given by certificate-id: the snapshot's uploaded certificates, resolved once per snapshot.
    private readonly JwtKeyConfig[] _signingCertificates;
    private readonly JwtKeyConfig[] _decryptionCertificates;
    private volatile Tuple<GatewaySnapshot, TokenValidationParameters, TokenValidationParameters>? _withCertificates;

    // Audiences and issuers given as expressions: evaluated per request (null when every one is a literal).
    private readonly PolicyValue[]? _audiences;
    private readonly PolicyValue[]? _issuers;

    public ValidateJwtHandler(PolicyLocation location, ValidateJwtConfig config, PolicyValue? tokenValue, PolicyValue? errorMessage,
        PolicyValue[] audiences, PolicyValue[] issuers, PolicyServices services)
        : base(location)
    {
        _audiences = audiences.Any(a => a.IsExpression) ? audiences : null;
        _issuers = issuers.Any(i => i.IsExpression) ? issuers : null;
        _header = config.HeaderName;
        _query = config.QueryParameterName;
        _tokenValue = tokenValue;
        _scheme = config.RequireScheme;
        _statusCode = config.FailedValidationHttpCode;
        _errorMessage = errorMessage;
        _requireExpiration = config.RequireExpirationTime;
        _clockSkew = TimeSpan.FromSeconds(config.ClockSkew);
        _outputVariable = config.OutputTokenVariableName;
        _claims = config.RequiredClaims.Select(c => new RequiredClaim(c.Name, [.. c.Values], c.MatchAll, c.Separator)).ToArray();

        _parameters = new TokenValidationParameters
        {
            ValidateIssuer = config.Issuers.Count > 0,
            ValidIssuers = issuers.Select(i => i.Text!).ToArray(),
            ValidateAudience = config.Audiences.Count > 0,
            ValidAudiences = audiences.Select(a => a.Text!).ToArray(),

            // Lifetime is checked here on the gateway's clock (TimeProvider), with APIM's reasons.
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = config.RequireSignedTokens,
            ValidateIssuerSigningKey = false,
            TryAllIssuerSigningKeys = true,
            IssuerSigningKeys = config.IssuerSigningKeys.Where(k => k.CertificateId is null).Select(k => Key(k, location)).ToArray(),
            TokenDecryptionKeys = config.DecryptionKeys.Where(k => k.CertificateId is null).Select(k => Key(k, location)).ToArray(),
        };
        _signingCertificates = config.IssuerSigningKeys.Where(k => k.CertificateId is not null).ToArray();
        _decryptionCertificates = config.DecryptionKeys.Where(k => k.CertificateId is not null).ToArray();

        if (config.OpenIdConfigUrl is { } url && !services.Checking)
        {
            _openId = OpenIdConfigurations.For(url, services);

            // Fetch the metadata now, off the request path; the manager keeps it and refreshes it.
            _ = _openId.GetConfigurationAsync(CancellationToken.None).ContinueWith(
                static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    public override async ValueTask<PolicyStep> ExecuteAsync(PolicyContext context)
    {
        var token = ReadToken(context);
        if (string.IsNullOrEmpty(token))
        {
            return Reject(context, "TokenNotPresent", "JWT not present.");
        }

        var parameters = _openId is null ? _parameters : await WithMetadataAsync(context.Http.RequestAborted);
        if (_signingCertificates.Length + _decryptionCertificates.Length > 0)
        {
            parameters = WithCertificates(parameters, context.Gateway.State.Snapshot);
        }
        if (_audiences is not null || _issuers is not null)
        {
            // Expressions among the audiences or issuers: this request's values, on a copy of the parameters.
            parameters = parameters.Clone();
            if (_audiences is not null)
            {
                parameters.ValidAudiences = Evaluate(_audiences, context);
            }

            if (_issuers is not null)
            {
                parameters.ValidIssuers = Evaluate(_issuers, context);
            }
        }

        var result = await Tokens.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            return result.Exception switch
            {
                SecurityTokenSignatureKeyNotFoundException when HasKeyId(token) => Reject(context, "TokenSignatureKeyNotFound", "JWT signature key was not found."),
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => Reject(context, "TokenSignatureInvalid", "JWT signature is invalid."),
                SecurityTokenInvalidAudienceException => Reject(context, "TokenAudienceNotAllowed", "JWT audience is not allowed."),
                SecurityTokenInvalidIssuerException => Reject(context, "TokenIssuerNotAllowed", "JWT issuer is not allowed."),
                SecurityTokenDecryptionFailedException => Reject(context, "TokenDecryptionFailed", "JWT could not be decrypted."),
                _ => Reject(context, "JwtInvalid", "Invalid JWT."),
            };
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        var now = context.Runtime.Time.GetUtcNow().UtcDateTime;
        if (!jwt.TryGetPayloadValue<long>("exp", out _))
        {
            if (_requireExpiration)
            {
                return Reject(context, "TokenExpirationTimeNotPresent", "JWT has no expiration time.");
            }
        }
        else if (jwt.ValidTo + _clockSkew < now)
        {
            return Reject(context, "TokenExpired", "JWT has expired.");
        }

        if (jwt.TryGetPayloadValue<long>("nbf", out _) && jwt.ValidFrom - _clockSkew > now)
        {
            return Reject(context, "TokenNotYetValid", "JWT is not yet valid.");
        }

        if (_claims.Length > 0 && CheckClaims(context, jwt) is { } failed)
        {
            return failed;
        }

        if (_outputVariable is not null && token.AsJwt() is { } parsed)
        {
            context.SetVariable(_outputVariable, parsed);
        }

        return PolicyStep.Continue;
    }

    private static string[] Evaluate(PolicyValue[] values, PolicyContext context)
    {
        var result = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i].GetString(context)?.Trim() ?? "";
        }

        return result;
    }

    private string? ReadToken(PolicyContext context)
    {
        if (_tokenValue is not null)
        {
            return StripBearer(_tokenValue.GetString(context));
        }

        var request = context.Http.Request;
        if (_query is not null)
        {
            return request.Query.TryGetValue(_query, out var q) ? q.ToString() : null;
        }

        if (!request.Headers.TryGetValue(_header!, out var header))
        {
            return null;
        }

        var value = header.ToString().Trim();
        if (_scheme is not null)
        {
            // require-scheme: the header must read "<scheme> <token>".
            return value.Length > _scheme.Length && value.StartsWith(_scheme, StringComparison.OrdinalIgnoreCase) && value[_scheme.Length] == ' '
                ? value[(_scheme.Length + 1)..].Trim()
                : null;
        }

        return StripBearer(value);
    }

    private static string? StripBearer(string? value) =>
        value is not null && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : value?.Trim();

    private PolicyStep? CheckClaims(PolicyContext context, JsonWebToken jwt)
    {
        List<string>? missing = null;
        foreach (var claim in _claims)
        {
            var values = new List<string>();
            foreach (var c in jwt.Claims)
            {
                if (c.Type == claim.Name)
                {
                    if (claim.Separator is { Length: > 0 } separator)
                    {
                        values.AddRange(c.Value.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    }
                    else
                    {
                        values.Add(c.Value);
                    }
                }
            }

            if (values.Count == 0)
            {
                (missing ??= []).Add(claim.Name);
                continue;
            }

            if (claim.Values.Length == 0)
            {
                continue;
            }

            var ok = claim.MatchAll ? claim.Values.All(values.Contains) : claim.Values.Any(values.Contains);
            if (!ok)
            {
                return Reject(context, "TokenClaimValueNotAllowed", $"Claim {claim.Name} value of {string.Join(",", values)} is not allowed.");
            }
        }

        return missing is null ? null : Reject(context, "TokenClaimNotFound", $"JWT is missing the following claims: {string.Join(", ", missing)}");
    }

    private PolicyStep Reject(PolicyContext context, string reason, string message)
    {
        var text = _errorMessage?.GetString(context) is { Length: > 0 } configured ? configured : message;
        context.SetErrorResponse(_statusCode, text);
        GatewayMetrics.RecordRejection(Location.Name, context.Gateway);
        context.Fail(PolicyFailure.From(Location, reason, message));
        return PolicyStep.Error;
    }

    /// <summary>The validation parameters with the OpenID metadata's keys (and issuer), rebuilt only when the metadata changes.</summary>
    private async ValueTask<TokenValidationParameters> WithMetadataAsync(CancellationToken cancellationToken)
    {
        var configuration = await _openId!.GetConfigurationAsync(cancellationToken);
        var current = _withMetadata;
        if (current is not null && ReferenceEquals(current.Item1, configuration))
        {
            return current.Item2;
        }

        var parameters = _parameters.Clone();
        parameters.IssuerSigningKeys = [.. _parameters.IssuerSigningKeys, .. configuration.SigningKeys];
        _withMetadata = Tuple.Create(configuration, parameters);
        return parameters;
    }

    /// <summary>
    /// The validation parameters with the keys of the certificates <c>certificate-id</c> names, as <paramref name="snapshot"/>
    /// has them (a certificate replaced since is read again), made once per snapshot. A certificate the snapshot does
    /// not have (deleted since the document was saved) fails the call: 500, LastError Reason InvalidPolicyValue.
    /// </summary>
    private TokenValidationParameters WithCertificates(TokenValidationParameters parameters, GatewaySnapshot snapshot)
    {
        var current = _withCertificates;
        if (current is not null && ReferenceEquals(current.Item1, snapshot) && ReferenceEquals(current.Item2, parameters))
        {
            return current.Item3;
        }

        var result = parameters.Clone();
        result.IssuerSigningKeys = [.. parameters.IssuerSigningKeys, .. _signingCertificates.Select(k => CertificateKey(k, snapshot))];
        result.TokenDecryptionKeys = [.. parameters.TokenDecryptionKeys, .. _decryptionCertificates.Select(k => CertificateKey(k, snapshot))];
        _withCertificates = Tuple.Create(snapshot, parameters, result);
        return result;
    }

    private static X509SecurityKey CertificateKey(JwtKeyConfig key, GatewaySnapshot snapshot)
    {
        var id = key.CertificateId!;
        var certificate = snapshot.Certificates.FirstOrDefault(c => string.Equals(c.Id, id, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"validate-jwt: certificate '{id}' does not exist.");
        var result = new X509SecurityKey(BackendClientCertificate.Of(certificate).Certificate);
        if (key.Id is { } keyId)
        {
            result.KeyId = keyId;
        }

        return result;
    }

    private static bool HasKeyId(string token) =>
        Tokens.CanReadToken(token) && Tokens.ReadToken(token) is JsonWebToken { Kid.Length: > 0 };

    private static SecurityKey Key(JwtKeyConfig key, PolicyLocation at)
    {
        try
        {
            SecurityKey result = key.N is { } n && key.E is { } e
                ? new RsaSecurityKey(new RSAParameters { Modulus = Base64UrlEncoder.DecodeBytes(n.Trim()), Exponent = Base64UrlEncoder.DecodeBytes(e.Trim()) })
                : new SymmetricSecurityKey(Convert.FromBase64String((key.Text ?? "").Trim()));
            result.KeyId = key.Id;
            return result;
        }
        catch (FormatException ex)
        {
            throw new PolicyBuildException($"{at.Section}/{at.Path}: a key of validate-jwt is not valid base64: {ex.Message}", ex);
        }
    }

}

/// <summary>OpenID Connect metadata managers, one per URL for the process: snapshots share the fetched metadata.</summary>
internal static class OpenIdConfigurations
{
    private static readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> Managers = new(StringComparer.Ordinal);

    public static ConfigurationManager<OpenIdConnectConfiguration> For(string url, PolicyServices services) =>
        Managers.GetOrAdd(url, static (u, s) =>
        {
            var client = s.HttpClients?.CreateClient("validate-jwt") ?? new HttpClient();
            var loopback = Uri.TryCreate(u, UriKind.Absolute, out var uri) && (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)));
            return new ConfigurationManager<OpenIdConnectConfiguration>(u, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(client) { RequireHttps = !loopback })
            {
                AutomaticRefreshInterval = TimeSpan.FromHours(1),
                RefreshInterval = TimeSpan.FromMinutes(1),
            };
        }, services);
}
