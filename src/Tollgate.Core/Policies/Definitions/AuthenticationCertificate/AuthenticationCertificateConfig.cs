namespace Tollgate.Core.Policies.Definitions.AuthenticationCertificate;

/// <summary>An <c>authentication-certificate</c>: exactly one of the certificate's sources is given.</summary>
/// <param name="Thumbprint">An uploaded certificate's thumbprint, if that is how it is named.</param>
/// <param name="CertificateId">An uploaded certificate's id (<c>certificates/{id}</c>), if that is how it is named.</param>
/// <param name="Body">The PFX itself (a byte array, or base64 text), if given inline.</param>
/// <param name="Password">The inline PFX's password, if any.</param>
public sealed record AuthenticationCertificateConfig(PolicySetting? Thumbprint, PolicySetting? CertificateId, PolicySetting? Body, PolicySetting? Password);
