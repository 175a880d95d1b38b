using Tollgate.Core.Policies;
using Tollgate.Core.Resources;
using Tollgate.Management.Persistence;

namespace Tollgate.Management.Services;

/// <summary>
/// The certificates policies name: <c>authentication-certificate certificate-id</c> and <c>thumbprint</c>, and
/// validate-jwt's <c>key certificate-id</c> (its signing and decryption keys).
/// </summary>
public sealed partial class PolicyService
{
    private const string AuthenticationCertificate = "authentication-certificate";

    /// <summary>Every <c>certificate-id</c>: authentication-certificate's, and validate-jwt's <c>key</c> elements' (the only policy element named key).</summary>
    private static IEnumerable<(string Id, string Path)> CertificateIds(PolicyDocument document) =>
        References(document, AuthenticationCertificate, "certificate-id").Concat(References(document, "key", "certificate-id"));

    /// <summary>
    /// A literal <c>certificate-id</c> must name a certificate of the instance and a literal <c>thumbprint</c> be one's
    /// (an expression is resolved per call: one naming nothing fails that call).
    /// </summary>
    private async Task CheckCertificatesAsync(ServiceScope scope, PolicyDocument document, List<ValidationError> missing, CancellationToken ct)
    {
        foreach (var (id, path) in CertificateIds(document))
        {
            if (!id.TrimStart().StartsWith('@') && await store.GetAsync(new ResourceKey(scope.Name, ResourceKind.Certificate.Kind, "", id.Trim()), ct) is null)
            {
                missing.Add(new ValidationError("value", $"{path}: certificate '{id.Trim()}' does not exist."));
            }
        }

        HashSet<string>? thumbprints = null;
        foreach (var (thumbprint, path) in References(document, AuthenticationCertificate, "thumbprint"))
        {
            if (thumbprint.TrimStart().StartsWith('@'))
            {
                continue;
            }

            thumbprints ??= (await store.ListAsync(scope.Name, ResourceKind.Certificate.Kind, "", ct))
                .Select(c => (string?)c.Properties["thumbprint"]).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
            if (!thumbprints.Contains(thumbprint.Trim()))
            {
                missing.Add(new ValidationError("value", $"{path}: no certificate has the thumbprint '{thumbprint.Trim()}'."));
            }
        }
    }

    /// <summary>
    /// The policies and fragments that name certificate <paramref name="id"/> (by <c>certificate-id</c>, or by its
    /// <paramref name="thumbprint"/>), as the conflict of a delete lists them: <c>policy of /apis/x</c>, <c>policy fragment 'f'</c>.
    /// </summary>
    public async Task<List<string>> CertificateReferencesAsync(ServiceScope scope, string id, string? thumbprint, CancellationToken ct)
    {
        var (policies, fragments) = await DocumentsWhereAsync(scope, document =>
            CertificateIds(document).Any(r => string.Equals(r.Id.Trim(), id, StringComparison.OrdinalIgnoreCase))
            || (thumbprint is not null && References(document, AuthenticationCertificate, "thumbprint").Any(r => string.Equals(r.Id.Trim(), thumbprint, StringComparison.OrdinalIgnoreCase))), ct);
        return
        [
            .. policies.Select(p => p.Key.Parent.Length == 0 ? "the global policy" : $"the policy of /{p.Key.Parent}"),
            .. fragments.Select(f => $"policy fragment '{f.Key.Name}'"),
        ];
    }
}
