namespace Tollgate.Core.Resources;

public static partial class ResourceSchemas
{
    /// <summary>APIM's <c>KeyVaultContractCreateProperties</c>: where a certificate or named value would come from in Azure Key Vault.</summary>
    public static readonly ObjectSchema KeyVault = new("KeyVaultContractCreateProperties",
    [
        new("secretIdentifier", FieldType.String) { Description = "The Key Vault secret's URL. Tollgate reaches no Key Vault: a certificate naming one is refused." },
        new("identityClientId", FieldType.String),
    ]);

    /// <summary>
    /// A client certificate (<c>certificates/{id}</c>) that <c>authentication-certificate</c> and backends'
    /// <c>credentials.certificateIds</c> present to backends. PUT takes the PFX and its password, GET shows what the
    /// certificate is: the PFX is kept encrypted (as secret named values) and never returned.
    /// </summary>
    public static readonly ObjectSchema Certificate = new("CertificateContractProperties",
    [
        new("data", FieldType.String) { Secret = true, Description = "Base64-encoded PFX (application/x-pkcs12) with the certificate's private key. Never returned." },
        new("password", FieldType.String) { Secret = true, Description = "Password of the PFX in data, if it has one. Never returned." },
        new("keyVault", FieldType.Object) { Schema = KeyVault, Description = "Refused: Tollgate reaches no Azure Key Vault; upload the PFX in data (with password) instead." },
        new("subject", FieldType.String) { ReadOnly = true, Description = "The certificate's subject (CN=…)." },
        new("thumbprint", FieldType.String) { ReadOnly = true, Description = "The certificate's SHA-1 thumbprint (upper-case hex), as authentication-certificate thumbprint and backends' credentials.certificate name it." },
        new("expirationDate", FieldType.String) { ReadOnly = true, Description = "When the certificate expires (UTC, ISO 8601)." },
    ]);
}
