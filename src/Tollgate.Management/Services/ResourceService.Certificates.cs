using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Tollgate.Core.Resources;
using Tollgate.Management.Api;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// APIM's client certificates (<c>certificates/{id}</c>): PUT takes a PFX (<c>data</c>, base64) and its
/// <c>password</c>; the store keeps the subject, thumbprint and expiry as the resource's properties and the PFX
/// (re-exported without a password, with its chain) encrypted with the installation's data key, as secret named
/// values are. Nothing of the PFX or its password is ever returned.
/// </summary>
public sealed partial class ResourceService
{
    /// <summary>The secret holding a certificate's PFX (base64, no password).</summary>
    internal const string CertificatePfxSecret = "pfx";

    /// <summary>Creates or replaces a certificate (APIM's Certificate_CreateOrUpdate); 400 naming <c>data</c>, <c>password</c> or <c>keyVault</c>.</summary>
    public async Task<(JsonObject Body, string ETag, bool Created)> PutCertificateAsync(ServiceScope scope, string name, JsonObject body, string? ifMatch, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        CheckName(name, "certificateId", 80);
        var input = body["properties"] as JsonObject ?? throw ArmException.Validation("properties", "'properties' is required: {\"data\":\"<base64 PFX>\",\"password\":\"…\"}.");
        var errors = new List<ValidationError>();
        var props = SchemaValidator.Validate(input, ResourceKind.Certificate.Schema, "", errors, applyDefaults: true);
        if (errors.Count > 0)
        {
            throw ArmException.Validation(errors);
        }

        if (props["keyVault"] is JsonObject)
        {
            throw ArmException.Validation("keyVault",
                "Tollgate does not reach Azure Key Vault, so it cannot read a certificate from one. Upload the certificate itself instead: "
                + "its PFX (with the private key) base64-encoded in 'data' and its password in 'password' "
                + "(from Key Vault: az keyvault secret download --vault-name <vault> --name <certificate> --encoding base64 --file cert.pfx, then base64 -w0 cert.pfx).");
        }

        if ((string?)props["data"] is not { } data)
        {
            throw ArmException.Validation("data", "'data' is required: the certificate's PFX (application/x-pkcs12) with its private key, base64-encoded, and its password in 'password'.");
        }

        var certificate = ReadClientCertificate(data, (string?)props["password"]);
        var key = Key(scope, ResourceKind.Certificate, "", name);
        var existing = await store.GetAsync(key, ct);
        var properties = new JsonObject
        {
            ["subject"] = certificate.Subject,
            ["thumbprint"] = certificate.Thumbprint,
            ["expirationDate"] = certificate.Expires.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        await ApplyAsync(scope, [new ResourceChange.Put(key, properties, vault.Protect(new JsonObject { [CertificatePfxSecret] = certificate.Pfx }), ifMatch)], ct);
        await WrittenAsync(scope, ResourceKind.Certificate, existing, key);
        var (json, etag) = await GetAsync(scope, ResourceKind.Certificate, "", name, ct);
        return (json, etag, existing is null);
    }

    /// <summary>
    /// Deletes a certificate, unless a backend presents it (<c>credentials.certificateIds</c>, or its thumbprint in
    /// <c>credentials.certificate</c>) or a policy names it (<paramref name="policyReferences"/>, given its thumbprint): 409 naming them.
    /// </summary>
    public async Task<bool> DeleteCertificateAsync(ServiceScope scope, string name, Func<string, Task<List<string>>> policyReferences, string? ifMatch, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var stored = await store.GetAsync(Key(scope, ResourceKind.Certificate, "", name), ct);
        if (stored is null)
        {
            return false;
        }

        var thumbprint = (string?)stored.Properties["thumbprint"] ?? "";
        var users = new List<string>();
        foreach (var backend in await store.ListAsync(scope.Name, ResourceKind.Backend.Kind, "", ct))
        {
            var credentials = backend.Properties["credentials"] as JsonObject;
            if (CertificateNames(credentials?["certificateIds"] as JsonArray).Contains(stored.Key.Name, StringComparer.OrdinalIgnoreCase)
                || Strings(credentials?["certificate"] as JsonArray).Contains(thumbprint, StringComparer.OrdinalIgnoreCase))
            {
                users.Add($"backend '{backend.Key.Name}'");
            }
        }

        users.AddRange(await policyReferences(thumbprint));
        if (users.Count > 0)
        {
            throw ArmException.Conflict($"Certificate '{stored.Key.Name}' is in use by {string.Join(", ", users)}: remove it from their credentials (certificateIds, certificate) or authentication-certificate policies first.");
        }

        return await DeleteAsync(scope, ResourceKind.Certificate, "", name, ifMatch, deleteSubscriptions: false, ct);
    }

    /// <summary>
    /// APIM's <c>POST certificates/{id}/refreshSecret</c> fetches a Key Vault certificate again. No certificate here
    /// comes from Key Vault: 400 naming <c>keyVault</c> (404 when there is no such certificate).
    /// </summary>
    public async Task<JsonObject> RefreshCertificateSecretAsync(ServiceScope scope, string name, CancellationToken ct)
    {
        await RequireServiceAsync(scope, ct);
        var stored = await store.GetAsync(Key(scope, ResourceKind.Certificate, "", name), ct) ?? throw ArmException.NotFound(ResourceKind.Certificate.Title);
        throw ArmException.Validation("keyVault", $"Certificate '{stored.Key.Name}' is not a Key Vault reference (Tollgate does not reach Azure Key Vault): there is nothing to refresh. Upload a new PFX with PUT certificates/{stored.Key.Name} instead.");
    }

    /// <summary>
    /// A backend's client certificates: every <c>credentials.certificateIds</c> entry must name a certificate of the
    /// instance (stored as <c>/certificates/{id}</c>), every <c>credentials.certificate</c> entry must be the thumbprint
    /// of one (stored upper-case). APIM names <c>credentials</c> in both errors.
    /// </summary>
    private async Task ValidateBackendCertificatesAsync(ServiceScope scope, JsonObject props, List<ValidationError> errors, CancellationToken ct)
    {
        if (props["credentials"] is not JsonObject credentials)
        {
            return;
        }

        if (credentials["certificateIds"] is JsonArray ids)
        {
            for (var i = 0; i < ids.Count; i++)
            {
                var certificate = CertificateName((string?)ids[i]);
                var stored = certificate.Length == 0 ? null : await store.GetAsync(Key(scope, ResourceKind.Certificate, "", certificate), ct);
                if (stored is null)
                {
                    errors.Add(new ValidationError("credentials", $"Certificate with id '{certificate}' not found."));
                }
                else
                {
                    ids[i] = $"/certificates/{stored.Key.Name}";
                }
            }
        }

        if (credentials["certificate"] is JsonArray thumbprints && thumbprints.Count > 0)
        {
            var known = (await store.ListAsync(scope.Name, ResourceKind.Certificate.Kind, "", ct))
                .Select(c => (string?)c.Properties["thumbprint"]).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < thumbprints.Count; i++)
            {
                var thumbprint = ((string?)thumbprints[i] ?? "").Trim();
                if (!known.Contains(thumbprint))
                {
                    errors.Add(new ValidationError("credentials", $"Certificate with thumbprint '{thumbprint}' not found."));
                }
                else
                {
                    thumbprints[i] = thumbprint.ToUpperInvariant();
                }
            }
        }
    }

    /// <summary>The certificate names of <c>credentials.certificateIds</c> entries (<c>/certificates/{id}</c>, the ARM id or the bare id).</summary>
    internal static IEnumerable<string> CertificateNames(JsonArray? ids) => Strings(ids).Select(CertificateName);

    /// <summary>The certificate name of a <c>credentials.certificateIds</c> entry.</summary>
    internal static string CertificateName(string? id)
    {
        var trimmed = (id ?? "").Trim().TrimEnd('/');
        return Uri.UnescapeDataString(trimmed[(trimmed.LastIndexOf('/') + 1)..]);
    }

    private static IEnumerable<string> Strings(JsonArray? array) =>
        array?.Select(v => v is JsonValue s && s.TryGetValue<string>(out var text) ? text : null).OfType<string>() ?? [];

    /// <summary>What a PFX upload holds: the certificate with a private key, and the PFX to keep (base64, no password, with the chain).</summary>
    internal sealed record ClientCertificate(string Subject, string Thumbprint, DateTimeOffset Expires, string Pfx);

    /// <summary>
    /// Reads a base64 PFX with its password: a certificate with its private key, re-exported without a password (the
    /// chain uploaded with it kept). A problem is a 400 naming the field at fault: <c>data</c> (not base64, not a
    /// PFX, no private key) or <c>password</c> (missing or wrong for a protected PFX).
    /// </summary>
    internal static ClientCertificate ReadClientCertificate(string data, string? password)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(data.Trim());
        }
        catch (FormatException)
        {
            throw ArmException.Validation("data", "'data' must be the certificate's PFX file, base64-encoded.");
        }

        if (bytes.Length == 0)
        {
            throw ArmException.Validation("data", "'data' is empty: it must be the certificate's PFX file, base64-encoded.");
        }

        X509Certificate2Collection collection;
        try
        {
            collection = X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException)
        {
            if (!IsPkcs12(bytes))
            {
                throw ArmException.Validation("data", "'data' is not a PFX (PKCS#12) file: export the certificate with its private key as .pfx or .p12 and base64-encode it.");
            }

            throw ArmException.Validation("password", string.IsNullOrEmpty(password)
                ? "The PFX in 'data' is password-protected: give its password in 'password'."
                : "'password' is not the password of the PFX in 'data'.");
        }

        try
        {
            var leaf = collection.FirstOrDefault(c => c.HasPrivateKey)
                ?? throw ArmException.Validation("data", "The PFX in 'data' has no private key: a client certificate is presented with its key, so export it with the private key.");
            return new ClientCertificate(leaf.Subject, leaf.Thumbprint.ToUpperInvariant(), new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                Convert.ToBase64String(collection.Export(X509ContentType.Pkcs12)!));
        }
        finally
        {
            foreach (var c in collection)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>Whether the bytes are a PKCS#12 file (whatever its password), to tell a wrong password from a file that is not one.</summary>
    private static bool IsPkcs12(byte[] bytes)
    {
        try
        {
            return X509Certificate2.GetCertContentType(bytes) == X509ContentType.Pkcs12;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
